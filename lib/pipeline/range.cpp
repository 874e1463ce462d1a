#include "pipeline/range.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <thread>

#include "pipeline/block_prover.hpp"
#include "pipeline/cli.hpp"
#include "pipeline/metrics.hpp"
#include "pipeline/process.hpp"
#include "pipeline/verify.hpp"
#include "proof/proof_file.hpp"
#include "witness/parse.hpp"

namespace witprove::pipeline {
namespace {

// A block of the range as read from the source: its own JSON text, or why it cannot be proved.
struct SourceBlock {
  uint64_t number = 0;
  uint64_t txs = 0;
  std::string json;   // "[element]": the block alone, as prove-witness reads it
  std::string error;  // set when the block did not parse
  witness::BlockOrigin origin;
};

struct CollectedBlocks {
  std::map<uint64_t, SourceBlock> blocks;
  std::vector<std::string> unattributed_errors;  // damaged entries whose block number cannot be read
};

CollectedBlocks collect_blocks(const std::string& source, const witness::BlockRange& range,
                               const witness::SourceOptions& options) {
  CollectedBlocks out;
  witness::SourceReader reader(source, options);
  while (auto entry = reader.next()) {
    if (!entry->error.empty()) {
      out.unattributed_errors.push_back(entry->error);
      continue;
    }
    std::string error;
    auto elements = witness::split_blocks(entry->file.json(), error);
    if (!error.empty()) out.unattributed_errors.push_back(fmt::format("{}: {}", entry->file.name, error));
    if (!elements) continue;
    std::vector<witness::BlockParse> parsed(elements->size());
    tbb::parallel_for(size_t{0}, parsed.size(),
                      [&](size_t i) { parsed[i] = witness::parse_block(entry->file, (*elements)[i], i); });
    for (size_t i = 0; i < parsed.size(); ++i) {
      auto& p = parsed[i];
      if (!p.number) {
        out.unattributed_errors.push_back(p.error);
        continue;
      }
      if (!range.contains(*p.number)) continue;
      SourceBlock b;
      b.number = *p.number;
      b.origin = p.origin;
      if (p.ok()) {
        b.txs = p.witness->block_trace.txn_info.size();
        b.json = fmt::format("[{}]", (*elements)[i]);
      } else {
        b.error = p.error;
      }
      auto [it, inserted] = out.blocks.emplace(b.number, std::move(b));
      if (!inserted)
        log(LogLevel::warn, "range",
            fmt::format("block {} appears twice: {} block {} and {} block {}; the first one is used", *p.number,
                        it->second.origin.source, it->second.origin.index, p.origin.source, p.origin.index));
    }
  }
  return out;
}

// Removes temporary files a killed run left behind.
void remove_stale_temporaries(const std::filesystem::path& dir) {
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    auto name = e.path().filename().string();
    if (name.find(".proof.tmp") != std::string::npos || name.find("report.json.tmp") != std::string::npos)
      std::filesystem::remove(e.path());
  }
}

// The proof already in the output folder for `number` when it verifies (and, chained, sits on `parent`).
bool existing_proof_holds(const std::filesystem::path& path, uint64_t number, const std::filesystem::path* parent) {
  if (!std::filesystem::exists(path)) return false;
  try {
    auto file = proof::read_file(path);
    if (file.public_values.block_number != number || verify_proof(file)) return false;
    return !parent || !check_link(proof::read_file(*parent), file.public_values);
  } catch (const std::exception&) {
    return false;
  }
}

// An exclusive lock on the output folder for the whole run (flock: released when the process ends, however
// it ends), with the holder's PID in the lock file for the message of a refused second run.
struct FolderLock {
  int fd = -1;
  explicit FolderLock(const std::filesystem::path& dir) {
    const auto path = dir / ".prove-range.lock";
    fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) throw std::runtime_error(fmt::format("{}: cannot open: {}", path.string(), std::strerror(errno)));
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      char pid[32] = {};
      [[maybe_unused]] auto n = ::pread(fd, pid, sizeof pid - 1, 0);
      ::close(fd);
      std::string holder(pid);
      while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) holder.pop_back();
      throw FolderBusy(fmt::format("{} is in use by another prove-range run (PID {}); one run per output folder",
                                   dir.string(), holder.empty() ? "unknown" : holder));
    }
    const std::string pid = fmt::format("{}\n", ::getpid());
    if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size()))
      log(LogLevel::warn, "range", fmt::format("{}: cannot record this run's PID", path.string()));
  }
  ~FolderLock() { ::close(fd); }
  FolderLock(const FolderLock&) = delete;
  FolderLock& operator=(const FolderLock&) = delete;
};

