#include "pipeline/block_prover.hpp"

#include <fmt/format.h>
#include <tbb/parallel_pipeline.h>
#include <tbb/global_control.h>
#include <unistd.h>

#include <algorithm>
#include <mutex>
#include <new>

#include "air/block_statement.hpp"
#include "air/keccak_permutation.hpp"
#include "eth/keccak.hpp"
#include "pipeline/cli.hpp"
#include "pipeline/verify.hpp"
#include "witness/stateless.hpp"

namespace witprove::pipeline {

proof::Parameters default_parameters() {
  proof::Parameters p;
  // 24 * 5,461 = 131,064 rows of a 2^17-row table: few segments, so a large block's proof is a few
  // segment proofs (432.erc721: 5 instead of 36 at 682); the memory cap shrinks them where they do not fit.
  p.segment_permutations = 5461;
  return p;
}

uint64_t physical_memory_bytes() {
  return static_cast<uint64_t>(::sysconf(_SC_PHYS_PAGES)) * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
}

uint64_t segment_memory_bytes(uint64_t permutations, const stark::StarkParams& params) {
  // The permutation table dominates: the prover holds its trace and its low-degree extension, then the
  // sponge's, the quotient's and the Merkle trees (one more trace's worth covers them: 4.4 GB measured
  // for 5,461 permutations at blowup 2 against 5.2 GB estimated).
  uint64_t trace = air::keccak_permutation_height(permutations) * air::keccak_perm::width * sizeof(stark::Fp);
  return trace * (2 + (uint64_t{1} << params.log_blowup));
}

namespace {

// "3.1 GB", or "512 MB" below a gigabyte.
std::string memory_text(uint64_t bytes) {
  return bytes >= 1'000'000'000 ? fmt::format("{:.1f} GB", bytes / 1e9) : fmt::format("{} MB", bytes / 1'000'000);
}

}  // namespace

uint64_t segment_permutations_within(uint64_t budget, uint64_t wanted, const stark::StarkParams& params) {
  uint64_t low = 0, high = wanted;  // the estimate grows with the segment: binary search for the last fit
  while (low < high) {
    uint64_t mid = low + (high - low + 1) / 2;
    if (segment_memory_bytes(mid, params) <= budget) low = mid;
    else high = mid - 1;
  }
  return low;
}

CheckedBlock check_block(const witness::BlockWitness& block) {
  auto result = witness::process_block(block, {.record_keccak_preimages = true});
  if (!result.ok) throw BlockFailure(fmt::format("not provable: {}", result.error), false);
  const auto& meta = block.other_data.b_data.b_meta;
  const auto& hashes = block.other_data.b_data.b_hashes;
  if (!meta.block_chain_id.fits_u64()) throw BlockFailure("not provable: chain id exceeds 64 bits", false);
  CheckedBlock c;
  auto& v = c.public_values;
  v.chain_id = meta.block_chain_id.limbs[0];
  v.block_number = witness::block_number(block);
  v.block_hash = hashes.cur_hash;
  if (!hashes.prev_hashes.empty()) v.parent_hash = hashes.prev_hashes.back();
  v.pre_state_root = result.pre_state_root;
  v.post_state_root = result.state_root;
  v.transactions_root = result.transactions_root;
  v.receipts_root = result.receipts_root;
  v.gas_used = result.gas_used;
  v.tx_count = block.block_trace.txn_info.size();
  c.messages = std::move(result.keccak_preimages);
  c.rules = std::move(result.rules);
  // An empty trie's root is keccak(rlp("")) without any node being hashed: hash it explicitly.
  const eth::Bytes empty_node = {0x80};
  auto roots = required_digests(v);
  if (std::find(roots.begin(), roots.end(), eth::empty_trie_root) != roots.end() &&
      std::find(c.messages.begin(), c.messages.end(), empty_node) == c.messages.end())
    c.messages.push_back(empty_node);
  return c;
}

proof::ProofFile prove_block(const CheckedBlock& block, const ProveSettings& settings, MetricsLog& metrics) {
  const uint64_t number = block.public_values.block_number;
  // The memory budget (by default the machine's memory) is a cap: segments shrink to fit it, and a block
  // that cannot fit is refused rather than run over it.
  const uint64_t budget = settings.max_memory_bytes ? settings.max_memory_bytes : physical_memory_bytes();
  proof::Parameters params = settings.parameters;
  const uint64_t fitting = segment_permutations_within(budget, params.segment_permutations, params.stark);
  if (fitting == 0)
    throw BlockFailure(fmt::format("not provable within the {} memory budget: the smallest segment needs about {}",
                                   memory_text(budget), memory_text(segment_memory_bytes(1, params.stark))),
                       false);
  if (fitting < params.segment_permutations) {
    log(LogLevel::warn, "prove",
        fmt::format("block {}: segments of at most {} permutations instead of {}, to stay within the {} memory budget",
                    number, fitting, params.segment_permutations, memory_text(budget)));
    params.segment_permutations = static_cast<uint32_t>(fitting);
  }
  std::vector<air::SegmentPlan> plan;
  try {
    plan = air::plan_segments(block.messages, required_digests(block.public_values), params.segment_permutations);
  } catch (const std::invalid_argument& e) {
    throw BlockFailure(fmt::format("not provable: {}", e.what()), false);
  }
  // A message longer than a segment gets a segment of its own, which may not fit.
  uint64_t largest = 0;
  for (const auto& s : plan) largest = std::max(largest, s.permutations);
  const uint64_t per_segment = segment_memory_bytes(largest, params.stark);
  if (per_segment > budget)
    throw BlockFailure(fmt::format("not provable within the {} memory budget: a message of {} permutations needs a "
                                   "segment of about {}",
                                   memory_text(budget), largest, memory_text(per_segment)),
                       false);

  proof::ProofFile file;
  file.statement_id = air::kBlockStatementId;
  file.statement_version = air::kBlockStatementVersion;
  file.parameters = params;
  file.public_values = block.public_values;
  file.segments.resize(plan.size());
  for (size_t i = 0; i < plan.size(); ++i) {
    file.segments[i].permutations = plan[i].permutations;
    file.segments[i].public_digests = plan[i].public_digests;
  }

  // More segments at once than threads gains nothing; the budget may allow fewer.
  const auto threads = tbb::global_control::active_value(tbb::global_control::max_allowed_parallelism);
  const size_t by_threads = std::min<size_t>(plan.size(), std::max<size_t>(1, threads));
  const size_t concurrency = std::clamp<size_t>(budget / per_segment, 1, by_threads);
  uint64_t total_perms = 0;
  for (const auto& s : plan) total_perms += s.permutations;
  log(LogLevel::info, "prove",
      fmt::format("block {}: {} messages, {} permutations in {} segments, {} at a time (about {:.1f} GB each)", number,
                  block.messages.size(), total_perms, plan.size(), concurrency, per_segment / 1e9));

  size_t next = 0;  // read by the serial first stage only
  std::mutex progress_mutex;
  size_t segments_done = 0;
  ProgressLine progress;
  tbb::parallel_pipeline(
      concurrency,
      tbb::make_filter<void, size_t>(tbb::filter_mode::serial_in_order,
                                     [&](tbb::flow_control& fc) -> size_t {
                                       size_t i = next++;
                                       if (i >= plan.size()) fc.stop();
                                       return i;
                                     }) &
          tbb::make_filter<size_t, void>(tbb::filter_mode::parallel, [&](size_t i) {
            const auto& seg = plan[i];
            Stopwatch watch;
            std::span<const eth::Bytes> messages(block.messages.data() + seg.first_message, seg.message_count);
            stark::Proof p;
            try {
              p = air::prove_segment(messages, seg.public_digests, params.stark, proof::statement_bytes(file, i));
            } catch (const std::bad_alloc&) {
              throw BlockFailure(fmt::format("out of memory proving segment {} of block {}", i, number), true);
            } catch (const stark::ProveError& e) {
              throw BlockFailure(fmt::format("proving segment {} of block {} failed: {}", i, number, e.what()), false);
            }
            file.segments[i].stark_proof = stark::serialize(p);
            double secs = watch.seconds();
            log(LogLevel::info, "prove-segment",
                fmt::format("block {} segment {}/{}: {} permutations, proof {} bytes, took {:.2f}s", number, i + 1,
                            plan.size(), seg.permutations, file.segments[i].stark_proof.size(), secs));
            metrics.write({number, "prove-segment", static_cast<int64_t>(i), seg.permutations, secs,
                           peak_memory_bytes(), settings.attempt});
            std::lock_guard lock(progress_mutex);
            progress.update(fmt::format("block {}: {}/{} segments proved", number, ++segments_done, plan.size()));
          }));
  progress.finish();
  return file;
}

}  // namespace witprove::pipeline
