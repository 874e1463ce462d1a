#!/usr/bin/env bash
# prove-range throughput: blocks/hour and transactions/hour on real witness ranges and on a generated
# range, at 1 and 2 threads, with the provers' peak memory. Prints one JSON line per run.
#
# These proofs are of the block state-transition statement (docs/statement.md), not of the EVM
# execution the seed's prover proved: the figures are not comparable with the seed's "about 100
# transactions per hour per worker" as prover speed.
#
# Usage: benchmarks/bench_range.sh [BUILD_DIR [WITNESS_DIR]]
#   BUILD_DIR    where the tools were built (default: build)
#   WITNESS_DIR  real witnesses (default: ../shared/witnesses; skipped when absent)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
real=${2:-$root/../shared/witnesses}
for tool in apps/prove-range apps/prove-witness testdata/generate-witnesses; do
  [[ -x $build/$tool ]] || { echo "bench_range.sh: $build/$tool not found; build first" >&2; exit 2; }
done
command -v jq > /dev/null || { echo "bench_range.sh: jq is not installed" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# name source first last
runs=()
if [[ -f $real/witness_b3_b6.json ]]; then
  runs+=("real:witness_b3_b6.json $real/witness_b3_b6.json 3 6")
  runs+=("real:b4_dev.json $real/b4_dev.json 4 4")
else
  echo "bench_range.sh: $real not found; real ranges skipped" >&2
fi
"$build/testdata/generate-witnesses" --seed 7 --blocks 4 --txs 25 --accounts 200 --first-block 500 \
  --output "$work/generated/" > /dev/null
runs+=("generated:4x25txs $work/generated 500 503")

for run in "${runs[@]}"; do
  read -r name source first last <<< "$run"
  for threads in 1 2; do
    out=$work/out-$threads
    rm -rf "$out"
    start=$(date +%s.%N)
    status=0
    "$build/apps/prove-range" --threads "$threads" --format json --output-dir "$out" "$source" "$first" "$last" \
      > "$work/summary.json" 2> "$work/log" || status=$?
    end=$(date +%s.%N)
    jq -c -n --arg name "$name" --argjson threads "$threads" --argjson status "$status" \
      --arg t0 "$start" --arg t1 "$end" \
      --slurpfile summary "$work/summary.json" \
      --slurpfile metrics <(cat "$out/metrics.jsonl" 2> /dev/null || true) \
      --argjson proof_bytes "$(cat "$out"/*.proof 2> /dev/null | wc -c)" '
      ($summary[0].summary) as $s | (($t1 | tonumber) - ($t0 | tonumber)) as $wall |
      ([$metrics[] | select(.job == "prove-segment") | .rows] | add // 0) as $perms |
      {benchmark: "prove_range", input: $name, threads: $threads, exit_status: $status,
       blocks: $s.blocks, proved: $s.proved, txs: $s.txs_proved, wall_seconds: $wall,
       blocks_per_hour: (if $wall > 0 then $s.proved * 3600 / $wall else 0 end),
       txs_per_hour: (if $wall > 0 then $s.txs_proved * 3600 / $wall else 0 end),
       keccak_permutations: $perms,
       permutations_per_second: (if $wall > 0 then $perms / $wall else 0 end),
       peak_memory_bytes: ([$metrics[] | .peak_memory_bytes] | max // 0),
       proof_bytes: $proof_bytes,
       statement: "block state transition (docs/statement.md); not the EVM execution the seed proved"}'
  done
done
