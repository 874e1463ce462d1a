// Throughput of the stateless check (decode the pre-image, replay, compute every root) on the real
// witnesses in ../shared/witnesses (or the folder given as the first argument) and on generated blocks,
// with 1 and 2 threads, and the share of the time spent in Keccak-f[1600].
#include <tbb/global_control.h>
#include <tbb/parallel_for.h>

#include <time.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "eth/account.hpp"
#include "eth/rlp.hpp"
#include "witness/parse.hpp"
#include "witness/stateless.hpp"

using namespace witprove;
using namespace witprove::witness;

namespace {

double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

// CPU time of the whole process (all threads): robust when other processes share the cores.
double process_cpu_seconds() {
  timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

std::vector<BlockWitness> load_real(const std::filesystem::path& dir) {
  std::vector<BlockWitness> blocks;
  if (!std::filesystem::is_directory(dir)) return blocks;
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().extension() == ".json") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  for (const auto& path : files) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    if (looks_like_block_header(text.str())) continue;
    for (BlockParse& parsed : parse_witness_file(make_json_file(path.filename().string(), text.str())))
      if (parsed.ok()) blocks.push_back(std::move(*parsed.witness));
  }
  return blocks;
}

H256 random_h256(std::mt19937_64& rng) {
  H256 h;
  for (auto& b : h) b = static_cast<uint8_t>(rng());
  return h;
}

// Generated blocks over one pre-state of `accounts` accounts (a tenth of them contracts with storage): each
// transaction pays from a sender to a receiver and writes two storage slots of a contract.
std::vector<BlockWitness> generate(int blocks, int txs_per_block, int accounts) {
  std::mt19937_64 rng(2024);
  std::vector<Address> addresses(static_cast<size_t>(accounts));
  PreState pre;
  std::vector<std::vector<H256>> slots(addresses.size());
  for (size_t i = 0; i < addresses.size(); ++i) {
    for (auto& b : addresses[i]) b = static_cast<uint8_t>(rng());
    eth::Account account{.nonce = 1, .balance = eth::U256(1'000'000'000'000'000'000ULL)};
    if (i % 10 == 0) {
      Bytes code(200, static_cast<uint8_t>(i));
      account.code_hash = eth::keccak256(code);
      pre.code.emplace(account.code_hash, code);
      eth::Trie storage;
      for (int s = 0; s < 20; ++s) {
        slots[i].push_back(random_h256(rng));
        storage.put(eth::storage_key(slots[i].back()), eth::encode_storage_value(eth::U256(rng() | 1)));
      }
      account.storage_root = storage.root_hash();
      pre.storage.emplace(eth::account_key(addresses[i]), std::move(storage));
    }
    pre.state.put(eth::account_key(addresses[i]), eth::encode_account(account));
  }
  Bytes compact = encode_compact(pre);
  std::vector<BlockWitness> out;
  for (int b = 0; b < blocks; ++b) {
    BlockWitness w;
    w.origin = {"generated", static_cast<size_t>(b)};
    BlockMetadata& meta = w.other_data.b_data.b_meta;
    meta.block_number = static_cast<uint64_t>(b + 1);
    meta.block_chain_id = 1;  // Shanghai on mainnet by timestamp: no beacon root contract needed
    meta.block_timestamp = 1'700'000'000;
    w.block_trace.trie_pre_images = CombinedPreImage{compact};
    uint64_t cumulative = 0;
    for (int t = 0; t < txs_per_block; ++t) {
      TxnInfo txn;
      size_t sender = (rng() % addresses.size()) | 1, receiver = rng() % addresses.size() | 1;
      size_t contract = (rng() % addresses.size()) / 10 * 10;
      txn.meta.byte_code = eth::rlp_list({eth::rlp_uint(uint64_t(t)), eth::rlp_string(Bytes(100, 1))});
      txn.meta.gas_used = 50000;
      cumulative += 50000;
      txn.meta.new_receipt_trie_node_byte =
          eth::rlp_list({eth::rlp_uint(uint64_t{1}), eth::rlp_uint(cumulative), eth::rlp_string(Bytes(256, 0)),
                         eth::rlp_list({})});
      AccountTrace from, to, store;
      from.address = addresses[sender];
      from.balance = eth::U256(999'000'000'000'000'000ULL);
      from.nonce = eth::U256(2);
      to.address = addresses[receiver];
      to.balance = eth::U256(1'001'000'000'000'000'000ULL);
      store.address = addresses[contract];
      store.storage_written = {{slots[contract][rng() % 20], eth::U256(rng())}, {slots[contract][rng() % 20], 0}};
      txn.traces = {from, to, store};
      w.block_trace.txn_info.push_back(std::move(txn));
    }
    meta.block_gas_used = cumulative;
    out.push_back(std::move(w));
  }
  return out;
}

struct Rate {
  double blocks_per_second = 0, txs_per_second = 0, txs_per_cpu_second = 0;
};

// Processes all blocks (in parallel) repeatedly for at least `min_seconds`.
Rate measure(const std::vector<BlockWitness>& blocks, int threads, double min_seconds) {
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, static_cast<size_t>(threads));
  size_t txs = 0;
  for (const auto& b : blocks) txs += b.block_trace.txn_info.size();
  int rounds = 0;
  double start = now(), cpu_start = process_cpu_seconds();
  do {
    tbb::parallel_for(size_t{0}, blocks.size(), [&](size_t i) {
      if (!process_block(blocks[i]).ok) std::fprintf(stderr, "bench_check: block %zu failed\n", i);
    });
    ++rounds;
  } while (now() - start < min_seconds);
  double seconds = now() - start, cpu = process_cpu_seconds() - cpu_start;
  return {rounds * static_cast<double>(blocks.size()) / seconds, rounds * static_cast<double>(txs) / seconds,
          rounds * static_cast<double>(txs) / cpu};
}

