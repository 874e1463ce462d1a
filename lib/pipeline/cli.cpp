#include "pipeline/cli.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <mutex>

#include "stark/cpu.hpp"
#include "stark/packed.hpp"

namespace witprove::pipeline {

namespace po = boost::program_options;

namespace {
std::atomic<bool> debug_logging{false};  // set by parse_command_line from --verbose
}  // namespace

std::optional<OutputFormat> parse_output_format(std::string_view name) {
  if (name == "table") return OutputFormat::table;
  if (name == "json") return OutputFormat::json;
  if (name == "csv") return OutputFormat::csv;
  return std::nullopt;
}

void add_common_options(po::options_description& options, CommonOptions& common) {
  options.add_options()                                      //
      ("help,h", po::bool_switch(&common.help), "show this help")  //
      ("threads", po::value(&common.threads)->value_name("N"), "worker threads (default: all cores)")  //
      ("verbose,v", po::bool_switch(&common.verbose), "debug lines in the log (e.g. the files a source skips)");
}

int usage_error(std::string_view tool, std::string_view message) {
  fmt::print(stderr, "{}: {}\nTry '{} --help'.\n", tool, message, tool);
  return exit_usage;
}

std::optional<int> parse_command_line(int argc, const char* const argv[], std::string_view tool,
                                      const po::options_description& options, const CommonOptions& common,
                                      std::vector<std::string>* args, const po::options_description* hidden) {
  po::options_description all;
  all.add(options);
  if (hidden) all.add(*hidden);
  po::positional_options_description positional;
  if (args) {
    all.add_options()("args", po::value(args));
    positional.add("args", -1);
  }
  try {
    // "-" is a positional argument (standard input), not an option.
    po::variables_map vm;
    po::store(po::command_line_parser(argc, argv)
                  .options(all)
                  .positional(positional)
                  .style(po::command_line_style::default_style & ~po::command_line_style::allow_guessing)
                  .run(),
              vm);
    po::notify(vm);
  } catch (const po::error& e) {
    return usage_error(tool, e.what());
  }
  debug_logging = common.verbose;
  if (common.help) {
    std::cout << options << '\n';
    return exit_ok;
  }
  const std::string_view arch = stark::target_arch();
  log(LogLevel::debug, tool,
      fmt::format("built for {} ({} field elements per vector)", arch.empty() ? "the compiler's default target" : arch,
                  stark::PackedFp::kLanes));
  return std::nullopt;
}

std::optional<uint64_t> parse_uint(std::string_view text) {
  uint64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return n;
}

std::optional<uint64_t> parse_byte_size(std::string_view text) {
  unsigned shift = 0;
  if (!text.empty()) {
    switch (text.back()) {
      case 'K': case 'k': shift = 10; break;
      case 'M': case 'm': shift = 20; break;
      case 'G': case 'g': shift = 30; break;
      case 'T': case 't': shift = 40; break;
    }
    if (shift) text.remove_suffix(1);
  }
  auto n = parse_uint(text);
  if (!n || (shift && *n > (UINT64_MAX >> shift))) return std::nullopt;
  return *n << shift;
}

std::optional<uint64_t> parse_duration_seconds(std::string_view text) {
  uint64_t unit = 1;
  if (!text.empty()) {
    switch (text.back()) {
      case 's': unit = 1; break;
      case 'm': unit = 60; break;
      case 'h': unit = 3600; break;
      case 'd': unit = 86400; break;
      default: unit = 0;
    }
    if (unit) text.remove_suffix(1);
    else unit = 1;
  }
  auto n = parse_uint(text);
  if (!n || *n > UINT64_MAX / unit) return std::nullopt;
  return *n * unit;
}

void add_max_witness_size_option(po::options_description& options, std::string& text) {
  options.add_options()("max-witness-size", po::value(&text)->value_name("SIZE"),
                        "cap on each witness file, archive member or stream once decompressed (K/M/G "
                        "suffixes; default 1G); a larger one is an error for it alone");
}

std::optional<witness::SourceOptions> source_options(std::string_view max_witness_size) {
  witness::SourceOptions options;
  if (!max_witness_size.empty()) {
    auto bytes = parse_byte_size(max_witness_size);
    if (!bytes || *bytes == 0) return std::nullopt;
    options.max_file_bytes = *bytes;
  }
  options.on_skipped = [](std::string_view name, std::string_view why) {
    log(LogLevel::debug, "read", fmt::format("skipped {}: {}", name, why));
  };
  return options;
}

std::unique_ptr<tbb::global_control> limit_threads(unsigned threads) {
  if (threads == 0) return nullptr;
  return std::make_unique<tbb::global_control>(tbb::global_control::max_allowed_parallelism, threads);
}

std::string utc_timestamp() {
  auto now = std::chrono::system_clock::now();
  std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char date[32];
  std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &utc);
  return fmt::format("{}.{:03}Z", date, millis);
}

