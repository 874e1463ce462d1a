#!/usr/bin/env bash
# One block of a Slurm range run (submit-range.sh sets the environment): the array task's block
# (WITPROVE_BASE + SLURM_ARRAY_TASK_ID), or WITPROVE_BLOCK for a chained run's job. Proves it with
# prove-witness into WITPROVE_OUT/<N>.proof (on WITPROVE_OUT/<N-1>.proof when chained and that proof exists),
# appends its result line to WITPROVE_OUT/results/<N>.jsonl (one per attempt) and its metric lines to
# WITPROVE_OUT/metrics/<N>.jsonl. A prover killed by a signal (Slurm's time limit, scancel, the out-of-memory
# killer) leaves no result line of its own: this script writes one, outcome "killed". Exits as the prover did.
set -uo pipefail
n=${WITPROVE_BLOCK:-$((WITPROVE_BASE + SLURM_ARRAY_TASK_ID))}
out=$WITPROVE_OUT
results=$out/results/$n.jsonl
attempt=1
[ -f "$results" ] && attempt=$(($(grep -c . "$results") + 1))
args=(--witness "$WITPROVE_SOURCE" --block "$n" --output "$out/$n.proof" --threads "$WITPROVE_THREADS"
  --max-memory "$WITPROVE_MAX_MEMORY" --parameter-set "$WITPROVE_PARAMETER_SET" --attempt "$attempt"
  --metrics "$out/metrics/$n.jsonl" --format json)
if [ "$WITPROVE_MODE" = chained ] && [ -f "$out/$((n - 1)).proof" ]; then
  args+=(--previous-proof "$out/$((n - 1)).proof")
fi
start=$(date +%s.%N)
# Slurm signals the whole job at its time limit: this shell outlives the prover to record how it ended (a
# handler, not an ignored signal, so that the prover still gets SIGTERM's default).
trap ':' TERM
"$WITPROVE_BIN/prove-witness" "${args[@]}" >>"$results"
status=$?
if [ $status -gt 128 ]; then
  seconds=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }')
  printf '{"block":%s,"outcome":"killed","seconds":%s,"proof_bytes":0,"error":"the prover was killed by signal %s (a Slurm time limit, scancel, or the out-of-memory killer)"}\n' \
    "$n" "$seconds" $((status - 128)) >>"$results"
fi
exit $status
