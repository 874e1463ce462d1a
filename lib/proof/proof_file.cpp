#include "proof/proof_file.hpp"

#include <fmt/format.h>
#include <simdjson.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>

#include "eth/bytes.hpp"

namespace witprove::proof {
namespace {

constexpr std::array<uint8_t, 8> kMagic = {'W', 'I', 'T', 'P', 'R', 'O', 'O', 'F'};

// CRC-64/XZ: detects every burst of up to 64 flipped bits; the proof's soundness does not rest on it.
constexpr std::array<uint64_t, 256> make_crc_table() {
  std::array<uint64_t, 256> t{};
  for (uint64_t i = 0; i < 256; ++i) {
    uint64_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0xC96C5795D7870F42ULL : c >> 1;
    t[i] = c;
  }
  return t;
}
constexpr auto kCrcTable = make_crc_table();

uint64_t crc64(std::span<const uint8_t> bytes) {
  uint64_t c = ~0ULL;
  for (uint8_t b : bytes) c = kCrcTable[(c ^ b) & 0xFF] ^ (c >> 8);
  return ~c;
}

// The checksum stored in the last 8 bytes of an encoded proof (which has at least 8 bytes).
uint64_t stored_checksum(std::span<const uint8_t> encoded) {
  uint64_t c = 0;
  for (size_t i = 0; i < 8; ++i) c |= uint64_t{encoded[encoded.size() - 8 + i]} << (8 * i);
  return c;
}

struct Writer {
  std::vector<uint8_t> out;
  template <class T>
  void uint(T v) {
    for (size_t i = 0; i < sizeof(T); ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
  void raw(std::span<const uint8_t> b) { out.insert(out.end(), b.begin(), b.end()); }
};

struct Reader {
  std::span<const uint8_t> in;
  size_t pos = 0;

  std::span<const uint8_t> take(size_t n, std::string_view what) {
    if (n > in.size() - pos)
      throw FormatError(fmt::format("truncated: {} needs {} bytes at offset {}, only {} left", what, n, pos,
                                    in.size() - pos));
    auto s = in.subspan(pos, n);
    pos += n;
    return s;
  }
  template <class T>
  T uint(std::string_view what) {
    auto b = take(sizeof(T), what);
    T v = 0;
    for (size_t i = 0; i < sizeof(T); ++i) v |= static_cast<T>(b[i]) << (8 * i);
    return v;
  }
  Hash32 hash(std::string_view what) {
    Hash32 h;
    auto b = take(32, what);
    std::copy(b.begin(), b.end(), h.begin());
    return h;
  }
  // A count of items of at least `min_item_bytes` each: bounded by what is left, so damage cannot
  // ask for a huge allocation.
  uint64_t count(uint64_t n, size_t min_item_bytes, std::string_view what) {
    if (min_item_bytes && n > (in.size() - pos) / min_item_bytes)
      throw FormatError(fmt::format("truncated or damaged: {} says {} at offset {}, more than the file holds", what,
                                    n, pos));
    return n;
  }
};

void write_parameters(Writer& w, const Parameters& p) {
  w.uint(p.stark.log_blowup);
  w.uint(p.stark.num_queries);
  w.uint(p.stark.grinding_bits);
  w.uint(p.stark.log_fri_arity);
  w.uint(p.stark.log_final_poly_len);
  w.uint(p.permutations_per_table);
}

void write_public_values(Writer& w, const PublicValues& v) {
  w.uint(v.chain_id);
  w.uint(v.block_number);
  for (const Hash32* h : {&v.block_hash, &v.parent_hash, &v.pre_state_root, &v.post_state_root,
                          &v.transactions_root, &v.receipts_root})
    w.raw(*h);
  w.uint(v.gas_used);
  w.uint(v.tx_count);
  w.raw(v.changes_digest);
  w.raw(v.previous_proof_digest);
}

void write_header(Writer& w, const ProofFile& f) {
  if (f.statement_id.size() > 255) throw FormatError("statement id longer than 255 bytes");
  w.uint(static_cast<uint8_t>(f.statement_id.size()));
  w.raw({reinterpret_cast<const uint8_t*>(f.statement_id.data()), f.statement_id.size()});
  w.uint(f.statement_version);
  write_parameters(w, f.parameters);
  write_public_values(w, f.public_values);
  w.uint(f.permutation_tables);
}

void write_segment_head(Writer& w, const Segment& s) {
  w.uint(static_cast<uint32_t>(s.tables.size()));
  for (uint32_t t : s.tables) w.uint(t);
}

// A proof of another format version: name its statement when the file says it (the statement id follows
// the version in every version so far), so that a proof of a retired statement is refused as such.
std::string version_error(uint32_t version, std::span<const uint8_t> bytes, size_t pos) {
  std::string statement;
  if (pos < bytes.size() && pos + 1 + bytes[pos] <= bytes.size())
    statement = std::string(reinterpret_cast<const char*>(bytes.data()) + pos + 1, bytes[pos]);
  const bool printable = !statement.empty() && std::all_of(statement.begin(), statement.end(), [](char c) {
    return c > ' ' && c < 127;
  });
  if (printable && version < kFormatVersion)
    return fmt::format("a proof of statement {} in proof format version {}, which this build no longer verifies (it "
                       "verifies format version {}): prove the block again",
                       statement, version, kFormatVersion);
  return fmt::format("unsupported proof format version {} (this build reads version {})", version, kFormatVersion);
}

size_t first_non_space(std::span<const uint8_t> b) {
  size_t i = 0;
  while (i < b.size() && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t')) ++i;
  return i;
}

}  // namespace

void seal(std::span<uint8_t> encoded) {
  const uint64_t c = crc64(encoded.first(encoded.size() - 8));
  for (size_t i = 0; i < 8; ++i) encoded[encoded.size() - 8 + i] = static_cast<uint8_t>(c >> (8 * i));
}

std::vector<uint8_t> encode(const ProofFile& f) {
  Writer w;
  w.raw(kMagic);
  w.uint(kFormatVersion);
  write_header(w, f);
  w.uint(static_cast<uint32_t>(f.segments.size()));
  for (const auto& s : f.segments) {
    write_segment_head(w, s);
    w.uint(static_cast<uint64_t>(s.stark_proof.size()));
    w.raw(s.stark_proof);
  }
  w.uint(crc64(w.out));
  return std::move(w.out);
}

ProofFile decode(std::span<const uint8_t> bytes) {
  Reader r{bytes};
  auto magic = r.take(kMagic.size(), "magic");
  if (!std::equal(magic.begin(), magic.end(), kMagic.begin()))
    throw FormatError("not a witprove proof: the file does not start with the magic \"WITPROOF\"");
  uint32_t version = r.uint<uint32_t>("format version");
  if (version != kFormatVersion) throw FormatError(version_error(version, bytes, r.pos));
  // The checksum comes before the detailed parse so that damage is named as such.
  if (bytes.size() < r.pos + 8) throw FormatError("truncated: no room for the checksum");
  uint64_t stored = stored_checksum(bytes);

  ProofFile f;
  auto parse_body = [&]() {
    Reader body{bytes.first(bytes.size() - 8), r.pos};
    auto id_len = body.uint<uint8_t>("statement id length");
    auto id = body.take(id_len, "statement id");
    f.statement_id.assign(id.begin(), id.end());
    f.statement_version = body.uint<uint32_t>("statement version");
    auto& p = f.parameters;
    p.stark.log_blowup = body.uint<uint32_t>("parameters");
    p.stark.num_queries = body.uint<uint32_t>("parameters");
    p.stark.grinding_bits = body.uint<uint32_t>("parameters");
    p.stark.log_fri_arity = body.uint<uint32_t>("parameters");
    p.stark.log_final_poly_len = body.uint<uint32_t>("parameters");
    p.permutations_per_table = body.uint<uint32_t>("parameters");
    auto& v = f.public_values;
    v.chain_id = body.uint<uint64_t>("chain id");
    v.block_number = body.uint<uint64_t>("block number");
    v.block_hash = body.hash("block hash");
    v.parent_hash = body.hash("parent hash");
    v.pre_state_root = body.hash("pre-state root");
    v.post_state_root = body.hash("post-state root");
    v.transactions_root = body.hash("transactions root");
    v.receipts_root = body.hash("receipts root");
    v.gas_used = body.uint<uint64_t>("gas used");
    v.tx_count = body.uint<uint64_t>("transaction count");
    v.changes_digest = body.hash("changes digest");
    v.previous_proof_digest = body.hash("previous proof digest");
    f.permutation_tables = body.uint<uint32_t>("permutation tables");
    auto n = body.count(body.uint<uint32_t>("segment count"), 12, "segment count");
    f.segments.resize(n);
    for (size_t i = 0; i < n; ++i) {
      auto& s = f.segments[i];
      auto nt = body.count(body.uint<uint32_t>("segment table count"), 4, "segment table count");
      s.tables.resize(nt);
      for (auto& t : s.tables) t = body.uint<uint32_t>("segment table");
      auto len = body.count(body.uint<uint64_t>("segment proof length"), 1, "segment proof length");
      auto proof = body.take(len, "segment proof");
      s.stark_proof.assign(proof.begin(), proof.end());
    }
    if (body.pos != body.in.size())
      throw FormatError(fmt::format("{} unexpected bytes after the last segment, at offset {}", body.in.size() - body.pos,
                                    body.pos));
  };
  if (crc64(bytes.first(bytes.size() - 8)) != stored) {
    // Say what the damage looks like when the structure tells (truncation, extra bytes); else a checksum error.
    try {
      parse_body();
    } catch (const FormatError& e) {
      throw FormatError(fmt::format("checksum mismatch, the file is damaged ({})", e.what()));
    }
    throw FormatError(fmt::format("checksum mismatch: the file is damaged ({} bytes; a byte was changed)", bytes.size()));
  }
  parse_body();
  return f;
}

Hash32 digest(const ProofFile& f) { return stark::sha256(encode(f)); }

std::vector<uint8_t> statement_bytes(const ProofFile& f) {
  Writer w;
  w.uint(kFormatVersion);
  write_header(w, f);
  w.uint(static_cast<uint32_t>(f.segments.size()));
  for (const auto& s : f.segments) write_segment_head(w, s);
  return std::move(w.out);
}

// ---- JSON ----

namespace {

std::string json_hash(const Hash32& h) { return fmt::format("\"{}\"", eth::to_hex(h)); }
std::string json_u64(uint64_t v) { return fmt::format("\"{}\"", v); }

struct JsonReader {
  // Errors name the JSON path; numbers where strings belong get the rounding explanation.
  static std::string_view string(simdjson::dom::element e, std::string_view path) {
    if (e.is_number())
      throw FormatError(fmt::format(
          "JSON proof: {} is a number, but every 64-bit value and hash must be a string (numbers above 2^53 are "
          "rounded by tools such as jq, which corrupts a proof)",
          path));
    std::string_view s;
    if (e.get_string().get(s)) throw FormatError(fmt::format("JSON proof: {} must be a string", path));
    return s;
  }
  static simdjson::dom::element field(simdjson::dom::object o, std::string_view key, std::string_view path) {
    simdjson::dom::element e;
    if (o[key].get(e)) throw FormatError(fmt::format("JSON proof: missing {}.{}", path, key));
    return e;
  }
  static simdjson::dom::object object(simdjson::dom::element e, std::string_view path) {
    simdjson::dom::object o;
    if (e.get_object().get(o)) throw FormatError(fmt::format("JSON proof: {} must be an object", path));
    return o;
  }
  static simdjson::dom::array array(simdjson::dom::element e, std::string_view path) {
    simdjson::dom::array a;
    if (e.get_array().get(a)) throw FormatError(fmt::format("JSON proof: {} must be an array", path));
    return a;
  }
  static uint64_t u64_of(simdjson::dom::element e, std::string_view path) {
    auto s = string(e, path);
    uint64_t v = 0;
    bool ok = !s.empty() && s.size() <= 20;
    for (char c : s)
      ok = ok && c >= '0' && c <= '9' && !__builtin_mul_overflow(v, 10, &v) && !__builtin_add_overflow(v, uint64_t(c - '0'), &v);
    if (!ok) throw FormatError(fmt::format("JSON proof: {} is not a decimal 64-bit value", path));
    return v;
  }
  static uint64_t u64(simdjson::dom::object o, std::string_view key, std::string_view path) {
    return u64_of(field(o, key, path), fmt::format("{}.{}", path, key));
  }
  static uint32_t u32(simdjson::dom::object o, std::string_view key, std::string_view path) {
    uint64_t v = u64(o, key, path);
    if (v > UINT32_MAX) throw FormatError(fmt::format("JSON proof: {}.{} exceeds 32 bits", path, key));
    return static_cast<uint32_t>(v);
  }
  static Hash32 hash_of(simdjson::dom::element e, std::string_view path) {
    auto s = string(e, path);
    auto h = s.size() == 66 ? eth::hex_to_fixed<32>(s) : std::nullopt;
    if (!h) throw FormatError(fmt::format("JSON proof: {} is not a 0x-prefixed 32-byte hex hash", path));
    return *h;
  }
  static Hash32 hash(simdjson::dom::object o, std::string_view key, std::string_view path) {
    return hash_of(field(o, key, path), fmt::format("{}.{}", path, key));
  }
};

}  // namespace

std::string public_values_json(const PublicValues& v) {
  return fmt::format(
      "{{\"chain_id\":{},\"block_number\":{},\"block_hash\":{},\"parent_hash\":{},\"pre_state_root\":{},"
      "\"post_state_root\":{},\"transactions_root\":{},\"receipts_root\":{},\"gas_used\":{},\"tx_count\":{},"
      "\"changes_digest\":{},\"previous_proof_digest\":{}}}",
      json_u64(v.chain_id), json_u64(v.block_number), json_hash(v.block_hash), json_hash(v.parent_hash),
      json_hash(v.pre_state_root), json_hash(v.post_state_root), json_hash(v.transactions_root),
      json_hash(v.receipts_root), json_u64(v.gas_used), json_u64(v.tx_count), json_hash(v.changes_digest),
      json_hash(v.previous_proof_digest));
}

std::string to_json(const ProofFile& f) {
  const auto& p = f.parameters;
  std::string out = fmt::format(
      "{{\"format\":\"witprove-proof\",\"format_version\":{},\"statement\":{{\"id\":\"{}\",\"version\":{}}},"
      "\"parameters\":{{\"log_blowup\":{},\"num_queries\":{},\"grinding_bits\":{},\"log_fri_arity\":{},"
      "\"log_final_poly_len\":{},\"permutations_per_table\":{}}},\"public_values\":{},"
      "\"permutation_tables\":{},\"segments\":[",
      json_u64(kFormatVersion), f.statement_id, json_u64(f.statement_version), json_u64(p.stark.log_blowup),
      json_u64(p.stark.num_queries), json_u64(p.stark.grinding_bits), json_u64(p.stark.log_fri_arity),
      json_u64(p.stark.log_final_poly_len), json_u64(p.permutations_per_table), public_values_json(f.public_values),
      json_u64(f.permutation_tables));
  for (size_t i = 0; i < f.segments.size(); ++i) {
    const auto& s = f.segments[i];
    out += fmt::format("{}{{\"tables\":[", i ? "," : "");
    for (size_t k = 0; k < s.tables.size(); ++k) out += fmt::format("{}{}", k ? "," : "", json_u64(s.tables[k]));
    out += fmt::format("],\"stark_proof\":\"{}\"}}", eth::to_hex(s.stark_proof));
  }
  // The checksum of the binary form lets a reader notice edits made to the JSON.
  out += fmt::format("],\"checksum\":{}}}\n", json_u64(stored_checksum(encode(f))));
  return out;
}

ProofFile from_json(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(json);
  simdjson::dom::element root;
  if (auto err = parser.parse(padded).get(root))
    throw FormatError(fmt::format("JSON proof: not valid JSON ({})", simdjson::error_message(err)));
  if (root.is_array()) {
    simdjson::dom::array a = root.get_array();
    bool numbers = a.size() > 0;
    for (auto e : a) numbers = numbers && e.is_number();
    throw FormatError(numbers ? "JSON proof: a plain array of numbers, not a witprove proof (a proof passed through "
                                "a tool as numbers loses precision above 2^53); export it with "
                                "verify-proof --export-json, which writes every 64-bit value as a string"
                              : "JSON proof: an array, but a witprove proof is a JSON object");
  }
  using R = JsonReader;
  auto top = R::object(root, "the document");
  std::string_view format = R::string(R::field(top, "format", "$"), "$.format");
  if (format != "witprove-proof") throw FormatError(fmt::format("JSON proof: format is \"{}\", not \"witprove-proof\"", format));
  uint32_t version = R::u32(top, "format_version", "$");
  if (version != kFormatVersion)
    throw FormatError(fmt::format("unsupported proof format version {} (this build reads version {})", version,
                                  kFormatVersion));
  ProofFile f;
  auto st = R::object(R::field(top, "statement", "$"), "$.statement");
  f.statement_id = std::string(R::string(R::field(st, "id", "$.statement"), "$.statement.id"));
  f.statement_version = R::u32(st, "version", "$.statement");
  auto po = R::object(R::field(top, "parameters", "$"), "$.parameters");
  auto& p = f.parameters;
  p.stark.log_blowup = R::u32(po, "log_blowup", "$.parameters");
  p.stark.num_queries = R::u32(po, "num_queries", "$.parameters");
  p.stark.grinding_bits = R::u32(po, "grinding_bits", "$.parameters");
  p.stark.log_fri_arity = R::u32(po, "log_fri_arity", "$.parameters");
  p.stark.log_final_poly_len = R::u32(po, "log_final_poly_len", "$.parameters");
  p.permutations_per_table = R::u32(po, "permutations_per_table", "$.parameters");
  auto vo = R::object(R::field(top, "public_values", "$"), "$.public_values");
  constexpr std::string_view pv = "$.public_values";
  auto& v = f.public_values;
  v.chain_id = R::u64(vo, "chain_id", pv);
  v.block_number = R::u64(vo, "block_number", pv);
  v.block_hash = R::hash(vo, "block_hash", pv);
  v.parent_hash = R::hash(vo, "parent_hash", pv);
  v.pre_state_root = R::hash(vo, "pre_state_root", pv);
  v.post_state_root = R::hash(vo, "post_state_root", pv);
  v.transactions_root = R::hash(vo, "transactions_root", pv);
  v.receipts_root = R::hash(vo, "receipts_root", pv);
  v.gas_used = R::u64(vo, "gas_used", pv);
  v.tx_count = R::u64(vo, "tx_count", pv);
  v.changes_digest = R::hash(vo, "changes_digest", pv);
  v.previous_proof_digest = R::hash(vo, "previous_proof_digest", pv);
  f.permutation_tables = R::u32(top, "permutation_tables", "$");
  size_t i = 0;
  for (auto se : R::array(R::field(top, "segments", "$"), "$.segments")) {
    auto path = fmt::format("$.segments[{}]", i++);
    auto so = R::object(se, path);
    Segment s;
    size_t k = 0;
    for (auto t : R::array(R::field(so, "tables", path), path + ".tables")) {
      const auto at = fmt::format("{}.tables[{}]", path, k++);
      const uint64_t v = R::u64_of(t, at);
      if (v > UINT32_MAX) throw FormatError(fmt::format("JSON proof: {} exceeds 32 bits", at));
      s.tables.push_back(static_cast<uint32_t>(v));
    }
    auto proof_hex = R::string(R::field(so, "stark_proof", path), path + ".stark_proof");
    auto bytes = proof_hex.starts_with("0x") ? eth::hex_to_bytes(proof_hex) : std::nullopt;
    if (!bytes || proof_hex.size() % 2) throw FormatError(fmt::format("JSON proof: {}.stark_proof is not 0x-prefixed hex", path));
    s.stark_proof = std::move(*bytes);
    f.segments.push_back(std::move(s));
  }
  uint64_t checksum = R::u64(top, "checksum", "$");
  if (stored_checksum(encode(f)) != checksum) throw FormatError("JSON proof: checksum mismatch, a value was changed");
  return f;
}

ProofFile parse(std::span<const uint8_t> bytes) {
  size_t i = first_non_space(bytes);
  if (i < bytes.size() && (bytes[i] == '{' || bytes[i] == '['))
    return from_json({reinterpret_cast<const char*>(bytes.data()), bytes.size()});
  return decode(bytes);
}

ProofFile read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw FormatError(fmt::format("{}: cannot open: {}", path.string(), std::strerror(errno)));
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  try {
    return parse(bytes);
  } catch (const FormatError& e) {
    throw FormatError(fmt::format("{}: {}", path.string(), e.what()));
  }
}

void write_file_atomic(const std::filesystem::path& path, std::span<const uint8_t> bytes) {
  auto tmp = path;
  tmp += fmt::format(".tmp{}", ::getpid());
  {
    std::FILE* out = std::fopen(tmp.c_str(), "wb");
    if (!out) throw std::runtime_error(fmt::format("{}: cannot write: {}", tmp.string(), std::strerror(errno)));
    bool ok = std::fwrite(bytes.data(), 1, bytes.size(), out) == bytes.size();
    ok = (std::fflush(out) == 0) && ok;
    ok = (::fsync(::fileno(out)) == 0) && ok;
    ok = (std::fclose(out) == 0) && ok;
    if (!ok) {
      std::filesystem::remove(tmp);
      throw std::runtime_error(fmt::format("{}: write failed: {}", tmp.string(), std::strerror(errno)));
    }
  }
  std::filesystem::rename(tmp, path);
}

void write_file_atomic(const std::filesystem::path& path, std::string_view text) {
  write_file_atomic(path, std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
}

}  // namespace witprove::proof
