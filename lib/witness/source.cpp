#include "witness/source.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <unordered_map>

namespace witprove::witness {

namespace fs = std::filesystem;

namespace {

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

constexpr std::string_view compressed_suffixes[] = {".gz", ".xz", ".bz2", ".zst"};

// "x.json.gz" -> "x.json"; other names unchanged.
std::string strip_compression(std::string name) {
  for (std::string_view suffix : compressed_suffixes)
    if (ends_with(name, suffix)) return name.substr(0, name.size() - suffix.size());
  return name;
}

// A witness candidate in a directory or archive: *.json, possibly compressed.
bool is_json_name(std::string_view name) { return ends_with(strip_compression(std::string(name)), ".json"); }

// What macOS adds to folders and archives: AppleDouble `._*` files, `.DS_Store`, and `__MACOSX/` folders.
bool is_macos_metadata(std::string_view path) {
  std::string_view base = path.substr(path.rfind('/') + 1);
  bool in_macosx = path.starts_with("__MACOSX/") || path.find("/__MACOSX/") != std::string_view::npos;
  return base.starts_with("._") || base == ".DS_Store" || in_macosx;
}

// Why the folder's file or archive member `path` is not read as a witness; empty when it is read.
std::string_view skip_reason(std::string_view path) {
  if (is_macos_metadata(path)) return "macOS metadata";
  if (!is_json_name(path)) return "not a .json file";
  return {};
}

// "1 GiB", "512 MiB", "1000 bytes".
std::string byte_size_text(uint64_t n) {
  constexpr std::pair<unsigned, std::string_view> units[] = {{40, "TiB"}, {30, "GiB"}, {20, "MiB"}, {10, "KiB"}};
  for (auto [shift, unit] : units)
    if (n >= uint64_t{1} << shift && n % (uint64_t{1} << shift) == 0) return fmt::format("{} {}", n >> shift, unit);
  return fmt::format("{} bytes", n);
}

std::string too_large(uint64_t limit) {
  return fmt::format("larger than the {} limit (--max-witness-size)", byte_size_text(limit));
}

SourceEntry entry_error(const std::string& name, const std::string& error) {
  return SourceEntry{make_json_file(name, {}), fmt::format("{}: {}", name, error)};
}

// Text read from a source, with each run of whitespace outside strings kept as one space: the parser sees
// the same tokens (a run still separates two of them), and whitespace padding costs no memory. The limit
// counts the bytes read, before compaction.
class JsonText {
 public:
  explicit JsonText(uint64_t limit) : limit_(limit) {}

  void reserve(uint64_t bytes) { text_.reserve(std::min(bytes, limit_) + json_padding); }

  // Appends `n` bytes read; false, appending nothing, when the bytes read would pass the limit. Capacity
  // grows by doubling but never past limit + json_padding.
  [[nodiscard]] bool append(const char* data, size_t n) {
    if (n > limit_ - read_) return false;
    read_ += n;
    if (text_.size() + n > text_.capacity())
      text_.reserve(std::min<uint64_t>(std::max(2 * text_.capacity(), text_.size() + n), limit_) + json_padding);
    size_t i = 0;
    while (i < n) {
      if (in_string_) {  // copy up to and including the closing quote; memchr keeps long hex strings fast
        if (escaped_) {
          text_.push_back(data[i++]);
          escaped_ = false;
          continue;
        }
        const char* from = data + i;
        const char* quote = static_cast<const char*>(std::memchr(from, '"', n - i));
        const char* end = quote ? quote : data + n;
        if (const char* backslash = static_cast<const char*>(std::memchr(from, '\\', static_cast<size_t>(end - from)))) {
          text_.append(from, static_cast<size_t>(backslash + 1 - from));
          escaped_ = true;
          i = static_cast<size_t>(backslash + 1 - data);
          continue;
        }
        text_.append(from, static_cast<size_t>(end - from) + (quote ? 1 : 0));
        in_string_ = quote == nullptr;
        i = static_cast<size_t>(end - data) + (quote ? 1 : 0);
        continue;
      }
      const char c = data[i++];
      const bool space = c == ' ' || c == '\n' || c == '\r' || c == '\t';
      if (space && after_space_) continue;
      after_space_ = space;
      in_string_ = c == '"';
      text_.push_back(space ? ' ' : c);
    }
    return true;
  }

