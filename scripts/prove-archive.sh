#!/usr/bin/env bash
# Proves a range of blocks from a witness source (archive, folder, file) and checks the result:
# analyze the source, prove the range continuing past unprovable blocks, verify every proof (and the
# chain in chained mode), print the summary.
#
#   scripts/prove-archive.sh [--mode standalone|chained] [--jobs N] [--threads N] SOURCE START END OUTDIR
#
# The tools are taken from $WITPROVE_BIN, else build/apps beside this script, else PATH.
# Exit 0 when every block of the range was proved and verified, 1 otherwise, 2 on usage errors.
set -euo pipefail

usage() {
  sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
}

mode=standalone
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --mode) [ $# -ge 2 ] || usage; mode=$2; shift 2 ;;
    --jobs|--threads|--retries|--max-memory) [ $# -ge 2 ] || usage; extra+=("$1" "$2"); shift 2 ;;
    -h|--help) usage ;;
    --) shift; break ;;
    -*) echo "prove-archive: unknown option $1" >&2; usage ;;
    *) break ;;
  esac
done
[ $# -eq 4 ] || usage
source_path=$1 start=$2 end=$3 outdir=$4
case "$mode" in standalone|chained) ;; *) echo "prove-archive: --mode must be standalone or chained" >&2; exit 2 ;; esac
for n in "$start" "$end"; do
  case "$n" in ''|*[!0-9]*) echo "prove-archive: START and END must be block numbers, got '$n'" >&2; exit 2 ;; esac
done
[ -e "$source_path" ] || { echo "prove-archive: $source_path does not exist" >&2; exit 2; }

root=$(cd "$(dirname "$0")/.." && pwd)
bin=${WITPROVE_BIN:-$root/build/apps}
tool() {
  if [ -x "$bin/$1" ]; then echo "$bin/$1"; else command -v "$1" || { echo "prove-archive: $1 not found (build first, or set WITPROVE_BIN)" >&2; exit 2; }; fi
}
analyze=$(tool analyze-witnesses)
prove=$(tool prove-range)
verify=$(tool verify-proof)

mkdir -p "$outdir"
status=0

echo "== analyze $source_path $start..$end"
"$analyze" --format table "$source_path" "$start" "$end" || status=1

echo "== prove ($mode)"
"$prove" --mode "$mode" ${extra[@]+"${extra[@]}"} --output-dir "$outdir" "$source_path" "$start" "$end" || status=1

echo "== verify"
chain=()
[ "$mode" = chained ] && chain=(--chain)
shopt -s nullglob
proofs=("$outdir"/*.proof)
if [ ${#proofs[@]} -eq 0 ]; then
  echo "no proofs to verify"
  status=1
else
  "$verify" ${chain[@]+"${chain[@]}"} "${proofs[@]}" || status=1
fi

echo "== report: $outdir/report.json"
if [ "$status" -eq 0 ]; then echo "all blocks proved and verified"; else echo "some blocks failed: see the report"; fi
exit "$status"
