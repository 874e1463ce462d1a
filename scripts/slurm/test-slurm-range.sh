#!/usr/bin/env bash
# A range on a real (local, one-node) Slurm cluster: starts one with local-cluster.sh, generates blocks
# 100..103 whose last is unprovable (a trie node missing from its pre-image) and submits 100..105 (no
# witness for 104, 105) with submit-range.sh, standalone then chained; waits for the jobs and checks report.json, failed-blocks.txt and
# the proofs; resubmits and checks that only the blocks without a proof are submitted again.
# Exit 0 on success, 77 (skip) without Slurm, munge or root. The tools: $WITPROVE_BIN, else build/apps.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
export WITPROVE_BIN=${WITPROVE_BIN:-$root/build/apps}
generator=${WITPROVE_GENERATOR:-$WITPROVE_BIN/../testdata/generate-witnesses}
export PATH=$PATH:/usr/sbin
"$here/local-cluster.sh" check || exit $?
t0=$(date +%s)
tmp=$(mktemp -d)
cleanup() { "$here/local-cluster.sh" stop "$tmp/c" >/dev/null 2>&1 || true; [ -n "${KEEP:-}" ] || rm -rf "$tmp"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok ($(($(date +%s) - t0)) s): $*"; }

"$here/local-cluster.sh" start "$tmp/c" >/dev/null
# shellcheck disable=SC1091
. "$tmp/c/env.sh"
ok "cluster up"
# Blocks 100..103, the last missing a trie node its transactions need: unprovable.
"$generator" --seed 31 --blocks 4 --txs 3 --accounts 8 --first-block 100 --broken missing-node -o "$tmp/src/" >/dev/null
ok "source: 100..102 provable, 103 unprovable, 104 and 105 absent"

# Waits (bounded) until none of the given jobs is queued or running.
wait_jobs() {
  local ids
  ids=$(paste -sd, -)
  for ((i = 0; i < 600; i++)); do
    [ -z "$(squeue -h -j "$ids" 2>/dev/null)" ] && return 0
    sleep 0.5
  done
  squeue >&2
  fail "jobs $ids still queued after 300 s"
}
status_of() { jq -r --argjson b "$2" '.blocks[] | select(.block == $b) | .status' "$1/report.json"; }

for mode in standalone chained; do
  out=$tmp/out-$mode
  # Standalone: arrays of at most 2 indices, so 100..103 takes two arrays, the second after the first.
  split=()
  [ "$mode" = standalone ] && split=(--array-size 2)
  "$here/submit-range.sh" --mode "$mode" --throttle 2 --threads 1 "${split[@]}" "$tmp/src" 100 105 "$out" >"$tmp/ids" 2>"$tmp/submit.log" ||
    { cat "$tmp/submit.log" >&2; fail "submit-range ($mode) failed"; }
  grep -q "estimates: largest block" "$tmp/submit.log" || fail "no estimate in: $(cat "$tmp/submit.log")"
  jobs=$([ "$mode" = standalone ] && echo 2 || echo 4)
  grep -q "4 blocks of 100..105 in $jobs jobs" "$tmp/submit.log" || fail "$mode: submitted: $(cat "$tmp/submit.log")"
  wait_jobs <"$tmp/ids"
  [ -s "$out/report.json" ] || { cat "$out"/logs/* >&2; fail "$mode: no report.json"; }
  for b in 100 101 102; do
    [ "$(status_of "$out" $b)" = proved ] || { cat "$out/summary.txt" >&2; fail "$mode: block $b not proved"; }
  done
  [ "$(status_of "$out" 103)" = failed ] || fail "$mode: block 103 not failed"
  jq -e '.blocks[] | select(.block == 103) | .outcome == "unprovable" and (.error | test("not provable"))' "$out/report.json" >/dev/null ||
    fail "$mode: block 103's outcome or error: $(jq -c '.blocks[] | select(.block == 103)' "$out/report.json")"
  for b in 104 105; do [ "$(status_of "$out" $b)" = missing ] || fail "$mode: block $b not missing"; done
  [ "$(cut -f1 "$out/failed-blocks.txt" | paste -sd' ')" = "103 104 105" ] || fail "$mode: failed-blocks.txt: $(cat "$out/failed-blocks.txt")"
  chain=()
  [ "$mode" = chained ] && chain=(--chain)
  "$WITPROVE_BIN/verify-proof" "${chain[@]}" "$out"/100.proof "$out"/101.proof "$out"/102.proof >/dev/null 2>&1 ||
    fail "$mode: the proofs do not verify${chain[*]:+ as a chain}"
  grep -q "prove-segment" "$out/summary.txt" || fail "$mode: summary.txt has no job table"
  ok "$mode: 100..102 proved$([ "$mode" = chained ] && echo " as a chain"), 103 unprovable, 104..105 missing, report and failed-blocks.txt right"

  # Resubmitting proves only what has no proof.
  "$here/submit-range.sh" --mode "$mode" --throttle 2 --threads 1 --mem 1G --time 5 "$tmp/src" 100 105 "$out" >"$tmp/ids" 2>"$tmp/submit.log"
  grep -q "submit-range: 1 blocks of 100..105" "$tmp/submit.log" || fail "$mode: resubmission: $(cat "$tmp/submit.log")"
  wait_jobs <"$tmp/ids"
  [ "$(jq '.summary.proved' "$out/report.json")" = 3 ] || fail "$mode: after resubmission: $(jq -c .summary "$out/report.json")"
  [ "$(jq '[.blocks[] | select(.block == 103) | .attempts][0]' "$out/report.json")" = 2 ] || fail "$mode: block 103 not attempted twice"
  ok "$mode: resubmission submitted only 103 again"
done
echo "PASS ($(($(date +%s) - t0)) s)"