  std::string take() { return std::move(text_); }

 private:
  std::string text_;
  uint64_t read_ = 0, limit_;
  bool in_string_ = false, escaped_ = false, after_space_ = false;
};

std::optional<SourceEntry> read_plain_file(const fs::path& path, uint64_t limit) {
  std::string name = path.filename().string();
  std::ifstream in(path, std::ios::binary);
  JsonText text(limit);
  if (in) {
    in.seekg(0, std::ios::end);
    auto size = in.tellg();
    in.seekg(0);
    if (size >= 0 && static_cast<uint64_t>(size) > limit) return entry_error(name, too_large(limit));
    if (size >= 0) text.reserve(static_cast<uint64_t>(size));  // untouched capacity is not resident
    char buffer[1 << 16];
    while (in.read(buffer, sizeof buffer) || in.gcount() > 0)
      if (!text.append(buffer, static_cast<size_t>(in.gcount()))) return entry_error(name, too_large(limit));
    if (in.bad()) return entry_error(name, fmt::format("cannot read {}", path.string()));
    return SourceEntry{make_json_file(name, text.take()), {}};
  }
  return entry_error(name, fmt::format("cannot read {}", path.string()));
}

// A libarchive read handle: a tar archive (any compression) or else one raw stream; or, for a compressed
// JSON file, always one raw stream (a run of zero bytes would pass for an empty tar archive).
struct Archive {
  archive* handle = archive_read_new();

  explicit Archive(bool tar) {
    archive_read_support_filter_all(handle);
    if (tar) archive_read_support_format_tar(handle);
    archive_read_support_format_raw(handle);  // last resort: the whole stream is one file
  }
  ~Archive() { archive_read_free(handle); }
  Archive(const Archive&) = delete;
  Archive& operator=(const Archive&) = delete;

  std::string error() const {
    const char* e = archive_error_string(handle);
    return e ? e : "unknown archive error";
  }
};

enum class DataRead { ok, too_large, damaged };

// The current entry's data, never more than `limit` bytes read. An entry that claims or yields more is
// too_large and the rest of its data is skipped, so an archive goes on with its next member; damaged: the
// stream cannot be read further.
DataRead read_entry_data(Archive& a, archive_entry* entry, uint64_t limit, std::string& out) {
  JsonText text(limit);
  if (archive_entry_size_is_set(entry)) {
    auto claimed = static_cast<uint64_t>(std::max<la_int64_t>(archive_entry_size(entry), 0));
    if (claimed > limit) {
      archive_read_data_skip(a.handle);  // a failure shows as damage at the next header
      return DataRead::too_large;
    }
    text.reserve(claimed);
  }
  char buffer[1 << 16];
  for (;;) {
    la_ssize_t n = archive_read_data(a.handle, buffer, sizeof buffer);
    if (n == 0) {
      out = text.take();
      return DataRead::ok;
    }
    if (n < 0) return DataRead::damaged;
    if (!text.append(buffer, static_cast<size_t>(n))) {
      archive_read_data_skip(a.handle);
      return DataRead::too_large;
    }
  }
}

}  // namespace

bool is_header_file_name(std::string_view name) {
  std::string plain = strip_compression(std::string(name));
  return ends_with(plain, "_header.json") || ends_with(plain, ".block.json");
}

struct SourceReader::Impl {
  std::string source;
  SourceOptions options;
  // Directory or single JSON file: the files still to read. Archive or stream: the open handle.
  std::vector<fs::path> files;
  size_t next_file = 0;
  std::unique_ptr<Archive> stream;
  std::string stream_name;  // name of a raw (non-tar) stream's one file
  std::string open_error;
  bool done = false;
  // Names handed out so far, with how often: a tar may hold one name twice, and a folder may hold x.json
  // beside x.json.gz; each file's name must tell it apart in reports.
  std::unordered_map<std::string, size_t> names;

