#!/usr/bin/env bash
# The example range run, to see what a run's summary, Prometheus file and plots look like without real data:
# generates blocks 100..111 (pairs of blocks of 1, 2, 4, 8, 16 and 32 transactions), block 112 unprovable (a
# trie node missing from its pre-image) and no witness for 113; proves 100..113 with prove-range (2 jobs,
# --prometheus), then writes OUTDIR/summary.txt (summarize-run) and OUTDIR/plots/ (plot-run.sh).
# Usage: scripts/example-run.sh OUTDIR   (the tools: $WITPROVE_BIN, else build/apps)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${WITPROVE_BIN:-$root/build/apps}
generator=${WITPROVE_GENERATOR:-$bin/../testdata/generate-witnesses}
[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
out=$1
mkdir -p "$out"
rm -rf "$out/witnesses" "$out/run"
block=100
for txs in 1 2 4 8 16 32; do
  "$generator" --seed "$txs" --blocks 2 --txs "$txs" --accounts 48 --first-block "$block" -o "$out/witnesses/" >/dev/null
  block=$((block + 2))
done
"$generator" --seed 5 --blocks 1 --txs 4 --accounts 16 --first-block 112 --broken missing-node -o "$out/witnesses/" >/dev/null
rm -f "$out/witnesses/headers.json"
status=0
"$bin/prove-range" "$out/witnesses" 100 113 --output-dir "$out/run" --jobs 2 --threads "$(nproc)" \
  --prometheus "$out/run/witprove.prom" >"$out/range.txt" 2>"$out/range.log" || status=$?
# Blocks 112 and 113 fail by design: status 1 is the expected outcome.
[ $status -le 1 ] || { cat "$out/range.log" >&2; exit "$status"; }
"$bin/summarize-run" "$out/run" >"$out/summary.txt"
"$root/scripts/plot-run.sh" "$out/run" "$out/plots"
echo "example-run: $out/range.txt (prove-range's summary), $out/summary.txt, $out/run/witprove.prom, $out/plots/"