namespace {
std::mutex stderr_mutex;

std::string_view level_name(LogLevel level) {
  switch (level) {
    case LogLevel::debug: return "DEBUG";
    case LogLevel::info: return "INFO";
    case LogLevel::warn: return "WARN";
    case LogLevel::error: return "ERROR";
  }
  return "INFO";
}
}  // namespace

void log(LogLevel level, std::string_view job, std::string_view message) {
  if (level == LogLevel::debug && !debug_logging) return;
  std::string line = fmt::format("{} {} {}: {}\n", utc_timestamp(), level_name(level), job, message);
  std::lock_guard lock(stderr_mutex);
  std::fwrite(line.data(), 1, line.size(), stderr);
}

ProgressLine::ProgressLine() : enabled_(isatty(STDERR_FILENO) == 1) {}

ProgressLine::~ProgressLine() { finish(); }

void ProgressLine::update(std::string_view text) {
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  if (drawn_ && now - last_ < std::chrono::milliseconds(100)) return;
  last_ = now;
  drawn_ = true;
  std::lock_guard lock(stderr_mutex);
  fmt::print(stderr, "\r\033[K{}", text);
  std::fflush(stderr);
}

void ProgressLine::finish() {
  if (!drawn_) return;
  drawn_ = false;
  std::lock_guard lock(stderr_mutex);
  fmt::print(stderr, "\r\033[K");
  std::fflush(stderr);
}

namespace {
bool is_number(std::string_view cell) {
  return !cell.empty() && std::all_of(cell.begin(), cell.end(), [](char c) { return (c >= '0' && c <= '9') || c == '.'; });
}
}  // namespace

std::string format_table(const Table& table) {
  std::vector<size_t> width(table.columns.size());
  for (size_t c = 0; c < table.columns.size(); ++c) width[c] = table.columns[c].size();
  for (const auto& row : table.rows)
    for (size_t c = 0; c < row.size() && c < width.size(); ++c) width[c] = std::max(width[c], row[c].size());
  std::string out;
  auto line = [&](const std::vector<std::string>& cells, bool header) {
    std::string text;
    for (size_t c = 0; c < cells.size() && c < width.size(); ++c) {
      if (c) text += "  ";
      bool right = !header && is_number(cells[c]);
      bool last = c + 1 == cells.size();
      if (right) text += fmt::format("{:>{}}", cells[c], width[c]);
      else if (last) text += cells[c];  // no trailing spaces after the last column
      else text += fmt::format("{:<{}}", cells[c], width[c]);
    }
    out += text;
    out += '\n';
  };
  line(table.columns, true);
  for (const auto& row : table.rows) line(row, false);
  return out;
}

std::string format_csv(const Table& table) {
  std::string out;
  auto line = [&](const std::vector<std::string>& cells) {
    for (size_t c = 0; c < cells.size(); ++c) {
      if (c) out += ',';
      const std::string& cell = cells[c];
      if (cell.find_first_of(",\"\n\r") == std::string::npos) {
        out += cell;
        continue;
      }
      out += '"';
      for (char ch : cell) {
        if (ch == '"') out += '"';
        out += ch;
      }
      out += '"';
    }
    out += '\n';
  };
  line(table.columns);
  for (const auto& row : table.rows) line(row);
  return out;
}

}  // namespace witprove::pipeline
