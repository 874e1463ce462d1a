// Test helper: writes tar archives and compressed single files with libarchive, so that tests make their
// own archives of every kind a source may be.
#pragma once

#include <archive.h>
#include <archive_entry.h>

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

}  // namespace witprove::test
