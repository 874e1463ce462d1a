// Proof codec. Layout (little-endian): u32 table count, then per table
//   u32 log_height | main root | u8 has_aux [aux root] | Fp4 lookup sum | quotient root |
//   7 x Fp4 vector (fixed at zeta, fixed at zeta·w, main at zeta, main at zeta·w, aux at zeta, aux at zeta·w,
//   quotient chunks at zeta) | 4 x tree opening (fixed, main, aux, quotient)
// then FRI: Digest vector (layer roots) | Fp4 vector (final polynomial) | u64 nonce | u32 count + tree openings.
// Vectors are u32 count + items; a tree opening is u32 rows, u32 row width, the rows' Fp values, then a
// Digest vector of siblings. Fp is a canonical u32 (< p), Fp4 four of them (coefficients of 1, x, x^2, x^3).
#include <fmt/format.h>

#include <cstring>

#include "stark/protocol.hpp"
#include "stark/stark.hpp"

namespace witprove::stark {
namespace {

class Writer {
 public:
  std::vector<uint8_t> out;
  void u8(uint8_t x) { out.push_back(x); }
  void u32(uint32_t x) { raw(&x, 4); }
  void u64(uint64_t x) { raw(&x, 8); }
  void fp(Fp x) { u32(x.value()); }
  void fp4(Fp4 x) {
    for (Fp c : x.c) fp(c);
  }
  void digest(const Digest& d) { raw(d.data(), d.size()); }
  void fp4s(const std::vector<Fp4>& v) {
    u32(static_cast<uint32_t>(v.size()));
    for (auto x : v) fp4(x);
  }
  void digests(const std::vector<Digest>& v) {
    u32(static_cast<uint32_t>(v.size()));
    for (const auto& d : v) digest(d);
  }
  void opening(const TreeOpening& o) {
    u32(static_cast<uint32_t>(o.rows.size()));
    u32(static_cast<uint32_t>(o.rows.empty() ? 0 : o.rows[0].size()));
    for (const auto& r : o.rows)
      for (Fp x : r) fp(x);
    digests(o.siblings);
  }

 private:
  void raw(const void* p, size_t n) {
    auto b = static_cast<const uint8_t*>(p);
    out.insert(out.end(), b, b + n);
  }
};

struct DecodeError {
  std::string what;
};

class Reader {
 public:
  explicit Reader(ByteView in) : in_(in) {}
  size_t remaining() const { return in_.size() - pos_; }
  uint8_t u8() { return *take(1); }
  uint32_t u32() { uint32_t x; std::memcpy(&x, take(4), 4); return x; }
  uint64_t u64() { uint64_t x; std::memcpy(&x, take(8), 8); return x; }
  Fp fp() {
    uint32_t v = u32();
    if (v >= Fp::P) fail(fmt::format("non-canonical field element at byte {}", pos_ - 4));
    return Fp(v);
  }
  Fp4 fp4() {
    Fp4 x;
    for (Fp& c : x.c) c = fp();
    return x;
  }
  Digest digest() { Digest d; std::memcpy(d.data(), take(32), 32); return d; }
  // A count of items of `item_bytes` each, at most `limit` and no more than the bytes left could hold.
  size_t count(size_t item_bytes, size_t limit, std::string_view what) {
    size_t n = u32();
    if (n > limit) fail(fmt::format("{}: count {} exceeds the limit {}", what, n, limit));
    if (item_bytes && n > remaining() / item_bytes) fail(fmt::format("{}: count {} runs past the end", what, n));
    return n;
  }
  std::vector<Fp4> fp4s(size_t limit, std::string_view what) {
    std::vector<Fp4> v(count(Fp4::D * sizeof(uint32_t), limit, what));
    for (auto& x : v) x = fp4();
    return v;
  }
  std::vector<Digest> digests(size_t limit, std::string_view what) {
    std::vector<Digest> v(count(32, limit, what));
    for (auto& d : v) d = digest();
    return v;
  }
  TreeOpening opening(size_t max_rows, size_t max_siblings, std::string_view what) {
    TreeOpening o;
    size_t rows = count(0, max_rows, what);
    size_t width = u32();
    if (rows == 0 && width != 0) fail(fmt::format("{}: row width {} without rows", what, width));
    if (rows && (width == 0 || width > remaining() / sizeof(uint32_t) / rows)) fail(fmt::format("{}: row width {} runs past the end", what, width));
    o.rows.assign(rows, std::vector<Fp>(width));
    for (auto& r : o.rows)
      for (auto& x : r) x = fp();
    o.siblings = digests(max_siblings, what);
    return o;
  }
  [[noreturn]] void fail(std::string what) const { throw DecodeError{std::move(what)}; }

