#include "witness/source.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

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

std::string read_plain_file(const fs::path& path, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  std::string text;
  if (in) {
    in.seekg(0, std::ios::end);
    auto size = in.tellg();
    in.seekg(0);
    if (size >= 0) {
      text.reserve(static_cast<size_t>(size) + json_padding);  // make_json_file appends without copying
      text.resize(static_cast<size_t>(size), '\0');
      in.read(text.data(), size);
    }
  }
  if (!in) error = fmt::format("cannot read {}", path.string());
  return text;
}

// A libarchive read handle: tar (any compression) or a single raw compressed/plain stream.
struct Archive {
  archive* handle = archive_read_new();

  Archive() {
    archive_read_support_filter_all(handle);
    archive_read_support_format_tar(handle);
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

// The current entry's data; false (with `error`) when the stream is damaged.
bool read_entry_data(Archive& a, std::string& out, std::string& error) {
  char buffer[1 << 16];
  for (;;) {
    la_ssize_t n = archive_read_data(a.handle, buffer, sizeof buffer);
    if (n == 0) return true;
    if (n < 0) {
      error = a.error();
      return false;
    }
    out.append(buffer, static_cast<size_t>(n));
  }
}

}  // namespace

bool is_header_file_name(std::string_view name) {
  std::string plain = strip_compression(std::string(name));
  return ends_with(plain, "_header.json") || ends_with(plain, ".block.json");
}

struct SourceReader::Impl {
  std::string source;
  // Directory: the files still to read. Archive or stream: the open handle.
  std::vector<fs::path> files;
  size_t next_file = 0;
  std::unique_ptr<Archive> stream;
  std::string stream_name;  // name of a raw (non-tar) stream's one file
  std::string open_error;
  bool done = false;

  void open_archive(const std::string& path) {
    stream = std::make_unique<Archive>();
    int rc = path == "-" ? archive_read_open_fd(stream->handle, STDIN_FILENO, 1 << 16)
                         : archive_read_open_filename(stream->handle, path.c_str(), 1 << 16);
    stream_name = path == "-" ? "-" : strip_compression(fs::path(path).filename().string());
    if (rc != ARCHIVE_OK) open_error = stream->error();  // damaged from the start: reported as its first entry
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
      if (!raw && (archive_entry_filetype(entry) != AE_IFREG || !is_json_name(name) || is_header_file_name(name)))
        continue;
      std::string text, error;
      if (archive_entry_size_is_set(entry))
        text.reserve(static_cast<size_t>(archive_entry_size(entry)) + json_padding);
      if (!read_entry_data(*stream, text, error)) return failed(name, error);
      return SourceEntry{make_json_file(std::move(name), std::move(text)), {}};
    }
  }

  std::optional<SourceEntry> next_directory_file() {
    if (next_file == files.size()) return std::nullopt;
    const fs::path& path = files[next_file++];
    std::string name = path.filename().string();
    if (!ends_with(name, ".json")) {  // compressed: a one-file archive of its own
      Archive single;
      struct archive* a = single.handle;
      archive_entry* entry = nullptr;
      std::string text, error;
      if (archive_read_open_filename(a, path.c_str(), 1 << 16) != ARCHIVE_OK ||
          archive_read_next_header(a, &entry) < ARCHIVE_WARN || !read_entry_data(single, text, error))
        return failed(name, error.empty() ? single.error() : error);
      return SourceEntry{make_json_file(strip_compression(name), std::move(text)), {}};
    }
    std::string error;
    std::string text = read_plain_file(path, error);
    if (!error.empty()) return failed(name, error);
    return SourceEntry{make_json_file(name, std::move(text)), {}};
  }

  std::optional<SourceEntry> failed(const std::string& name, const std::string& error) {
    done = stream != nullptr;  // a damaged stream cannot be read further; a directory goes on
    return SourceEntry{make_json_file(name, {}), fmt::format("{}: {}", name, error)};
  }
};

SourceReader::SourceReader(const std::string& source) : impl_(std::make_unique<Impl>()) {
  impl_->source = source;
  std::error_code ec;
  if (source == "-") {
    impl_->open_archive(source);
  } else if (fs::is_directory(source, ec)) {
    for (const auto& entry : fs::directory_iterator(source, ec)) {
      std::string name = entry.path().filename().string();
      if (entry.is_regular_file(ec) && is_json_name(name) && !is_header_file_name(name))
        impl_->files.push_back(entry.path());
    }
    if (ec) throw SourceError(fmt::format("{}: {}", source, ec.message()));
    std::sort(impl_->files.begin(), impl_->files.end());
  } else if (fs::is_regular_file(source, ec)) {
    if (ends_with(source, ".json"))
      impl_->files.push_back(source);
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
    auto entry = impl_->stream ? impl_->next_archive_entry() : impl_->next_directory_file();
    if (!entry) return std::nullopt;
    if (entry->error.empty() && looks_like_block_header(entry->file.json())) continue;
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