// Share of single-thread time in Keccak-f[1600]: permutations needed by the hashes the check computes
// (as recorded, each distinct input once, so a lower bound) times the measured cost of one permutation.
double keccak_share(const std::vector<BlockWitness>& blocks) {
  eth::KeccakState state{};
  const int n = 200000;
  double t0 = now();
  for (int i = 0; i < n; ++i) eth::keccak_f1600(state);
  double per_permutation = (now() - t0) / n + static_cast<double>(state[0] & 1) * 1e-15;
  double permutations = 0, seconds = 0;
  for (const auto& b : blocks) {
    double start = now();
    BlockResult r = process_block(b, {.record_keccak_preimages = true});
    seconds += now() - start;
    for (const Bytes& p : r.keccak_preimages) permutations += static_cast<double>(p.size() / 136 + 1);
  }
  return permutations * per_permutation / seconds;
}

std::string figures(const char* name, const std::vector<BlockWitness>& blocks) {
  size_t txs = 0;
  for (const auto& b : blocks) txs += b.block_trace.txn_info.size();
  Rate one = measure(blocks, 1, 2.0), two = measure(blocks, 2, 2.0);
  char out[640];
  std::snprintf(out, sizeof out,
                "\"%s\":{\"blocks\":%zu,\"txs\":%zu,\"threads_1\":{\"blocks_per_second\":%.1f,\"txs_per_second\":%.0f,"
                "\"txs_per_cpu_second\":%.0f},\"threads_2\":{\"blocks_per_second\":%.1f,\"txs_per_second\":%.0f,"
                "\"txs_per_cpu_second\":%.0f},\"keccak_share\":%.3f}",
                name, blocks.size(), txs, one.blocks_per_second, one.txs_per_second, one.txs_per_cpu_second,
                two.blocks_per_second, two.txs_per_second, two.txs_per_cpu_second, keccak_share(blocks));
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::filesystem::path real_dir =
      argc > 1 ? std::filesystem::path(argv[1])
               : std::filesystem::path(WITPROVE_SOURCE_DIR).parent_path() / "shared" / "witnesses";
  std::vector<BlockWitness> real = load_real(real_dir);
  std::vector<BlockWitness> generated = generate(20, 500, 3000);
  std::string line = "{\"benchmark\":\"check\"";
  if (!real.empty()) line += "," + figures("real", real);
  else line += ",\"real\":null";
  line += "," + figures("generated", generated) + "}";
  std::puts(line.c_str());
}