 private:
  const uint8_t* take(size_t n) {
    if (remaining() < n) fail(fmt::format("truncated at byte {}", pos_));
    const uint8_t* p = in_.data() + pos_;
    pos_ += n;
    return p;
  }
  ByteView in_;
  size_t pos_ = 0;
};

constexpr size_t kMaxTables = 256;
constexpr size_t kMaxColumns = size_t{1} << 20;

}  // namespace

std::vector<uint8_t> serialize(const Proof& proof) {
  Writer w;
  w.u32(static_cast<uint32_t>(proof.tables.size()));
  for (const auto& t : proof.tables) {
    w.u32(t.log_height);
    w.digest(t.main_root);
    w.u8(t.aux_root ? 1 : 0);
    if (t.aux_root) w.digest(*t.aux_root);
    w.fp4(t.lookup_sum);
    w.digest(t.quotient_root);
    for (const auto* v : {&t.fixed_local, &t.fixed_next, &t.main_local, &t.main_next, &t.aux_local, &t.aux_next,
                          &t.quotient_chunks})
      w.fp4s(*v);
    for (const auto* o : {&t.fixed_opening, &t.main_opening, &t.aux_opening, &t.quotient_opening}) w.opening(*o);
  }
  w.digests(proof.fri.layer_roots);
  w.fp4s(proof.fri.final_poly);
  w.u64(proof.fri.pow_nonce);
  w.u32(static_cast<uint32_t>(proof.fri.layer_openings.size()));
  for (const auto& o : proof.fri.layer_openings) w.opening(o);
  return std::move(w.out);
}

std::variant<Proof, std::string> deserialize(ByteView bytes, const StarkParams& params) {
  if (auto e = validate(params)) return *e;
  // A batch opening of q leaves in a tree of at most 2^(kMaxLogHeight + blowup) leaves needs fewer than
  // q * depth siblings; FRI has at most one layer per folded bit.
  const size_t queries = params.num_queries;
  const size_t depth = protocol::max_log_height(params) + params.log_blowup;
  const size_t max_siblings = queries * depth;
  Reader r(bytes);
  try {
    Proof p;
    p.tables.resize(r.count(4, kMaxTables, "table count"));
    for (auto& t : p.tables) {
      t.log_height = r.u32();
      if (t.log_height < 1 || t.log_height > protocol::max_log_height(params)) r.fail(fmt::format("table height 2^{} out of range", t.log_height));
      t.main_root = r.digest();
      uint8_t has_aux = r.u8();
      if (has_aux > 1) r.fail("auxiliary flag is not 0 or 1");
      if (has_aux) t.aux_root = r.digest();
      t.lookup_sum = r.fp4();
      t.quotient_root = r.digest();
      for (auto* v : {&t.fixed_local, &t.fixed_next, &t.main_local, &t.main_next, &t.aux_local, &t.aux_next,
                      &t.quotient_chunks})
        *v = r.fp4s(kMaxColumns, "out-of-domain values");
      for (auto* o : {&t.fixed_opening, &t.main_opening, &t.aux_opening, &t.quotient_opening})
        *o = r.opening(queries, max_siblings, "table opening");
    }
    p.fri.layer_roots = r.digests(depth, "FRI layer roots");
    p.fri.final_poly = r.fp4s(size_t{1} << params.log_final_poly_len, "final polynomial");
    p.fri.pow_nonce = r.u64();
    p.fri.layer_openings.resize(r.count(4, depth, "FRI openings"));
    for (auto& o : p.fri.layer_openings) o = r.opening(queries, max_siblings, "FRI opening");
    if (r.remaining()) r.fail(fmt::format("{} trailing bytes", r.remaining()));
    return p;
  } catch (const DecodeError& e) {
    return "malformed proof: " + e.what;
  }
}

}  // namespace witprove::stark
