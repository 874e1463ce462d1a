#include "stark/spill.hpp"

#include <fcntl.h>
#include <tbb/parallel_for.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <stdexcept>
#include <system_error>

namespace witprove::stark::pcs {
namespace {

[[noreturn]] void throw_errno(const char* what) { throw std::system_error(errno, std::generic_category(), what); }

// pwrite or pread of `bytes` at `offset`, in chunks of 64 MiB run in parallel (to and from the page cache
// the copy is the cost).
void transfer(bool write, int fd, uint8_t* data, uint64_t bytes, uint64_t offset) {
  constexpr uint64_t kChunk = uint64_t{1} << 26;
  std::atomic<int> error{0};
  tbb::parallel_for(uint64_t{0}, (bytes + kChunk - 1) / kChunk, [&](uint64_t k) {
    uint64_t done = k * kChunk;
    const uint64_t end = std::min(bytes, done + kChunk);
    while (done < end && !error.load()) {
      const ssize_t n = write ? ::pwrite(fd, data + done, end - done, static_cast<off_t>(offset + done))
                              : ::pread(fd, data + done, end - done, static_cast<off_t>(offset + done));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        error = n < 0 ? errno : EIO;  // a read that ends early: the file was cut short
        break;
      }
      done += static_cast<uint64_t>(n);
    }
  });
  if (error) {
    errno = error;
    throw_errno(write ? "writing the kept trees" : "reading the kept trees back");
  }
}

}  // namespace

Spill::Spill(const std::string& directory) {
  fd_ = ::open(directory.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd_ < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
    std::string name = directory + "/witprove-kept-XXXXXX";
    fd_ = ::mkostemp(name.data(), O_CLOEXEC);
    if (fd_ >= 0) ::unlink(name.c_str());
  }
  if (fd_ < 0) throw_errno(("a file in " + directory).c_str());
}

Spill::~Spill() {
  if (fd_ >= 0) ::close(fd_);
}

void Spill::write(const MerkleTree& tree) {
  const uint64_t bytes = tree.nodes.size() * sizeof(Digest);
  transfer(true, fd_, const_cast<Digest*>(tree.nodes.data())->data(), bytes, size_);
  entries_.push_back({size_, tree.num_leaves});
  size_ += bytes;
}

MerkleTree Spill::read(size_t i) const {
  const Entry& e = entries_.at(i);
  MerkleTree t;
  t.num_leaves = e.leaves;
  t.nodes.resize(2 * e.leaves);
  transfer(false, fd_, t.nodes.data()->data(), t.nodes.size() * sizeof(Digest), e.offset);
  return t;
}

}  // namespace witprove::stark::pcs
