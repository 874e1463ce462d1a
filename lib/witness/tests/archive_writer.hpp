// Test helper: writes tar archives and compressed single files with libarchive, so that tests make their
// own archives of every kind a source may be.
#pragma once

#include <archive.h>
#include <archive_entry.h>

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace witprove::test {

enum class Compression { none, gzip, xz, bzip2, zstd };

inline void add_compression(archive* a, Compression c) {
  int rc = ARCHIVE_OK;
  switch (c) {
    case Compression::none: break;
    case Compression::gzip: rc = archive_write_add_filter_gzip(a); break;
    case Compression::xz:
      rc = archive_write_add_filter_xz(a);
      if (rc == ARCHIVE_OK) rc = archive_write_set_filter_option(a, "xz", "compression-level", "1");  // fast tests
      break;
    case Compression::bzip2: rc = archive_write_add_filter_bzip2(a); break;
    case Compression::zstd: rc = archive_write_add_filter_zstd(a); break;
  }
  if (rc != ARCHIVE_OK) throw std::runtime_error(archive_error_string(a));
}

// A tar archive holding `members` (name, content), compressed as asked.
inline void write_tar(const std::filesystem::path& path, const std::vector<std::pair<std::string, std::string>>& members,
                      Compression c) {
  archive* a = archive_write_new();
  add_compression(a, c);
  archive_write_set_format_pax_restricted(a);
  if (archive_write_open_filename(a, path.c_str()) != ARCHIVE_OK) throw std::runtime_error(archive_error_string(a));
  for (const auto& [name, content] : members) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, name.c_str());
    archive_entry_set_size(e, static_cast<la_int64_t>(content.size()));
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_write_header(a, e);
    archive_write_data(a, content.data(), content.size());
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
}

// One file compressed on its own (x.json.gz and the like).
inline void write_compressed(const std::filesystem::path& path, const std::string& content, Compression c) {
  archive* a = archive_write_new();
  add_compression(a, c);
  archive_write_set_format_raw(a);
  if (archive_write_open_filename(a, path.c_str()) != ARCHIVE_OK) throw std::runtime_error(archive_error_string(a));
  archive_entry* e = archive_entry_new();
  archive_entry_set_filetype(e, AE_IFREG);
  archive_write_header(a, e);
  archive_write_data(a, content.data(), content.size());
  archive_entry_free(e);
  archive_write_close(a);
  archive_write_free(a);
}

// One tar member written by hand: a ustar header whose size field says `claimed` bytes (base-256 when too
// large for octal), then `content` padded to whole 512-byte blocks. For archives that lie about a size.
inline std::string tar_member(const std::string& name, const std::string& content, uint64_t claimed) {
  std::string header(512, '\0');
  auto octal = [&](size_t at, size_t digits, uint64_t value) {
    for (size_t i = digits; i-- > 0; value >>= 3) header[at + i] = static_cast<char>('0' + (value & 7));
  };
  name.copy(header.data(), 99);
  octal(100, 7, 0644);  // mode
  octal(108, 7, 0);     // uid
  octal(116, 7, 0);     // gid
  if (claimed < uint64_t{1} << 33) {
    octal(124, 11, claimed);
  } else {
    header[124] = static_cast<char>(0x80);
    for (size_t i = 0; i < 8; ++i) header[135 - i] = static_cast<char>(claimed >> (8 * i));
  }
  octal(136, 11, 0);  // mtime
  header[156] = '0';  // a regular file
  header.replace(257, 8, std::string("ustar\0" "00", 8));
  header.replace(148, 8, 8, ' ');  // the checksum counts its own field as spaces
  unsigned sum = 0;
  for (char c : header) sum += static_cast<unsigned char>(c);
  octal(148, 6, sum);
  header[154] = '\0';
  return header + content + std::string((512 - content.size() % 512) % 512, '\0');
}

// The two zero blocks that end a tar archive.
inline std::string tar_end() { return std::string(1024, '\0'); }

}  // namespace witprove::test
