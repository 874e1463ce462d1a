#!/usr/bin/env bash
# Builds a sanitized preset and runs the tests under it:
#   scripts/sanitize.sh asan   AddressSanitizer and UndefinedBehaviorSanitizer (leaks included): every unit
#                              and end-to-end test; any report fails the test that caused it
#   scripts/sanitize.sh tsan   ThreadSanitizer: the tests of the parallel paths (analysis, the prover, ranges),
#                              built against a oneTBB instrumented for it (scripts/tsan-onetbb.sh)
# Extra arguments go to ctest (e.g. -R prove-range). Tests that limit address space (ulimit -v) skip, as the
# sanitizers reserve terabytes of it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
case "${1:-}" in
  asan | tsan) preset=$1 ;;
  *) echo "usage: scripts/sanitize.sh asan|tsan [ctest arguments]" >&2; exit 2 ;;
esac
shift
"$root/scripts/install-deps.sh"
extra=()
if [ "$preset" = tsan ]; then
  # An instrumented oneTBB, so that its hand-offs between threads are seen (scripts/tsan-onetbb.sh).
  "$root/scripts/tsan-onetbb.sh" "$root/build-tsan/onetbb"
  extra=(-DTBB_DIR="$root/build-tsan/onetbb/install/lib/cmake/TBB")
fi
cmake --preset "$preset" -S "$root" "${extra[@]}" >/dev/null
cmake --build "$root/build-$preset" -j "$(nproc)"
cd "$root/build-$preset"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1
# The 1,000-block range measures prove-range's own memory, not the provers': too long sanitized, for nothing.
selection=(-E "1,000 generated blocks")
[ "$preset" = tsan ] && selection=(-R "analyze|prove|range|segment|parallel|stark" -E "1,000 generated blocks|slurm")
ctest --output-on-failure -j "$(nproc)" --timeout 3600 "${selection[@]}" "$@"
