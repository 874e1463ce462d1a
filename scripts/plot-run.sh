#!/usr/bin/env bash
# Draws a range run's plots from its metric lines and report, as PNG and SVG, with gnuplot:
#   time-vs-txs       proving time per block against its transactions
#   time-vs-witness   proving time per block against its witness size
#   memory-per-block  peak memory per block
#   timeline          every job of the run over time, by job type
# Usage: scripts/plot-run.sh RUN_DIR [OUT_DIR]   (OUT_DIR defaults to RUN_DIR/plots)
# RUN_DIR holds metrics.jsonl and report.json (prove-range's output folder, or a Slurm run's after its
# finishing job). The tools are found in $WITPROVE_BIN, else build/apps.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${WITPROVE_BIN:-$root/build/apps}
if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  echo "usage: $0 RUN_DIR [OUT_DIR]" >&2
  exit 2
fi
run_dir=$1
out_dir=${2:-$run_dir/plots}
command -v gnuplot >/dev/null || { echo "plot-run: gnuplot is not installed (scripts/install-deps.sh --plots)" >&2; exit 1; }
data=$(mktemp -d)
trap 'rm -rf "$data"' EXIT
"$bin/summarize-run" "$run_dir" --plot-data "$data" >/dev/null
mkdir -p "$out_dir"
# Per-block plots need a block proved or failed in this run; the timeline needs an attempt.
settled=$(awk -F'\t' '!/^#/ && ($7 == "proved" || $7 == "failed")' "$data/blocks.tsv" | wc -l)
attempts=$(awk -F'\t' '!/^#/' "$data/jobs.tsv" | wc -l)
if [ "$settled" -eq 0 ] && [ "$attempts" -eq 0 ]; then
  echo "plot-run: no block was attempted in $run_dir (all skipped or missing?): nothing to draw" >&2
  exit 0
fi
lanes=$(awk -F'\t' '!/^#/ && $5 > n { n = $5 } END { print n + 0 }' "$data/jobs.tsv")
# The job types inside attempts, in order of first appearance: the timeline's colours.
jobs=$(awk -F'\t' '!/^#/ && $3 != "prove-attempt" && $3 != "prove-block" && !seen[$3]++ { printf "%s ", $3 }' "$data/jobs.tsv")

for term in png svg; do
  if [ $term = png ]; then setup="set terminal pngcairo size 1000,600 font ',11'"; else setup="set terminal svg size 1000,600 font 'sans,11'"; fi
  gnuplot <<GNUPLOT
$setup
set datafile separator tab
set grid
set key top left
blocks = '$data/blocks.tsv'
jobs_file = '$data/jobs.tsv'
proved(s, v) = (s eq "proved") ? v : NaN
failed(s, v) = (s eq "failed") ? v : NaN

if ($settled > 0) {
set output '$out_dir/time-vs-txs.$term'
set title 'Proving time per block against its transactions'
set xlabel 'transactions'
set ylabel 'seconds (all attempts)'
plot blocks using 2:(proved(strcol(7), \$4)) with points pt 7 ps 0.8 title 'proved', \
     blocks using 2:(failed(strcol(7), \$4)) with points pt 2 ps 1.2 lc rgb 'red' title 'failed'

set output '$out_dir/time-vs-witness.$term'
set title 'Proving time per block against its witness size'
set xlabel 'witness JSON (MB)'
plot blocks using (\$3/1e6):(proved(strcol(7), \$4)) with points pt 7 ps 0.8 title 'proved', \
     blocks using (\$3/1e6):(failed(strcol(7), \$4)) with points pt 2 ps 1.2 lc rgb 'red' title 'failed'

set output '$out_dir/memory-per-block.$term'
set title 'Peak memory per block'
set xlabel 'block'
set ylabel 'peak resident memory (GB)'
set format x '%.0f'
plot blocks using 1:(\$5 > 0 ? \$5/1e9 : NaN) with impulses lw 2 title 'largest process of the block'
set format x
}

if ($attempts > 0) {
set output '$out_dir/timeline.$term'
set title 'Jobs over time: each attempt at a block on a lane, its jobs coloured by type'
set xlabel 'seconds since the first job started'
set ylabel 'lane (attempts running at once)'
set yrange [0.5:$lanes + 0.5]
set ytics 1
set key below
names = '$jobs'
plot jobs_file using 1:(strcol(3) eq "prove-attempt" || strcol(3) eq "prove-block" ? \$5 : NaN):(\$2 - \$1):(0):(int(\$4) % 2 ? 0xc0c0c0 : 0xe4e4e4) \
       with vectors nohead lw 16 lc rgb variable title 'attempt (shades alternate by block)', \
     for [i=1:words(names)] jobs_file using 1:(strcol(3) eq word(names, i) ? \$5 : NaN):(\$2 - \$1):(0) \
       with vectors nohead lw 8 lc i title word(names, i)
}
GNUPLOT
done
drawn=()
[ "$settled" -gt 0 ] && drawn+=(time-vs-txs time-vs-witness memory-per-block)
[ "$attempts" -gt 0 ] && drawn+=(timeline)
echo "plot-run: wrote ${drawn[*]} (PNG and SVG) in $out_dir"