// How an attempt ended, and why when it failed: what this process saw (stopped, timed out, killed) first,
// then the prover's exit status and result line.
std::pair<Outcome, std::string> classify(const ChildResult& child, double timeout_seconds) {
  if (child.stopped) return {Outcome::interrupted, "the run was stopped before the block finished"};
  if (child.timed_out)
    return {Outcome::timeout, fmt::format("the prover ran past --block-timeout ({:.0f}s) and was killed", timeout_seconds)};
  if (child.signal)
    return {Outcome::killed, fmt::format("the prover was killed by signal {} ({}){}", child.signal, ::strsignal(child.signal),
                                         child.signal == SIGKILL ? ", likely out of memory" : "")};
  if (child.exit_code == exit_ok) return {Outcome::proved, ""};
  const auto result = parse_prover_result(child.stdout_text);
  if (result && result->outcome != Outcome::proved) return {result->outcome, result->error};
  const Outcome by_status = child.exit_code == exit_out_of_memory ? Outcome::out_of_memory
                            : child.exit_code == exit_usage      ? Outcome::usage
                                                                 : Outcome::unprovable;
  return {by_status, fmt::format("the prover exited with status {} and no result line", child.exit_code)};
}

}  // namespace

RangeResult prove_range(const RangeOptions& o) {
  Stopwatch wall;
  std::filesystem::create_directories(o.output_dir);
  const FolderLock lock(o.output_dir);
  remove_stale_temporaries(o.output_dir);
  auto collected = collect_blocks(o.source, o.range, o.source_options);
  for (const auto& e : collected.unattributed_errors) log(LogLevel::error, "range", e);

  std::vector<BlockReport> reports;
  std::vector<const SourceBlock*> provable;  // per report: the block to prove, null when missing or unparsable
  for (uint64_t n = o.range.first;; ++n) {
    BlockReport r;
    r.block = n;
    auto it = collected.blocks.find(n);
    provable.push_back(it != collected.blocks.end() && it->second.error.empty() ? &it->second : nullptr);
    if (it == collected.blocks.end()) {
      r.status = BlockStatus::missing;
      r.error = collected.unattributed_errors.empty()
                    ? "no witness for this block in the source"
                    : fmt::format("no witness for this block in the source; unreadable: {}",
                                  collected.unattributed_errors.front());
    } else {
      r.txs = it->second.txs;
      if (!it->second.error.empty()) {
        r.status = BlockStatus::failed;
        r.error = it->second.error;
      }
    }
    reports.push_back(std::move(r));
    if (n == o.range.last) break;
  }

  const std::string_view mode_name = o.mode == ChainMode::chained ? "chained" : "standalone";
  const unsigned jobs = o.mode == ChainMode::chained ? 1 : std::max(1u, o.jobs);
  const unsigned child_threads = o.threads ? std::max(1u, o.threads / jobs) : 0;
  // Jobs share the budget (by default the machine's memory) equally.
  const uint64_t child_memory = o.max_memory_bytes || jobs > 1
                                    ? (o.max_memory_bytes ? o.max_memory_bytes : physical_memory_bytes()) / jobs
                                    : 0;
  const auto metrics_path = o.output_dir / "metrics.jsonl";
  MetricsLog metrics(metrics_path);
  auto stopping = [&] { return o.stop && o.stop->load() != 0; };
  std::string report_error;  // the last failure to write report.json, logged once per distinct message

  std::mutex mutex;  // guards reports, finished, the report file and the progress line
  std::vector<char> finished(reports.size());
  size_t done = 0, to_do = provable.size() - std::count(provable.begin(), provable.end(), nullptr);
  ProgressLine progress;
  // The report so far: blocks not yet proved are left out, so a killed run's report holds only facts.
  auto save_report = [&] {
    std::vector<BlockReport> so_far;
    for (size_t i = 0; i < reports.size(); ++i)
      if (!provable[i] || finished[i]) so_far.push_back(reports[i]);
    try {
      proof::write_file_atomic(o.output_dir / "report.json",
                               report_json(so_far, summarize(so_far, wall.seconds()), mode_name));
    } catch (const std::exception& e) {  // a full disk: the run goes on, and says so
      if (report_error != e.what()) log(LogLevel::error, "range", fmt::format("cannot write report.json: {}", e.what()));
      report_error = e.what();
    }
  };

  // Proves one block (with retries) into its report entry.
  auto prove_one = [&](BlockReport& r, const SourceBlock& b, const std::filesystem::path* previous) {
    Stopwatch watch;
    auto output = proof_path(o.output_dir, b.number);
    for (unsigned attempt = 1; attempt <= 1 + o.retries; ++attempt) {
      std::vector<std::string> argv = {o.prover.string(), "--block", std::to_string(b.number),
                                       "--output", output.string(), "--attempt", std::to_string(attempt),
                                       "--metrics", metrics_path.string(),
                                       // the child reads exactly this text, which the source's cap admitted
                                       "--max-witness-size", std::to_string(b.json.size())};
      if (child_threads) argv.insert(argv.end(), {"--threads", std::to_string(child_threads)});
      if (child_memory) argv.insert(argv.end(), {"--max-memory", std::to_string(child_memory)});
      argv.insert(argv.end(), {"--parameter-set", o.parameter_set});
      if (o.permutations_per_table)
        argv.insert(argv.end(), {"--permutations-per-table", std::to_string(o.permutations_per_table)});
      if (previous) argv.insert(argv.end(), {"--previous-proof", previous->string()});
      argv.insert(argv.end(), {"--format", "json"});
      log(LogLevel::info, "range", fmt::format("block {}: proving, attempt {}", b.number, attempt));
      Stopwatch attempt_watch;
      auto child = run_child(argv, b.json, [](std::string_view line) { fmt::print(stderr, "{}\n", line); },
                             {o.block_timeout_seconds, o.stop});
      auto [outcome, error] = classify(child, o.block_timeout_seconds);
      metrics.write({b.number, "prove-attempt", -1, 0, attempt_watch.seconds(), child.peak_memory_bytes, attempt},
                    to_string(outcome));
      r.attempts = attempt;
      r.outcome = outcome;
      r.error = std::move(error);
      r.status = outcome == Outcome::proved        ? BlockStatus::proved
                 : outcome == Outcome::interrupted ? BlockStatus::interrupted
                                                   : BlockStatus::failed;
      if (!is_transient(outcome) || attempt > o.retries || stopping()) break;
      log(LogLevel::warn, "range", fmt::format("block {}: attempt {} failed ({}: {}); retrying", b.number, attempt,
                                               to_string(outcome), r.error));
    }
    r.seconds = watch.seconds();
    if (r.status == BlockStatus::proved)
      log(LogLevel::info, "range", fmt::format("block {}: proved in {} attempt(s), took {:.2f}s", b.number, r.attempts, r.seconds));
    else if (r.status == BlockStatus::interrupted)
      log(LogLevel::warn, "range", fmt::format("block {}: interrupted after {:.2f}s", b.number, r.seconds));
    else
      log(LogLevel::error, "range", fmt::format("block {}: failed ({}): {}", b.number, to_string(*r.outcome), r.error));
  };

  // Proves block i, or skips it when resuming and its proof holds; publishes the outcome and the report.
  // Entry i is written by this call only, under the lock, as other jobs read every entry to save the report.
  auto run_block = [&](size_t i, const std::filesystem::path* previous) {
    BlockReport r = reports[i];
    if (stopping()) {
      r.status = BlockStatus::interrupted;
      r.outcome = Outcome::interrupted;
      r.error = "the run was stopped before the block started";
    } else if (o.resume && existing_proof_holds(proof_path(o.output_dir, r.block), r.block, previous)) {
      r.status = BlockStatus::skipped;
      log(LogLevel::info, "range", fmt::format("block {}: proof already verifies, skipped", r.block));
    } else {
      prove_one(r, *provable[i], previous);
    }
    std::lock_guard lock(mutex);
    reports[i] = r;
    finished[i] = 1;
    progress.update(fmt::format("{}/{} blocks done", ++done, to_do));
    save_report();
    return r.status;
  };

  if (o.mode == ChainMode::standalone) {
    tbb::task_arena arena(static_cast<int>(jobs));
    arena.execute([&] {
      tbb::parallel_for(
          tbb::blocked_range<size_t>(0, reports.size(), 1),
          [&](const tbb::blocked_range<size_t>& span) {
            for (size_t i = span.begin(); i != span.end(); ++i)
              if (provable[i]) run_block(i, nullptr);
          },
          tbb::simple_partitioner());
    });
  } else {
    // Each block builds on its parent's proof; after a gap or failure the chain restarts.
    std::optional<std::filesystem::path> parent;
    auto before_first = o.range.first > 0 ? proof_path(o.output_dir, o.range.first - 1) : std::filesystem::path();
    if (!before_first.empty() && existing_proof_holds(before_first, o.range.first - 1, nullptr)) parent = before_first;
    for (size_t i = 0; i < reports.size(); ++i) {
      const std::filesystem::path* previous = parent ? &*parent : nullptr;
      if (i > 0 && !previous) reports[i].chain_break = true;
      auto status = provable[i] ? run_block(i, previous) : reports[i].status;
      if (status == BlockStatus::proved || status == BlockStatus::skipped)
        parent = proof_path(o.output_dir, reports[i].block);
      else
        parent.reset();
    }
  }
  progress.finish();

  RangeResult result;
  result.stopped_by = o.stop ? o.stop->load() : 0;
  if (result.stopped_by) remove_stale_temporaries(o.output_dir);  // what the killed provers were writing
  result.summary = summarize(reports, wall.seconds());
  result.blocks = std::move(reports);
  try {
    proof::write_file_atomic(o.output_dir / "report.json", report_json(result.blocks, result.summary, mode_name));
  } catch (const std::exception& e) {
    result.report_error = e.what();
  }
  return result;
}

}  // namespace witprove::pipeline