  std::string unique_name(std::string name) {
    size_t seen = names[name]++;
    return seen ? fmt::format("{} (copy {})", name, seen + 1) : name;
  }

  void skipped(const std::string& name, std::string_view why) const {
    if (options.on_skipped) options.on_skipped(name, why);
  }

  void open_archive(const std::string& path) {
    stream = std::make_unique<Archive>(true);
    int rc = path == "-" ? archive_read_open_fd(stream->handle, STDIN_FILENO, 1 << 16)
                         : archive_read_open_filename(stream->handle, path.c_str(), 1 << 16);
    stream_name = path == "-" ? "-" : strip_compression(fs::path(path).filename().string());
    if (rc != ARCHIVE_OK) open_error = stream->error();  // damaged from the start: reported as its first entry
  }

  // The current entry of `a` as a source entry named `name`.
  std::optional<SourceEntry> read_entry(Archive& a, archive_entry* entry, std::string name) {
    std::string text;
    switch (read_entry_data(a, entry, options.max_file_bytes, text)) {
      case DataRead::ok: return SourceEntry{make_json_file(std::move(name), std::move(text)), {}};
      case DataRead::too_large: return entry_error(name, too_large(options.max_file_bytes));
      case DataRead::damaged: break;
    }
    return failed(name, a.error());
  }

  // The next file of the archive, or nullopt at its end.
  std::optional<SourceEntry> next_archive_entry() {
    if (!open_error.empty()) return failed(stream_name, open_error);
    for (;;) {
      archive_entry* entry = nullptr;
      int rc = archive_read_next_header(stream->handle, &entry);
      if (rc == ARCHIVE_EOF) return std::nullopt;
      if (rc < ARCHIVE_WARN) return failed(source, stream->error());
      bool raw = archive_format(stream->handle) == ARCHIVE_FORMAT_RAW;
      std::string name = raw ? stream_name : archive_entry_pathname(entry);
      if (!raw) {
        if (archive_entry_filetype(entry) == AE_IFDIR) continue;
        if (archive_entry_filetype(entry) != AE_IFREG) {
          skipped(name, "not a regular file");
          continue;
        }
        if (strip_compression(name) != name)  // a compressed file inside an archive is not decompressed twice
          return entry_error(name, "a compressed file inside an archive is not read: store it uncompressed");
        if (std::string_view why = skip_reason(name); !why.empty()) {
          skipped(name, why);
          continue;
        }
      }
      return read_entry(*stream, entry, std::move(name));
    }
  }

  std::optional<SourceEntry> next_file_entry() {
    if (next_file == files.size()) return std::nullopt;
    const fs::path& path = files[next_file++];
    std::string name = path.filename().string();
    if (ends_with(name, ".json")) return read_plain_file(path, options.max_file_bytes);
    Archive single(false);  // compressed: one raw stream
    archive_entry* entry = nullptr;
    if (archive_read_open_filename(single.handle, path.c_str(), 1 << 16) != ARCHIVE_OK ||
        archive_read_next_header(single.handle, &entry) != ARCHIVE_OK)
      return failed(name, single.error());
    return read_entry(single, entry, strip_compression(name));
  }

