// libFuzzer target: reading a source of arbitrary bytes as standard input would be (scripts/fuzz.sh source):
// tar archives of any compression, compressed or plain JSON, detected by content, then each entry's blocks
// parsed. The bytes are handed over as an in-memory file.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <string>

#include "witness/source.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace witprove::witness;
  const int fd = ::memfd_create("fuzz-source", MFD_CLOEXEC);
  if (fd < 0) return 0;
  if (::write(fd, data, size) == static_cast<ssize_t>(size)) {
    try {
      SourceReader reader("/proc/self/fd/" + std::to_string(fd), {uint64_t{1} << 24, {}});
      while (auto entry = reader.next()) (void)parse_entry(*entry);
    } catch (const SourceError&) {
    }
  }
  ::close(fd);
  return 0;
}
