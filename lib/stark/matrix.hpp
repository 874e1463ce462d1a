// The prover's matrices: column-major storage (on large blocks, stark/buffer.hpp), gathering rows for
// hashing and constraint evaluation, and a phase timer. Internal to lib/stark.
#pragma once

#include <algorithm>
#include <chrono>
#include <span>
#include <vector>

#include "stark/buffer.hpp"
#include "stark/field.hpp"

namespace witprove::stark {

// Adds the seconds from construction to destruction to a timing slot.
class PhaseTimer {
 public:
  explicit PhaseTimer(double& slot) : slot_(slot), start_(std::chrono::steady_clock::now()) {}
  ~PhaseTimer() { slot_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count(); }

 private:
  double& slot_;
  std::chrono::steady_clock::time_point start_;
};

// Column-major matrix: column c is data[c * height, (c + 1) * height).
struct ColumnMatrix {
  size_t width = 0, height = 0;
  std::vector<Fp, LargeBlockAllocator<Fp>> data;
  ColumnMatrix() = default;
  ColumnMatrix(size_t w, size_t h) : width(w), height(h), data(w * h) {}
  std::span<Fp> column(size_t c) { return {data.data() + c * height, height}; }
  std::span<const Fp> column(size_t c) const { return {data.data() + c * height, height}; }
};

// Copies rows row_at(0), ..., row_at(count - 1) into a row-major buffer. Columns are taken eight at a time
// so that each output row receives whole cache lines (2.5x faster than column by column).
template <class RowAt>
void gather_rows_at(const ColumnMatrix& m, size_t count, RowAt row_at, Fp* out) {
  constexpr size_t kTile = 8;
  size_t c = 0;
  for (; c + kTile <= m.width; c += kTile) {
    const Fp* cols[kTile];
    for (size_t k = 0; k < kTile; ++k) cols[k] = m.data.data() + (c + k) * m.height;
    for (size_t i = 0; i < count; ++i) {
      size_t r = row_at(i);
      Fp* dst = out + i * m.width + c;
      for (size_t k = 0; k < kTile; ++k) dst[k] = cols[k][r];
    }
  }
  for (; c < m.width; ++c) {
    const Fp* col = m.data.data() + c * m.height;
    for (size_t i = 0; i < count; ++i) out[i * m.width + c] = col[row_at(i)];
  }
}

inline void gather_rows(const ColumnMatrix& m, size_t first, size_t count, Fp* out) {
  gather_rows_at(m, count, [first](size_t i) { return first + i; }, out);
}

inline void gather_rows(const ColumnMatrix& m, std::span<const size_t> rows, Fp* out) {
  gather_rows_at(m, rows.size(), [rows](size_t i) { return rows[i]; }, out);
}

// Rows per block when walking a matrix row by row: about 256 KiB of row data.
inline size_t rows_per_block(size_t width) { return std::clamp<size_t>((size_t{1} << 15) / std::max<size_t>(width, 1), 4, 1024); }

}  // namespace witprove::stark
