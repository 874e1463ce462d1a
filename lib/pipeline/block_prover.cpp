#include "pipeline/block_prover.hpp"

#include <fmt/format.h>
#include <tbb/global_control.h>
#include <linux/magic.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <tbb/parallel_pipeline.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <mutex>
#include <new>

#include "pipeline/cli.hpp"
#include "pipeline/transition.hpp"
#include "stark/stark.hpp"
#include "witness/stateless.hpp"

namespace witprove::pipeline {

proof::Parameters default_parameters() {
  proof::Parameters p;
  p.stark = stark::find_parameter_set("fast")->params;
  p.permutations_per_table = static_cast<uint32_t>(air::kDefaultPermutationsPerTable);
  return p;
}

uint64_t physical_memory_bytes() {
  return static_cast<uint64_t>(::sysconf(_SC_PHYS_PAGES)) * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
}

namespace {

constexpr uint64_t kProcessAllowance = 32'000'000;

// "3.1 GB", or "512 MB" below a gigabyte.
std::string memory_text(uint64_t bytes) {
  return bytes >= 1'000'000'000 ? fmt::format("{:.1f} GB", bytes / 1e9) : fmt::format("{} MB", bytes / 1'000'000);
}

// Memory the prover holds for the whole block: the tables other than the permutation tables (their traces
// are kept; a permutation table's is made when its segment is committed or proved) and the permutations'
// inputs.
uint64_t resident_bytes(const air::BlockTransitionTables& t) {
  uint64_t bytes = t.permutation_inputs.size() * sizeof(eth::KeccakState);
  for (const auto& trace : t.traces) bytes += trace.values.size() * sizeof(stark::Fp);
  return bytes;
}

// The directory where a segmented block keeps its first pass (`bytes` of it), or nullopt with the reason.
std::optional<std::string> spill_directory(const std::string& wanted, uint64_t bytes, std::string& why) {
  if (wanted == "none") {
    why = "--spill-dir none";
    return std::nullopt;
  }
  std::error_code ec;
  const std::string dir = wanted.empty() ? std::filesystem::temp_directory_path(ec).string() : wanted;
  struct statfs fs {};
  struct statvfs room {};
  if (ec || ::statfs(dir.c_str(), &fs) != 0 || ::statvfs(dir.c_str(), &room) != 0) {
    why = fmt::format("{} cannot be used", dir.empty() ? "no temporary directory" : dir);
    return std::nullopt;
  }
  if (wanted.empty() && (fs.f_type == TMPFS_MAGIC || fs.f_type == RAMFS_MAGIC)) {
    why = fmt::format("{} is in memory (tmpfs); --spill-dir names a directory on disk", dir);
    return std::nullopt;
  }
  const uint64_t free_bytes = static_cast<uint64_t>(room.f_bavail) * room.f_frsize;
  if (free_bytes < bytes + bytes / 8) {
    why = fmt::format("{} has {} free, {} needed", dir, memory_text(free_bytes), memory_text(bytes));
    return std::nullopt;
  }
  return dir;
}

// Where a segment's time went, by prover phase (stark::ProveTimings), the phases that took any.
std::string phase_text(const stark::ProveTimings& t) {
  std::string out;
  const std::pair<const char*, double> phases[] = {{"extensions", t.lde}, {"trees", t.commit}, {"LogUp", t.aux},
                                                  {"quotient", t.quotient}, {"openings", t.openings}, {"FRI", t.fri},
                                                  {"kept first pass", t.kept}};
  for (const auto& [name, seconds] : phases)
    if (seconds >= 0.005) out += fmt::format("{}{} {:.2f}s", out.empty() ? "" : ", ", name, seconds);
  return out;
}

}  // namespace

CheckedBlock check_block(const witness::BlockWitness& block, bool unchecked) {
  auto result = witness::process_block(block, {.record_keccak_preimages = true, .record_state_changes = true});
  if (!result.ok && !unchecked) throw BlockFailure(fmt::format("not provable: {}", result.error), false);
  const auto& meta = block.other_data.b_data.b_meta;
  const auto& hashes = block.other_data.b_data.b_hashes;
  if (!meta.block_chain_id.fits_u64()) throw BlockFailure("not provable: chain id exceeds 64 bits", false);
  if (unchecked) result.ok = true;
  auto input = transition_input(result);
  if (auto* why = std::get_if<std::string>(&input)) throw BlockFailure(fmt::format("not provable: {}", *why), false);
  auto& in = std::get<TransitionInput>(input);
  CheckedBlock c;
  auto& v = c.public_values;
  v.chain_id = meta.block_chain_id.limbs[0];
  v.block_number = witness::block_number(block);
  v.block_hash = hashes.cur_hash;
  if (!hashes.prev_hashes.empty()) v.parent_hash = hashes.prev_hashes.back();
  v.pre_state_root = in.pub.pre_root;
  v.post_state_root = in.pub.post_root;
  v.transactions_root = in.pub.transactions_root;
  v.receipts_root = in.pub.receipts_root;
  v.gas_used = in.pub.gas_used;
  v.tx_count = in.pub.transaction_count;
  v.changes_digest = in.pub.changes_digest;
  c.witness = std::move(in.witness);
  c.rules = std::move(result.rules);
  return c;
}

air::BlockTransitionPublic transition_public(const proof::PublicValues& v) {
  return {v.pre_state_root, v.post_state_root, v.transactions_root, v.receipts_root, v.tx_count, v.gas_used,
          v.changes_digest};
}

namespace {

// How a block will be proved: its tables, the parameters (permutation tables shrunk to fit the budget), the
// segments, and how many of them run at once.
struct ProvingPlan {
  air::BlockTransitionTables tables;
  proof::Parameters params;
  std::vector<air::SegmentTables> segments;
  uint64_t resident = 0;  // held throughout: the tables other than the permutation tables, and an allowance
  uint64_t largest = 0;   // the largest segment's proving estimate
  uint64_t cells = 0;     // of all segments
  size_t concurrency = 1;
};

ProvingPlan plan_proving(const CheckedBlock& block, const ProveSettings& settings, size_t threads) {
  const uint64_t number = block.public_values.block_number;
  // The memory budget (by default the machine's memory) is a cap: permutation tables and segments shrink
  // to fit it, and a block that cannot fit is refused rather than run over it.
  const uint64_t budget = settings.max_memory_bytes ? settings.max_memory_bytes : physical_memory_bytes();
  ProvingPlan p;
  p.params = settings.parameters;
  auto& params = p.params;
  auto& tables = p.tables;
  if (params.permutations_per_table == 0) throw BlockFailure("permutations per table must be positive", false);
  const air::BlockTransitionPublic pub = transition_public(block.public_values);
  try {
    tables = air::build_block_transition(block.witness, pub, params.permutations_per_table);
  } catch (const std::invalid_argument& e) {
    throw BlockFailure(fmt::format("not provable: {}", e.what()), false);
  } catch (const std::bad_alloc&) {
    throw BlockFailure(fmt::format("out of memory building the tables of block {}", number), true);
  }
  // The process itself (code, the witness, buffers) is given a fixed allowance.
  p.resident = resident_bytes(tables) + kProcessAllowance;
  const uint64_t room = budget > p.resident ? budget - p.resident : 0;
  // Every table must fit beside the resident tables; permutation tables shrink until one does.
  auto table_bytes = [&](uint32_t i) { return air::segment_prover_bytes(tables, {i}, params.stark); };
  auto refuse_if_too_large = [&](uint32_t first_table) {
    uint64_t largest = 0;
    for (uint32_t i = first_table; i < tables.size(); ++i) largest = std::max(largest, table_bytes(i));
    if (largest > room)
      throw BlockFailure(fmt::format("not provable within the {} memory budget: its largest table needs about {} "
                                     "besides the {} its tables hold",
                                     memory_text(budget), memory_text(largest), memory_text(p.resident)),
                         false);
  };
  refuse_if_too_large(static_cast<uint32_t>(tables.permutation_tables));
  // The first permutation table at n permutations per table: its proving estimate and the trace made for it.
  auto permutation_table_bytes = [&](uint64_t n) {
    const uint64_t height = air::keccak_permutation_height(std::min<uint64_t>(n, tables.permutation_inputs.size()));
    return stark::estimated_prover_bytes(*tables.airs[0], height, params.stark) +
           height * air::keccak_perm::width * sizeof(stark::Fp);
  };
  const uint32_t wanted = params.permutations_per_table;
  while (params.permutations_per_table > 1 && permutation_table_bytes(params.permutations_per_table) > room)
    params.permutations_per_table /= 2;
  if (params.permutations_per_table != wanted) {
    log(LogLevel::warn, "prove",
        fmt::format("block {}: permutation tables of {} permutations instead of {}, to stay within the {} memory budget",
                    number, params.permutations_per_table, wanted, memory_text(budget)));
    tables = air::build_block_transition(block.witness, pub, params.permutations_per_table);
  }
  refuse_if_too_large(0);
  p.segments = air::plan_segments(tables, params.stark, room);
  for (const auto& s : p.segments) {
    p.largest = std::max(p.largest, air::segment_prover_bytes(tables, s, params.stark));
    p.cells += air::segment_cells(tables, s);
  }
  // More segments at once than threads gains nothing; the budget may allow fewer.
  p.concurrency = std::clamp<size_t>(room / std::max<uint64_t>(p.largest, 1), 1,
                                     std::min<size_t>(p.segments.size(), std::max<size_t>(1, threads)));
  return p;
}

}  // namespace

ProvingEstimate estimate_proving(const CheckedBlock& block, const ProveSettings& settings, unsigned threads) {
  const auto p = plan_proving(block, settings, std::max(1u, threads));
  ProvingEstimate e;
  e.permutations = p.tables.permutation_inputs.size();
  e.cells = p.cells;
  e.segments = p.segments.size();
  e.memory_bytes = p.resident + p.concurrency * p.largest;
  const double passes = p.segments.size() > 1 ? kSegmentedPasses : 1;
  e.seconds = passes * static_cast<double>(p.cells) / (kCellsPerSecondPerThread * std::max(1u, threads));
  return e;
}

proof::ProofFile prove_block(const CheckedBlock& block, const ProveSettings& settings, MetricsLog& metrics) {
  const uint64_t number = block.public_values.block_number;
  Stopwatch build_watch;
  const auto threads = tbb::global_control::active_value(tbb::global_control::max_allowed_parallelism);
  auto proving = plan_proving(block, settings, threads);
  const auto& tables = proving.tables;
  const auto& params = proving.params;
  const auto& plan = proving.segments;
  const uint64_t total_cells = proving.cells, largest = proving.largest, resident = proving.resident;
  const size_t concurrency = proving.concurrency;
  // The segments' rows add up to the tables' cells; this line gives the block's Keccak-f permutations.
  metrics.write({number, "build-tables", -1, tables.permutation_inputs.size(), build_watch.seconds(), peak_memory_bytes(),
                 settings.attempt});

  proof::ProofFile file;
  file.statement_id = air::kBlockTransitionId;
  file.statement_version = air::kBlockTransitionVersion;
  file.parameters = params;
  file.public_values = block.public_values;
  file.permutation_tables = static_cast<uint32_t>(tables.permutation_tables);
  file.segments.resize(plan.size());
  for (size_t k = 0; k < plan.size(); ++k) file.segments[k].tables = plan[k];
  const std::vector<uint8_t> statement = proof::statement_bytes(file);

  log(LogLevel::info, "prove",
      fmt::format("block {}: {} tables ({} permutation tables), {:.0f}M cells in {} segments, {} at a time (about {} "
                  "each, {} held throughout); tables built in {:.2f}s",
                  number, tables.size(), tables.permutation_tables, total_cells / 1e6, plan.size(), concurrency,
                  memory_text(largest), memory_text(resident), build_watch.seconds()));

  // Each segment twice: its commitment first (every segment's before any challenge is drawn), then its proof
  // with the shared challenges. A single segment is an ordinary proof, made once.
  std::vector<stark::Digest> commitments(plan.size());
  std::vector<stark::ProveTimings> phases(plan.size());
  std::optional<stark::SharedChallenges> shared;
  const bool segmented = plan.size() > 1;
  // A segmented block keeps each segment's first pass on disk for its proof, where there is room, but the
  // last segment's in memory (below).
  std::vector<stark::KeptCommitment> kept(plan.size());
  std::optional<std::string> spill_dir;
  if (segmented) {
    uint64_t bytes = 0;
    for (size_t k = 0; k + 1 < plan.size(); ++k)
      for (uint32_t i : plan[k]) bytes += stark::kept_commitment_bytes(*tables.airs[i], tables.height(i), params.stark);
    std::string why;
    spill_dir = spill_directory(settings.spill_dir, bytes, why);
    log(LogLevel::info, "prove",
        spill_dir ? fmt::format("block {}: first passes kept in {} ({}), the last segment's in memory", number,
                                *spill_dir, memory_text(bytes))
                  : fmt::format("block {}: first passes not kept ({}): each segment's main columns but the last's "
                                "are hashed twice", number, why));
  }
  std::mutex progress_mutex;
  ProgressLine progress;
  auto run_phase = [&](std::string_view job) {
    size_t next = 0, done = 0;  // next: read by the serial first stage only
    tbb::parallel_pipeline(
        concurrency,
        tbb::make_filter<void, size_t>(tbb::filter_mode::serial_in_order,
                                       [&](tbb::flow_control& fc) -> size_t {
                                         if (next == plan.size()) {
                                           fc.stop();
                                           return 0;
                                         }
                                         // Proofs go last segment first: the commitments ended with
                                         // it, so its buffers are still mapped, of the shapes it needs.
                                         const size_t i = next++;
                                         return job == "prove-segment" ? plan.size() - 1 - i : i;
                                       }) &
            tbb::make_filter<size_t, void>(tbb::filter_mode::parallel, [&](size_t k) {
              Stopwatch watch;
              const auto seg_statement = air::segment_statement(statement, static_cast<uint32_t>(k));
              try {
                std::vector<stark::Trace> made;
                const auto instances = tables.instances(plan[k], made);
                if (segmented && !shared) {
                  // The last segment's proof comes right after its first pass (proofs go last first), so
                  // its extensions stay in memory for it: within the budget, as at most `concurrency`
                  // segments are then held or in progress.
                  const bool in_memory = k + 1 == plan.size();
                  stark::KeptCommitment* keep = spill_dir || in_memory ? &kept[k] : nullptr;
                  if (keep) keep->in_memory = in_memory;
                  if (keep && !in_memory) keep->directory = *spill_dir;
                  commitments[k] = stark::commit_segment(instances, params.stark, seg_statement, &phases[k], keep);
                  if (keep && !keep->error.empty())
                    log(LogLevel::warn, job,
                        fmt::format("block {} segment {}: first pass not kept ({}); its proof computes it again",
                                    number, k + 1, keep->error));
                } else {
                  const stark::SharedChallenges* challenges = shared ? &*shared : nullptr;
                  stark::Proof p;
                  try {
                    p = stark::prove(instances, params.stark, seg_statement, &phases[k], challenges,
                                     kept[k].file || kept[k].extensions ? &kept[k] : nullptr);
                  } catch (const stark::KeptCommitmentError& e) {  // hash its trees again instead
                    kept[k] = {};  // what it still holds goes before the proof starts again
                    log(LogLevel::warn, job, fmt::format("block {} segment {}: {}; hashing again", number, k + 1,
                                                         e.what()));
                    phases[k] = {};
                    p = stark::prove(instances, params.stark, seg_statement, &phases[k], challenges);
                  }
                  kept[k] = {};  // its file goes
                  file.segments[k].stark_proof = stark::serialize(p);
                }
              } catch (const std::bad_alloc&) {
                throw BlockFailure(fmt::format("out of memory in {} of segment {} of block {}", job, k, number), true);
              } catch (const stark::ProveError& e) {
                throw BlockFailure(fmt::format("{} of segment {} of block {} failed: {}", job, k, number, e.what()), false);
              }
              const double secs = watch.seconds();
              const uint64_t cells = air::segment_cells(tables, plan[k]);
              log(LogLevel::info, job,
                  fmt::format("block {} segment {}/{}: {} tables, {:.0f}M cells{}, took {:.2f}s ({})", number, k + 1,
                              plan.size(), plan[k].size(), cells / 1e6,
                              file.segments[k].stark_proof.empty()
                                  ? ""
                                  : fmt::format(", proof {} bytes", file.segments[k].stark_proof.size()),
                              secs, phase_text(phases[k])));
              metrics.write({number, std::string(job), static_cast<int64_t>(k), cells, secs, peak_memory_bytes(),
                             settings.attempt});
              std::lock_guard lock(progress_mutex);
              progress.update(fmt::format("block {}: {} {}/{} segments", number, job, ++done, plan.size()));
            }));
  };
  if (segmented) {
    run_phase("commit-segment");
    shared = stark::shared_challenges(commitments, statement);
  }
  run_phase("prove-segment");
  progress.finish();
  return file;
}

}  // namespace witprove::pipeline
