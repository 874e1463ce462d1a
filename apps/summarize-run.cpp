// summarize-run: a range run's summary from its metric lines and report, and the data its plots are drawn from.
#include <fmt/format.h>

#include <fstream>
#include <iterator>

#include "pipeline/cli.hpp"
#include "pipeline/run_summary.hpp"

namespace po = boost::program_options;
using namespace witprove;

namespace {
constexpr std::string_view tool = "summarize-run";

std::optional<std::string> read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}
}  // namespace

int main(int argc, char** argv) {
  pipeline::CommonOptions common;
  std::vector<std::string> args;
  std::string format_name = "table", metrics_path, report_path, plot_data;
  po::options_description options(
      "Usage: summarize-run [options] [RUN_DIR]\n\n"
      "Summarizes a range run from its metric lines (RUN_DIR/metrics.jsonl, or --metrics) and report\n"
      "(RUN_DIR/report.json, or --report): per job type the count and p50/p95/max seconds; blocks by status,\n"
      "retries and failures by class; throughput over the span of the metric lines (blocks/h, txs/h, Keccak-f\n"
      "permutations/s); peak memory; the slowest blocks. Works on prove-range's output folders and on the\n"
      "folders of Slurm and Kubernetes runs. --plot-data DIR writes the tables scripts/plot-run.sh draws.\n"
      "Exit status: 0 summarized, 1 a file could not be read or written, 2 usage error.\n\n"
      "Options");
  pipeline::add_common_options(options, common);
  options.add_options()                                                                                          //
      ("metrics", po::value(&metrics_path)->value_name("FILE"), "metric lines (default RUN_DIR/metrics.jsonl)")  //
      ("report", po::value(&report_path)->value_name("FILE"), "the run's report (default RUN_DIR/report.json)")  //
      ("plot-data", po::value(&plot_data)->value_name("DIR"), "write blocks.tsv and jobs.tsv into DIR")         //
      ("format", po::value(&format_name)->value_name("table|json|csv"),
       "table (default), json (one object), csv (the per-job-type table)");
  if (auto stop = pipeline::parse_command_line(argc, argv, tool, options, common, &args)) return *stop;
  if (args.size() > 1) return pipeline::usage_error(tool, "expected at most one RUN_DIR");
  if (args.empty() && (metrics_path.empty() || report_path.empty()))
    return pipeline::usage_error(tool, "give RUN_DIR, or both --metrics and --report");
  const auto format = pipeline::parse_output_format(format_name);
  if (!format) return pipeline::usage_error(tool, fmt::format("unknown format '{}'", format_name));
  if (metrics_path.empty()) metrics_path = (std::filesystem::path(args[0]) / "metrics.jsonl").string();
  if (report_path.empty()) report_path = (std::filesystem::path(args[0]) / "report.json").string();

  auto report_text = read_text(report_path);
  if (!report_text || !std::filesystem::exists(metrics_path)) {
    pipeline::log(pipeline::LogLevel::error, "summarize",
                  fmt::format("{}: cannot read", report_text ? metrics_path : report_path));
    return pipeline::exit_failed;
  }
  std::string error;
  auto report = pipeline::parse_report_json(*report_text, error);
  if (!report) {
    pipeline::log(pipeline::LogLevel::error, "summarize", fmt::format("{}: not a run report: {}", report_path, error));
    return pipeline::exit_failed;
  }
  size_t unreadable = 0;  // a run killed mid-line leaves one
  const auto metrics = pipeline::read_metric_lines(metrics_path, &unreadable);
  if (unreadable)
    pipeline::log(pipeline::LogLevel::warn, "summarize",
                  fmt::format("{}: {} lines are not metric lines, skipped", metrics_path, unreadable));
  const auto summary = pipeline::summarize_run(metrics, report->blocks, report->wall_seconds);
  if (!plot_data.empty()) {
    try {
      pipeline::write_plot_data(summary, metrics, plot_data);
    } catch (const std::exception& e) {
      pipeline::log(pipeline::LogLevel::error, "summarize", e.what());
      return pipeline::exit_failed;
    }
  }
  const std::string out = *format == pipeline::OutputFormat::json  ? pipeline::run_summary_json(summary)
                          : *format == pipeline::OutputFormat::csv ? pipeline::run_summary_csv(summary)
                                                                   : pipeline::run_summary_text(summary);
  std::fwrite(out.data(), 1, out.size(), stdout);
  return pipeline::exit_ok;
}