  std::optional<SourceEntry> failed(const std::string& name, const std::string& error) {
    done = stream != nullptr;  // a damaged stream cannot be read further; a directory goes on
    return entry_error(name, error);
  }
};

bool natural_less(std::string_view a, std::string_view b) {
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (digit(a[i]) && digit(b[j])) {
      // Runs of digits by value: leading zeros skipped, then the longer run is the larger number.
      size_t i0 = i, j0 = j;
      while (i0 < a.size() && a[i0] == '0') ++i0;
      while (j0 < b.size() && b[j0] == '0') ++j0;
      size_t i1 = i0, j1 = j0;
      while (i1 < a.size() && digit(a[i1])) ++i1;
      while (j1 < b.size() && digit(b[j1])) ++j1;
      if (i1 - i0 != j1 - j0) return i1 - i0 < j1 - j0;
      if (int c = a.substr(i0, i1 - i0).compare(b.substr(j0, j1 - j0)); c != 0) return c < 0;
      i = i1;
      j = j1;
    } else {
      if (a[i] != b[j]) return a[i] < b[j];
      ++i;
      ++j;
    }
  }
  return a.size() - i < b.size() - j || (a.size() - i == b.size() - j && a < b);
}

SourceReader::SourceReader(const std::string& source, SourceOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->source = source;
  impl_->options = std::move(options);
  std::error_code ec;
  if (source == "-") {
    impl_->open_archive(source);
  } else if (fs::is_directory(source, ec)) {
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(source, ec)) {
      if (entry.is_regular_file(ec)) files.push_back(entry.path());
      else impl_->skipped(entry.path().filename().string(), "not a regular file");
    }
    if (ec) throw SourceError(fmt::format("{}: {}", source, ec.message()));
    std::sort(files.begin(), files.end(), [](const fs::path& a, const fs::path& b) {
      return natural_less(a.filename().string(), b.filename().string());
    });
    for (auto& path : files) {
      std::string name = path.filename().string();
      if (std::string_view why = skip_reason(name); !why.empty()) impl_->skipped(name, why);
      else impl_->files.push_back(std::move(path));
    }
  } else if (fs::is_regular_file(source, ec)) {
    if (is_json_name(source))
      impl_->files.push_back(source);  // a JSON file, or one compressed on its own
    else
      impl_->open_archive(source);
  } else {
    throw SourceError(fmt::format("{}: no such file or directory", source));
  }
}

SourceReader::~SourceReader() = default;

std::optional<SourceEntry> SourceReader::next() {
  for (;;) {
    if (impl_->done) return std::nullopt;
    auto entry = impl_->stream ? impl_->next_archive_entry() : impl_->next_file_entry();
    if (!entry) return std::nullopt;
    entry->file.name = impl_->unique_name(std::move(entry->file.name));
    if (entry->error.empty() && looks_like_block_header(entry->file.json())) {
      impl_->skipped(entry->file.name, "block header content");
      continue;
    }
    return entry;
  }
}

std::vector<BlockParse> parse_entry(const SourceEntry& entry) {
  if (entry.error.empty()) return parse_witness_file(entry.file);
  BlockParse failed;
  failed.origin = {entry.file.name, 0};
  failed.error = entry.error;
  return {std::move(failed)};
}

std::vector<uint64_t> missing_blocks(const BlockRange& range, std::vector<uint64_t> found) {
  std::sort(found.begin(), found.end());
  found.erase(std::unique(found.begin(), found.end()), found.end());
  bool open_ended = range.last == UINT64_MAX;
  if (open_ended && found.empty()) return {};
  uint64_t last = open_ended ? std::max(found.back(), range.first) : range.last;
  if (range.first > last) return {};
  auto in_range = std::lower_bound(found.begin(), found.end(), range.first);
  auto past_range = std::upper_bound(in_range, found.end(), last);
  uint64_t present = static_cast<uint64_t>(past_range - in_range);
  uint64_t missing_count = last - range.first + 1 - present;
  if (missing_count > max_listed_missing)
    throw std::length_error(fmt::format("blocks {} to {}: too many missing blocks to list; give a narrower range",
                                        range.first, last));
  std::vector<uint64_t> missing;
  missing.reserve(static_cast<size_t>(missing_count));
  auto it = in_range;
  for (uint64_t n = range.first;; ++n) {
    if (it != past_range && *it == n) ++it;
    else missing.push_back(n);
    if (n == last) break;
  }
  return missing;
}

}  // namespace witprove::witness
