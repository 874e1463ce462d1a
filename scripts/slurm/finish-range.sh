#!/usr/bin/env bash
# The finishing job of a Slurm range run (submit-range.sh sets the environment): gathers the tasks' metric
# lines into WITPROVE_OUT/metrics.jsonl, writes WITPROVE_OUT/report.json with prove-range --collect (each
# proof verified, chained proofs checked to sit on their parent's), the summary (prove-range's and
# summarize-run's) into WITPROVE_OUT/summary.txt, and the blocks to resubmit into WITPROVE_OUT/failed-blocks.txt
# (number, status, outcome, error; tab-separated). Exits 0 when every block was proved, 1 otherwise.
set -uo pipefail
out=$WITPROVE_OUT
bin=$WITPROVE_BIN
shopt -s nullglob
metrics=("$out"/metrics/*.jsonl)
if [ ${#metrics[@]} -gt 0 ]; then cat "${metrics[@]}"; fi >"$out/metrics.jsonl.tmp" && mv "$out/metrics.jsonl.tmp" "$out/metrics.jsonl"
"$bin/prove-range" "$WITPROVE_SOURCE" "$WITPROVE_START" "$WITPROVE_END" --output-dir "$out" --collect \
  --mode "$WITPROVE_MODE" --threads "$WITPROVE_THREADS" >"$out/summary.txt.tmp"
status=$?
if [ -s "$out/report.json" ]; then
  "$bin/summarize-run" "$out" >>"$out/summary.txt.tmp" || true
  jq -r '.blocks[] | select(.status != "proved" and .status != "skipped")
         | [.block, .status, (.outcome // "-"), .error] | @tsv' "$out/report.json" >"$out/failed-blocks.txt.tmp" &&
    mv "$out/failed-blocks.txt.tmp" "$out/failed-blocks.txt"
fi
mv "$out/summary.txt.tmp" "$out/summary.txt"
cat "$out/summary.txt"
if [ -s "$out/failed-blocks.txt" ]; then
  echo "finish-range: $(wc -l <"$out/failed-blocks.txt") blocks not proved (failed-blocks.txt); rerun submit-range.sh with the same arguments to prove only those"
fi
exit $status
