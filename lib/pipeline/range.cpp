#include "pipeline/range.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>
#include <tbb/parallel_for.h>
#include <tbb/parallel_pipeline.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "pipeline/block_prover.hpp"
#include "pipeline/cli.hpp"
#include "pipeline/metrics.hpp"
#include "pipeline/process.hpp"
#include "pipeline/prometheus.hpp"
#include "pipeline/verify.hpp"
#include "proof/proof_file.hpp"
#include "witness/parse.hpp"
#include "witness/source.hpp"

namespace witprove::pipeline {
namespace {

// A block of the range as read from the source: its own JSON text, or why it cannot be proved.
struct SourceBlock {
  uint64_t number = 0;
  uint64_t txs = 0;
  std::string json;   // "[element]": the block alone, as prove-witness reads it
  std::string error;  // set when the block did not parse
  uint64_t witness_bytes = 0;
  witness::BlockOrigin origin;
};

// The range's blocks, read from the source as the run needs them: one file at a time, its blocks parsed in
// parallel and kept as their own JSON text, the file's text dropped once split. So a run holds the file
// being split, the blocks in flight and (in block order) those read ahead of their turn, never the range.
class BlockFeed {
 public:
  BlockFeed(const std::string& source, const witness::BlockRange& range, const witness::SourceOptions& options)
      : reader_(source, options), range_(range) {}

  // The next block of the range in source order; nullopt at the end of the source.
  std::optional<SourceBlock> next() {
    while (pending_.empty())
      if (!read_entry()) return std::nullopt;
    SourceBlock b = std::move(pending_.front());
    pending_.pop_front();
    return b;
  }

  // Block n, reading on until it comes (the blocks read on the way are held for their turn); nullopt when the
  // source ends without it.
  std::optional<SourceBlock> take(uint64_t n) {
    for (;;) {
      if (auto it = held_.find(n); it != held_.end()) {
        SourceBlock b = std::move(it->second);
        held_.erase(it);
        return b;
      }
      auto b = next();
      if (!b) return std::nullopt;
      held_.emplace(b->number, std::move(*b));
    }
  }

  // Damaged entries whose block number cannot be read, so far.
  const std::vector<std::string>& unattributed_errors() const { return unattributed_; }

 private:
  bool read_entry() {
    auto entry = reader_.next();
    if (!entry) return false;
    if (!entry->error.empty()) {
      note_unattributed(entry->error);
      return true;
    }
    std::string error;
    auto elements = witness::split_blocks(entry->file.json(), error);
    if (!error.empty()) note_unattributed(fmt::format("{}: {}", entry->file.name, error));
    if (!elements) return true;
    std::vector<witness::BlockParse> parsed(elements->size());
    // Isolated: a thread waiting here must not pick up a prover's task of the range's pipeline.
    tbb::this_task_arena::isolate([&] {
      tbb::parallel_for(size_t{0}, parsed.size(),
                        [&](size_t i) { parsed[i] = witness::parse_block(entry->file, (*elements)[i], i); });
    });
    for (size_t i = 0; i < parsed.size(); ++i) {
      auto& p = parsed[i];
      if (!p.number) {
        note_unattributed(p.error);
        continue;
      }
      if (!range_.contains(*p.number)) continue;
      auto [seen, first] = seen_.emplace(*p.number, p.origin);
      if (!first) {
        log(LogLevel::warn, "range",
            fmt::format("block {} appears twice: {} block {} and {} block {}; the first one is used", *p.number,
                        seen->second.source, seen->second.index, p.origin.source, p.origin.index));
        continue;
      }
      SourceBlock b;
      b.number = *p.number;
      b.origin = p.origin;
      b.witness_bytes = (*elements)[i].size();
      if (p.ok()) {
        b.txs = p.witness->block_trace.txn_info.size();
        b.json = fmt::format("[{}]", (*elements)[i]);
      } else {
        b.error = p.error;
      }
      pending_.push_back(std::move(b));
    }
    return true;
  }

