#!/usr/bin/env bash
# Every real block with a header under the block state-transition statement: bench_transition on each, at 1
# and 2 threads, within --max-memory 8G. Prints one JSON line per block and thread count (rows per table,
# proving seconds, peak memory, proof bytes, verification milliseconds, transactions per hour).
#
# Usage: benchmarks/bench_blocks.sh [BUILD_DIR [WITNESS_DIR]]
#   BUILD_DIR    where the benchmarks were built (default: build)
#   WITNESS_DIR  real witnesses with MANIFEST.tsv (default: ../shared/witnesses)
# Environment: THREADS (default "1 2"), BLOCKS (manifest file names to keep, default all with a header),
#              PARAMETER_SET (default fast).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
real=${2:-$root/../shared/witnesses}
bench=$build/benchmarks/bench_transition
[[ -x $bench ]] || { echo "bench_blocks.sh: $bench not found; build first" >&2; exit 2; }
[[ -f $real/MANIFEST.tsv ]] || { echo "bench_blocks.sh: $real/MANIFEST.tsv not found; nothing to measure" >&2; exit 2; }

# file, block number: the blocks whose real header is known.
while IFS=$'\t' read -r file _ block _ _ _ _ header _; do
  [[ $file == file || -z $header ]] && continue
  if [[ -n ${BLOCKS:-} && " $BLOCKS " != *" $file "* ]]; then continue; fi
  for threads in ${THREADS:-1 2}; do
    "$bench" "$real/$file" --block "$block" --threads "$threads" --max-memory 8G \
      --parameter-set "${PARAMETER_SET:-fast}" 2> /dev/null
  done
done < "$real/MANIFEST.tsv"
