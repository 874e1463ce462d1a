// Merkle trees written to an unnamed temporary file and read back: a segment's first pass kept for its
// proof, so that the proof extends its fixed and main columns again but does not hash them again. (Keeping
// the extensions too would save more, but writing them out costs more than computing them again wherever
// the disk writes slower than a few GB/s.) Internal to lib/stark.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "stark/merkle.hpp"

namespace witprove::stark::pcs {  // beside the commitments it keeps

class Spill {
 public:
  // Opens an unnamed file in `directory` (O_TMPFILE, or a name removed at once where the file system has
  // no unnamed files): nothing is left behind however the process ends. Throws std::system_error.
  explicit Spill(const std::string& directory);
  ~Spill();
  Spill(const Spill&) = delete;
  Spill& operator=(const Spill&) = delete;

  // Appends a tree. Throws std::system_error (a full disk, say).
  void write(const MerkleTree& tree);
  // The i-th tree written. Throws std::system_error, std::out_of_range.
  MerkleTree read(size_t i) const;

 private:
  struct Entry {
    uint64_t offset = 0;
    size_t leaves = 0;
  };
  int fd_ = -1;
  uint64_t size_ = 0;
  std::vector<Entry> entries_;
};

}  // namespace witprove::stark::pcs
