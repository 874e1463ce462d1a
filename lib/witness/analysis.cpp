#include "witness/analysis.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <tuple>

namespace witprove::witness {

namespace {
uint64_t saturate_u64(const U256& v) { return v.fits_u64() ? v.limbs[0] : UINT64_MAX; }
}  // namespace

BlockStats block_stats(const BlockWitness& block) {
  const BlockMetadata& meta = block.other_data.b_data.b_meta;
  BlockStats s;
  s.chain_id = saturate_u64(meta.block_chain_id);
  s.gas_used = saturate_u64(meta.block_gas_used);
  s.txs = block.block_trace.txn_info.size();
  s.withdrawals = block.other_data.b_data.withdrawals.size();
  if (const auto* combined = std::get_if<CombinedPreImage>(&block.block_trace.trie_pre_images))
    s.compact_bytes = combined->compact.size();
  for (const Bytes& code : block.block_trace.code_db) s.code_db_bytes += code.size();

  std::vector<Address> touched;
  for (const TxnInfo& txn : block.block_trace.txn_info) {
    for (const AccountTrace& trace : txn.traces) {
      touched.push_back(trace.address);
      s.storage_reads += trace.storage_read.size();
      s.storage_writes += trace.storage_written.size();
      if (trace.code_write) {
        ++s.contracts_created;
        s.code_created_bytes += trace.code_write->size();
      }
      s.self_destructs += trace.self_destructed;
    }
  }
  std::sort(touched.begin(), touched.end());
  s.accounts_touched = static_cast<uint64_t>(std::unique(touched.begin(), touched.end()) - touched.begin());
  return s;
}

namespace {

// Everything but the pre-image figures; `stats` is set when the block parsed.
BlockAnalysis analyze_parsed(const BlockParse& parsed) {
  BlockAnalysis out;
  out.origin = parsed.origin;
  out.block = parsed.number;
  out.witness_bytes = parsed.witness_bytes;
  out.error = parsed.error;
  if (parsed.witness) out.stats = block_stats(*parsed.witness);
  return out;
}

}  // namespace

BlockAnalysis analyze_block(BlockParse&& parsed) {
  BlockAnalysis out = analyze_parsed(parsed);
  if (!parsed.witness) return out;
  try {
    out.stats->pre_image = pre_image_stats(parsed.witness->block_trace);
  } catch (const std::exception& e) {
    out.error = fmt::format("{}: block {}: pre-image: {}", out.origin.source, out.origin.index, e.what());
  }
  return out;
}

BlockAnalysis analyze_processed_block(BlockParse&& parsed, const BlockResult& processed) {
  BlockAnalysis out = analyze_parsed(parsed);
  if (!parsed.witness) return out;
  out.stats->pre_image = processed.pre_image;
  // Unset only when the pre-image did not decode; the error then reads "pre-image: what".
  if (!processed.pre_image)
    out.error = fmt::format("{}: block {}: {}", out.origin.source, out.origin.index, processed.error);
  return out;
}

AnalysisTotals analysis_totals(const std::vector<BlockAnalysis>& blocks) {
  AnalysisTotals t;
  for (const BlockAnalysis& b : blocks) {
    ++t.blocks;
    t.errors += !b.ok();
    t.witness_bytes += b.witness_bytes;
    if (!b.stats) continue;
    const BlockStats& s = *b.stats;
    t.txs += s.txs;
    t.gas_used += s.gas_used;
    t.compact_bytes += s.compact_bytes;
    t.accounts_touched += s.accounts_touched;
    t.storage_reads += s.storage_reads;
    t.storage_writes += s.storage_writes;
    t.contracts_created += s.contracts_created;
    t.self_destructs += s.self_destructs;
    t.withdrawals += s.withdrawals;
    if (s.pre_image) {
      t.trie_nodes += s.pre_image->trie_nodes;
      t.accounts += s.pre_image->accounts;
      t.storage_slots += s.pre_image->storage_slots;
      t.code_bytes += s.pre_image->code_bytes;
    }
  }
  return t;
}

void sort_by_block(std::vector<BlockAnalysis>& blocks) {
  auto key = [](const BlockAnalysis& b) {
    return std::make_tuple(b.block.value_or(UINT64_MAX), std::string_view(b.origin.source), b.origin.index);
  };
  std::stable_sort(blocks.begin(), blocks.end(),
                   [&](const BlockAnalysis& a, const BlockAnalysis& b) { return key(a) < key(b); });
}

}  // namespace witprove::witness