  void note_unattributed(const std::string& error) {
    log(LogLevel::error, "range", error);
    unattributed_.push_back(error);
  }

  witness::SourceReader reader_;
  witness::BlockRange range_;
  std::deque<SourceBlock> pending_;            // the current file's blocks not yet handed out
  std::map<uint64_t, SourceBlock> held_;       // blocks read ahead of their turn (take)
  std::map<uint64_t, witness::BlockOrigin> seen_;  // where each block number was first found
  std::vector<std::string> unattributed_;
};

// Removes temporary files a killed run left behind.
void remove_stale_temporaries(const std::filesystem::path& dir) {
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    auto name = e.path().filename().string();
    if (name.find(".proof.tmp") != std::string::npos || name.find("report.json.tmp") != std::string::npos)
      std::filesystem::remove(e.path());
  }
}

// The proof in `path` is there, is of block `number` and verifies.
bool proof_verifies(const std::filesystem::path& path, uint64_t number) {
  if (!std::filesystem::exists(path)) return false;
  try {
    auto file = proof::read_file(path);
    return file.public_values.block_number == number && !verify_proof(file);
  } catch (const std::exception&) {
    return false;
  }
}

// The proof in `child` was made on the proof in `parent` (check_link).
bool sits_on(const std::filesystem::path& parent, const std::filesystem::path& child) {
  try {
    return !check_link(proof::read_file(parent), proof::read_file(child).public_values);
  } catch (const std::exception&) {
    return false;
  }
}

// The proof already in the output folder for `number` when it verifies (and, chained, sits on `parent`).
bool existing_proof_holds(const std::filesystem::path& path, uint64_t number, const std::filesystem::path* parent) {
  return proof_verifies(path, number) && (!parent || sits_on(*parent, path));
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
  BlockFeed feed(o.source, o.range, o.source_options);

  // One entry per number of the range; an entry is published (finished) once its block is done or known
  // unprovable. Numbers never found in the source are missing, which is known when the source has been read.
  std::vector<BlockReport> reports;
  for (uint64_t n = o.range.first;; ++n) {
    BlockReport r;
    r.block = n;
    reports.push_back(std::move(r));
    if (n == o.range.last) break;
  }
  auto index_of = [&](uint64_t n) { return static_cast<size_t>(n - o.range.first); };

  const std::string_view mode_name = o.mode == ChainMode::chained ? "chained" : "standalone";
  const unsigned jobs = o.mode == ChainMode::chained ? 1 : std::max(1u, o.jobs);
  const unsigned child_threads = o.threads ? std::max(1u, o.threads / jobs) : 0;
  // Jobs share the budget (by default the machine's memory) equally.
  const uint64_t child_memory = o.max_memory_bytes || jobs > 1
                                    ? (o.max_memory_bytes ? o.max_memory_bytes : physical_memory_bytes()) / jobs
                                    : 0;
  const auto metrics_path = o.metrics_file.empty() ? o.output_dir / "metrics.jsonl" : o.metrics_file;
  MetricsLog metrics(metrics_path);
  auto stopping = [&] { return o.stop && o.stop->load() != 0; };
  std::string report_error;  // the last failure to write report.json, logged once per distinct message

  std::mutex mutex;  // guards reports, finished, the report file, the Prometheus state and the progress line
  std::vector<char> finished(reports.size());
  size_t done = 0;
  ProgressLine progress;
  RunGauges gauges(o.prometheus_file, metrics_path, reports.size());
  double last_saved = -1;
  // The report so far: blocks not yet done are left out, so a killed run's report holds only facts. Rewritten
  // at most once a second (and at the end), so that a long range does not spend its time rewriting it.
  auto save_report = [&](bool now) {
    if (!now && last_saved >= 0 && wall.seconds() - last_saved < 1.0) return;
    last_saved = wall.seconds();
    std::vector<BlockReport> so_far;
    for (size_t i = 0; i < reports.size(); ++i)
      if (finished[i]) so_far.push_back(reports[i]);
    try {
      proof::write_file_atomic(o.output_dir / "report.json",
                               report_json(so_far, summarize(so_far, wall.seconds()), mode_name));
    } catch (const std::exception& e) {  // a full disk: the run goes on, and says so
      if (report_error != e.what()) log(LogLevel::error, "range", fmt::format("cannot write report.json: {}", e.what()));
      report_error = e.what();
    }
  };
  // A number the source does not hold (with the first unreadable entry, which may have been it).
  auto missing_report = [&](uint64_t n) {
    BlockReport r;
    r.block = n;
    r.status = BlockStatus::missing;
    const auto& unreadable = feed.unattributed_errors();
    r.error = unreadable.empty() ? "no witness for this block in the source"
                                 : fmt::format("no witness for this block in the source; unreadable: {}",
                                               unreadable.front());
    return r;
  };
  // Publishes entry i; called once per entry, under the lock.
  auto publish = [&](size_t i, BlockReport r) {
    reports[i] = std::move(r);
    finished[i] = 1;
    gauges.finished(reports[i]);
    gauges.write();
    progress.update(fmt::format("{}/{} blocks done", ++done, reports.size()));
    save_report(false);
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
      if (!o.spill_dir.empty()) argv.insert(argv.end(), {"--spill-dir", o.spill_dir});
      if (o.permutations_per_table)
        argv.insert(argv.end(), {"--permutations-per-table", std::to_string(o.permutations_per_table)});
      if (previous) argv.insert(argv.end(), {"--previous-proof", previous->string()});
      argv.insert(argv.end(), {"--format", "json"});
      log(LogLevel::info, "range", fmt::format("block {}: proving, attempt {}", b.number, attempt));
      {
        std::lock_guard lock(mutex);
        gauges.started();
      }
      Stopwatch attempt_watch;
      auto child = run_child(argv, b.json, [](std::string_view line) { fmt::print(stderr, "{}\n", line); },
                             {o.block_timeout_seconds, o.stop});
      auto [outcome, error] = classify(child, o.block_timeout_seconds);
      metrics.write({b.number, "prove-attempt", -1, 0, attempt_watch.seconds(), child.peak_memory_bytes, attempt},
                    to_string(outcome));
      {
        std::lock_guard lock(mutex);
        gauges.attempt_ended(outcome);
      }
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

  // Settles one block read from the source: records it when it did not parse; otherwise proves it, or skips
  // it when resuming and its proof holds. Returns its status.
  auto run_block = [&](const SourceBlock& b, const std::filesystem::path* previous, bool chain_break) {
    const size_t i = index_of(b.number);
    BlockReport r = reports[i];
    r.txs = b.txs;
    r.witness_bytes = b.witness_bytes;
    r.chain_break = chain_break && b.error.empty();
    if (!b.error.empty()) {
      r.status = BlockStatus::failed;
      r.error = b.error;
    } else if (stopping()) {
      r.status = BlockStatus::interrupted;
      r.outcome = Outcome::interrupted;
      r.error = "the run was stopped before the block started";
    } else if (o.resume && existing_proof_holds(proof_path(o.output_dir, r.block), r.block, previous)) {
      r.status = BlockStatus::skipped;
      log(LogLevel::info, "range", fmt::format("block {}: proof already verifies, skipped", r.block));
    } else {
      prove_one(r, b, previous);
    }
    const auto status = r.status;
    std::lock_guard lock(mutex);
    publish(i, std::move(r));
    return status;
  };

  // Prometheus: rewritten on every block's end and every few seconds between, so that a stuck run shows. The
  // ticker stops and is joined however this function is left (an exception included).
  struct Ticker {
    std::mutex& mutex;
    std::condition_variable tick;
    bool done = false;
    std::thread thread;
    void stop() {
      {
        std::lock_guard lock(mutex);
        done = true;
      }
      tick.notify_all();
      if (thread.joinable()) thread.join();
    }
    ~Ticker() { stop(); }
  } ticker{mutex, {}, false, {}};
  if (gauges.enabled())
    ticker.thread = std::thread([&] {
      std::unique_lock lock(mutex);
      while (!ticker.tick.wait_for(lock, std::chrono::seconds(5), [&] { return ticker.done; })) gauges.write();
    });

  if (o.mode == ChainMode::standalone) {
    // Blocks in source order: the feed reads ahead by at most one block while every job proves.
    tbb::task_arena arena(static_cast<int>(jobs));
    arena.execute([&] {
      tbb::parallel_pipeline(
          jobs,
          tbb::make_filter<void, std::shared_ptr<SourceBlock>>(
              tbb::filter_mode::serial_in_order,
              [&](tbb::flow_control& fc) -> std::shared_ptr<SourceBlock> {
                auto b = stopping() ? std::nullopt : feed.next();
                if (!b) {
                  fc.stop();
                  return nullptr;
                }
                return std::make_shared<SourceBlock>(std::move(*b));
              }) &
              tbb::make_filter<std::shared_ptr<SourceBlock>, void>(
                  tbb::filter_mode::parallel,
                  [&](const std::shared_ptr<SourceBlock>& b) { run_block(*b, nullptr, false); }));
    });
  } else {
    // Blocks in number order, each on its parent's proof; after a gap or failure the chain restarts. The
    // numbers the source holds are listed first (a quick pass), so that a missing block is known without
    // reading the rest of the range ahead; standard input, read once, is read ahead instead.
    std::optional<std::set<uint64_t>> present;
    if (o.source != "-") {
      present.emplace();
      witness::for_each_block<std::optional<uint64_t>>(
          o.source, o.range, [](witness::BlockParse&& p) { return p.number; },
          [&](std::optional<uint64_t>&& n) {
            if (n) present->insert(*n);
          },
          o.source_options);
    }
    std::optional<std::filesystem::path> parent;
    auto before_first = o.range.first > 0 ? proof_path(o.output_dir, o.range.first - 1) : std::filesystem::path();
    if (!before_first.empty() && existing_proof_holds(before_first, o.range.first - 1, nullptr)) parent = before_first;
    for (uint64_t n = o.range.first; !stopping(); ++n) {
      auto b = present && !present->contains(n) ? std::nullopt : feed.take(n);
      const std::filesystem::path* previous = parent ? &*parent : nullptr;
      if (!b) {  // known missing now: settled, so that a stop later does not call it interrupted
        std::lock_guard lock(mutex);
        publish(index_of(n), missing_report(n));
      }
      const auto status = b ? run_block(*b, previous, n > o.range.first && !previous) : BlockStatus::missing;
      if (status == BlockStatus::proved || status == BlockStatus::skipped)
        parent = proof_path(o.output_dir, n);
      else
        parent.reset();
      if (n == o.range.last) break;
    }
  }
  progress.finish();

  RangeResult result;
  result.stopped_by = o.stop ? o.stop->load() : 0;
  if (result.stopped_by) remove_stale_temporaries(o.output_dir);  // what the killed provers were writing
  {
    std::lock_guard lock(mutex);
    // What was never settled: missing from the source, or (a stopped run) not reached.
    for (size_t i = 0; i < reports.size(); ++i) {
      if (finished[i]) continue;
      BlockReport r = reports[i];
      if (result.stopped_by) {
        r.status = BlockStatus::interrupted;
        r.outcome = Outcome::interrupted;
        r.error = "the run was stopped before the block started";
      } else {
        r = missing_report(r.block);
      }
      reports[i] = std::move(r);
      finished[i] = 1;
      gauges.finished(reports[i]);
    }
  }
  ticker.stop();
  gauges.write(false);
  result.summary = summarize(reports, wall.seconds());
  // The run itself: its blocks, wall time and this process's own peak memory (the provers' are theirs).
  metrics.write({o.range.first, "range", -1, reports.size(), result.summary.wall_seconds, peak_memory_bytes(), 1});
  result.blocks = std::move(reports);
  try {
    proof::write_file_atomic(o.output_dir / "report.json", report_json(result.blocks, result.summary, mode_name));
  } catch (const std::exception& e) {
    result.report_error = e.what();
  }
  return result;
}

RangeResult collect_range(const RangeOptions& o) {
  std::filesystem::create_directories(o.output_dir);
  const FolderLock lock(o.output_dir);
  // What the source holds of the range: each block's size and transactions, or why it does not parse.
  struct Found {
    uint64_t txs = 0, witness_bytes = 0;
    std::string error;
  };
  std::map<uint64_t, Found> found;
  BlockFeed feed(o.source, o.range, o.source_options);
  while (auto b = feed.next()) found[b->number] = {b->txs, b->witness_bytes, std::move(b->error)};
  // Every proof verified at once (in parallel); links checked in block order below.
  const bool chained = o.mode == ChainMode::chained;
  const size_t count = static_cast<size_t>(o.range.last - o.range.first) + 1;
  std::vector<char> verifies(count);
  tbb::parallel_for(size_t{0}, count, [&](size_t i) {
    verifies[i] = proof_verifies(proof_path(o.output_dir, o.range.first + i), o.range.first + i);
  });
  RangeResult result;
  for (size_t i = 0; i < count; ++i) {
    const uint64_t n = o.range.first + i;
    BlockReport r;
    r.block = n;
    // The provers' result lines for the block, one per attempt.
    std::ifstream in(o.output_dir / "results" / (std::to_string(n) + ".jsonl"));
    std::optional<ProverResult> last;
    for (std::string line; std::getline(in, line);)
      if (auto result_line = parse_prover_result(line)) {
        ++r.attempts;
        r.seconds += result_line->seconds;
        last = std::move(result_line);
      }
    const auto it = found.find(n);
    if (it != found.end()) {
      r.txs = it->second.txs;
      r.witness_bytes = it->second.witness_bytes;
    }
    // Chained, a proof must sit on its parent's when that one holds (the chain breaks where it does not).
    const auto own = proof_path(o.output_dir, n);
    const auto parent = n > 0 ? proof_path(o.output_dir, n - 1) : std::filesystem::path();
    const bool parent_ok = chained && (i == 0 ? n > 0 && proof_verifies(parent, n - 1)
                                              : result.blocks.back().status == BlockStatus::proved);
    if (verifies[i] && (!parent_ok || sits_on(parent, own))) {
      r.status = BlockStatus::proved;
      r.outcome = Outcome::proved;
      r.chain_break = chained && i > 0 && !parent_ok;
    } else if (it == found.end()) {
      r.status = BlockStatus::missing;
      r.error = "no witness for this block in the source";
    } else if (!it->second.error.empty()) {
      r.status = BlockStatus::failed;
      r.error = it->second.error;
    } else if (verifies[i]) {  // chained, on another proof of its parent: proving it again links it
      r.status = BlockStatus::failed;
      r.error = fmt::format("its proof verifies but does not sit on block {}'s proof: prove it again", n - 1);
    } else if (last && last->outcome != Outcome::proved) {
      r.status = BlockStatus::failed;
      r.outcome = last->outcome;
      r.error = last->error;
    } else if (std::filesystem::exists(own)) {
      r.status = BlockStatus::failed;
      r.outcome = Outcome::unprovable;
      r.error = "its proof does not verify";
    } else {
      r.status = BlockStatus::failed;
      r.outcome = Outcome::killed;
      r.error = last ? "the prover reported it proved, but there is no proof"
                     : "no proof and no result line: the prover was killed (a memory or time limit?) or never ran";
    }
    result.blocks.push_back(std::move(r));
  }
  // The run's time: while some job of it ran, by its metric lines (gaps between resubmissions left out).
  const double busy = busy_seconds(read_metric_lines(o.metrics_file.empty() ? o.output_dir / "metrics.jsonl" : o.metrics_file));
  result.summary = summarize(result.blocks, busy);
  try {
    proof::write_file_atomic(o.output_dir / "report.json",
                             report_json(result.blocks, result.summary,
                                         o.mode == ChainMode::chained ? "chained" : "standalone"));
  } catch (const std::exception& e) {
    result.report_error = e.what();
  }
  return result;
}

}  // namespace witprove::pipeline
