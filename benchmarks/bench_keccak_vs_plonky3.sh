#!/usr/bin/env bash
# Keccak-f[1600] proving beside Plonky3, in one run on this machine: alternates bench_keccak_air (each
# parameter set) with Plonky3's keccak-air prover (KoalaBear and Goldilocks) for each permutation count
# and thread count, so that load and frequency affect both alike. Machines differ; the ratio is the figure
# that counts. Prints one JSON line: every run of both, and witprove's permutations per second over
# Plonky3's per field.
#
# Usage: benchmarks/bench_keccak_vs_plonky3.sh ANCHOR PLONKY3_SOURCE [BUILD_DIR]
#   ANCHOR          a script that builds and times Plonky3's Keccak prover from Debian's Rust crates and
#                   prints one JSON line per (field, threads), with the phases setup|build|run and the
#                   environment FIELDS, THREADS, RUNS and PERMS (for example plonky3-anchor.sh)
#   PLONKY3_SOURCE  a `git archive` of Plonky3 (commit 75254ac is known to build with Debian's crates)
#   BUILD_DIR       where bench_keccak_air was built (default: build)
# Environment: PERMS="1365 5461" THREADS="1 2" SETS="fast compact" RUNS=1
# Plonky3's figure times prove() alone; witprove's includes trace generation (about 4% of it).
set -euo pipefail

[[ $# -ge 2 ]] || { sed -n '2,16p' "$0" >&2; exit 2; }
anchor=$1
source=$2
root=$(cd "$(dirname "$0")/.." && pwd)
build=${3:-$root/build}
bench=$build/benchmarks/bench_keccak_air
[[ -x $bench ]] || { echo "bench_keccak_vs_plonky3.sh: $bench not found; build first" >&2; exit 2; }
[[ -f $anchor ]] || { echo "bench_keccak_vs_plonky3.sh: no anchor script at $anchor" >&2; exit 2; }
command -v jq > /dev/null || { echo "bench_keccak_vs_plonky3.sh: jq is not installed" >&2; exit 2; }
PERMS=${PERMS:-"1365 5461"}
THREADS=${THREADS:-"1 2"}
SETS=${SETS:-"fast compact"}
RUNS=${RUNS:-1}

bash "$anchor" "$source" build >&2
lines=$(mktemp)
trap 'rm -f "$lines"' EXIT
for perms in $PERMS; do
  for threads in $THREADS; do
    for set in $SETS; do
      "$bench" --permutations "$perms" --threads-list "$threads" --parameter-set "$set" |
        jq -c --arg set "$set" '.runs[] | {system: "witprove", parameter_set: $set} + .' >> "$lines"
    done
    PERMS=$perms THREADS=$threads RUNS=$RUNS bash "$anchor" "$source" run 2> /dev/null >> "$lines"
  done
done
jq -s -c '. as $all | {
  benchmark: "keccak_vs_plonky3",
  runs: $all,
  ratios: [ $all[] | select(.system == "witprove" and .permutations_per_second != null) as $w
            | $all[] | select(.system == "plonky3" and .permutations == $w.permutations and .threads == $w.threads)
            | {parameter_set: $w.parameter_set, permutations: $w.permutations, threads: $w.threads,
               plonky3_field: .field,
               speed_ratio: (($w.permutations_per_second / .perm_per_s) * 100 | round / 100),
               memory_ratio: (($w.peak_memory_mb / .peak_rss_mb) * 100 | round / 100)} ]
}' "$lines"
