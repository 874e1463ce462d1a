#!/usr/bin/env bash
# The full acceptance sweep over the real witnesses (slow: every block, the large ones included):
# prove-witness then verify-proof --header for every block of MANIFEST.tsv that has a header, and the
# chained range of witness_b3_b6.json checked with verify-proof --chain.
#
#   scripts/prove-shared.sh [--threads N] [--parameter-set NAME] [--max-memory BYTES] OUTDIR [WITNESS_DIR]
#
# WITNESS_DIR defaults to ../shared/witnesses beside the project. Tools come from $WITPROVE_BIN, else
# build/apps. Exit 0 when every proof verifies, 1 otherwise, 2 on usage errors.
set -euo pipefail

usage() {
  sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
}

options=()
while [ $# -gt 0 ]; do
  case "$1" in
    --threads|--parameter-set|--max-memory) [ $# -ge 2 ] || usage; options+=("$1" "$2"); shift 2 ;;
    -h|--help) usage ;;
    -*) echo "prove-shared: unknown option $1" >&2; usage ;;
    *) break ;;
  esac
done
if [ $# -lt 1 ] || [ $# -gt 2 ]; then usage; fi
root=$(cd "$(dirname "$0")/.." && pwd)
outdir=$1
witnesses=${2:-$root/../shared/witnesses}
manifest=$witnesses/MANIFEST.tsv
[ -f "$manifest" ] || { echo "prove-shared: $manifest not found" >&2; exit 2; }
bin=${WITPROVE_BIN:-$root/build/apps}
for tool in prove-witness verify-proof prove-range; do
  [ -x "$bin/$tool" ] || { echo "prove-shared: $bin/$tool not found (build first, or set WITPROVE_BIN)" >&2; exit 2; }
done
mkdir -p "$outdir"

failed=0
total=0
# Columns: file index block txs chain_id gas_used checkpoint header_file ...; smallest blocks first.
while IFS=$'\t' read -r file _ block txs _ _ _ header _; do
  [ -n "$header" ] || continue
  total=$((total + 1))
  proof=$outdir/$block.proof
  start=$(date +%s)
  if "$bin/prove-witness" ${options[@]+"${options[@]}"} --witness "$witnesses/$file" --block "$block" \
       --output "$proof" --metrics "$outdir/metrics.jsonl" 2>"$outdir/$block.log" &&
     "$bin/verify-proof" --header "$witnesses/$header" "$proof" >>"$outdir/verify.txt" 2>>"$outdir/$block.log"; then
    echo "block $block ($txs txs): proved and verified against $header in $(( $(date +%s) - start ))s"
  else
    echo "block $block ($txs txs): FAILED, see $outdir/$block.log"
    failed=$((failed + 1))
  fi
done < <(tail -n +2 "$manifest" | sort -t$'\t' -k4,4n)

chain=$outdir/b3_b6
total=$((total + 1))
if "$bin/prove-range" ${options[@]+"${options[@]}"} --mode chained --output-dir "$chain" \
     "$witnesses/witness_b3_b6.json" 3 6 >/dev/null 2>"$outdir/b3_b6.log" &&
   "$bin/verify-proof" --chain "$chain" >>"$outdir/verify.txt" 2>>"$outdir/b3_b6.log"; then
  echo "witness_b3_b6.json: blocks 3..6 proved chained, chain verified"
else
  echo "witness_b3_b6.json: FAILED, see $outdir/b3_b6.log"
  failed=$((failed + 1))
fi

echo "$((total - failed)) of $total checks passed"
[ "$failed" -eq 0 ]
