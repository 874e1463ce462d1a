#!/usr/bin/env bash
# The operator's workflow side by side: a .tar.xz of at least 200 witness files analyzed by
# analyze-witnesses straight from the archive (1 and 2 threads), against extracting it and running
# `jq '.[0].block_trace.txn_info | length'` on every file. Prints one JSON line.
#
# Usage: benchmarks/bench_analyze.sh [BUILD_DIR [WITNESS_DIR [FILES]]]
#   BUILD_DIR    where analyze-witnesses was built (default: build)
#   WITNESS_DIR  witnesses to replicate with new block numbers (default: ../shared/witnesses, else testdata/witnesses)
#   FILES        how many files the archive holds at least (default: 200)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
source_dir=${2:-$root/../shared/witnesses}
[[ -d $source_dir ]] || source_dir=$root/testdata/witnesses
min_files=${3:-200}
app=$build/apps/analyze-witnesses
[[ -x $app ]] || { echo "bench_analyze.sh: $app not found; build first" >&2; exit 2; }
command -v jq > /dev/null || { echo "bench_analyze.sh: jq is not installed" >&2; exit 2; }
command -v xz > /dev/null || { echo "bench_analyze.sh: xz is not installed" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/witnesses"

# Replicate the witnesses (not headers) with consecutive new block numbers.
files=0
next=40000000
while (( files < min_files )); do
  for f in "$source_dir"/*.json; do
    case $f in *_header.json | *.block.json) continue ;; esac
    grep -q '"block_trace"' "$f" || continue
    count=$(grep -o '"block_number"' "$f" | wc -l)
    NEXT=$next perl -pe 's/("block_number":\s*")0x[0-9a-fA-F]+"/sprintf("%s0x%x\"", $1, $ENV{NEXT} + $n++)/ge' \
      "$f" > "$work/witnesses/$next.witness.json"
    next=$(( next + count ))
    files=$(( files + 1 ))
  done
done
tar -C "$work" -cJf "$work/witnesses.tar.xz" witnesses
megabytes=$(du -sm --apparent-size "$work/witnesses" | cut -f1)
rm -rf "$work/witnesses"

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { print b - a }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { print a / b }'; }

start=$(now)
"$app" --threads 1 --format json "$work/witnesses.tar.xz" > "$work/one.json" 2> /dev/null
one=$(elapsed "$start" "$(now)")
start=$(now)
"$app" --threads 2 --format json "$work/witnesses.tar.xz" > "$work/two.json" 2> /dev/null
two=$(elapsed "$start" "$(now)")
txs=$(jq '.total.txs' "$work/one.json")
errors=$(jq '.total.errors' "$work/one.json")

# The seed: extract, then one jq process per file.
start=$(now)
mkdir "$work/extracted"
tar -C "$work/extracted" -xJf "$work/witnesses.tar.xz" --strip-components=1
for f in "$work/extracted"/*.witness.json; do
  jq '.[0].block_trace.txn_info | length' "$f"
done > "$work/jq.txt"
seed=$(elapsed "$start" "$(now)")

printf '{"benchmark":"analyze_archive","files":%d,"mb":%d,"txs":%s,"errors":%s,' "$files" "$megabytes" "$txs" "$errors"
printf '"threads_1_seconds":%.3f,"threads_2_seconds":%.3f,"extract_and_jq_seconds":%.3f,' "$one" "$two" "$seed"
printf '"speedup_vs_jq_1_thread":%.1f,"scaling_2_threads":%.2f}\n' "$(ratio "$seed" "$one")" "$(ratio "$one" "$two")"
