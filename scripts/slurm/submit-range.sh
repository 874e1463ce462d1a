#!/usr/bin/env bash
# Proves a block range on a Slurm cluster: an sbatch job array with one task per block (a throttle on the
# tasks running at once, per-task memory and time limits from analyze-witnesses --estimate), proofs into a
# shared output folder, and a finishing job (afterany) that writes OUTDIR/report.json as prove-range does,
# OUTDIR/summary.txt and OUTDIR/failed-blocks.txt. Chained mode submits one job per block, each depending on
# its parent's (afterany), so every block is proved on its parent's proof when that one was made.
#
# Usage: scripts/slurm/submit-range.sh [options] SOURCE START END OUTDIR
#   --mode standalone|chained  (default standalone)
#   --throttle N        array tasks running at once (default 16; arrays run one after the other)
#   --threads N         CPUs per task, all given to the prover (default 2)
#   --max-memory SIZE   the prover's memory cap (default 8G): tables and segments shrink to fit it
#   --mem SIZE          Slurm memory per task (default: the range's largest estimate + 25%, at least 1G, and
#                       at most --max-memory + 25%)
#   --time MINUTES      Slurm time limit per task (default: 3 times the range's longest estimate + 10 minutes)
#   --parameter-set fast|compact
#   --array-size N      array indices per array job (default 1000: under Slurm's default MaxArraySize, 1001)
#   --sbatch-arg ARG    passed to every sbatch call, repeatable (e.g. --sbatch-arg=--partition=batch)
#   --dry-run           print the sbatch calls instead of making them
# SOURCE and OUTDIR must be seen by every node at the same path, and so must the tools ($WITPROVE_BIN, else
# build/apps beside this script). Blocks the source does not hold are not submitted (the report lists them as
# missing), nor are blocks whose proof in OUTDIR already holds (prove-range --collect: it verifies, and
# chained, sits on its parent's), so running the same command after failures proves only what is missing
# (chained: from the first block without such a proof on). Prints the job ids, the finishing job's last.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=$(cd "${WITPROVE_BIN:-$root/build/apps}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)

mode=standalone throttle=16 threads=2 max_memory=8G mem='' time_limit='' parameter_set=fast array_size=1000 dry_run=0
sbatch_args=()
positional=()
while [ $# -gt 0 ]; do
  case $1 in
    --mode) mode=$2; shift 2 ;;
    --throttle) throttle=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --max-memory) max_memory=$2; shift 2 ;;
    --mem) mem=$2; shift 2 ;;
    --time) time_limit=$2; shift 2 ;;
    --parameter-set) parameter_set=$2; shift 2 ;;
    --array-size) array_size=$2; shift 2 ;;
    --sbatch-arg=*) sbatch_args+=("${1#--sbatch-arg=}"); shift ;;
    --sbatch-arg) sbatch_args+=("$2"); shift 2 ;;
    --dry-run) dry_run=1; shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "submit-range: unknown option $1" >&2; exit 2 ;;
    *) positional+=("$1"); shift ;;
  esac
done
if [ ${#positional[@]} -ne 4 ]; then
  echo "usage: $0 [options] SOURCE START END OUTDIR (--help for the options)" >&2
  exit 2
fi
source_path=$(realpath "${positional[0]}")
start=${positional[1]} end=${positional[2]}
out=$(realpath -m "${positional[3]}")
[[ $start =~ ^[0-9]+$ && $end =~ ^[0-9]+$ && $start -le $end ]] || { echo "submit-range: START and END must be block numbers, START <= END" >&2; exit 2; }
[[ $mode == standalone || $mode == chained ]] || { echo "submit-range: --mode must be standalone or chained" >&2; exit 2; }
[ -e "$source_path" ] || { echo "submit-range: $source_path does not exist" >&2; exit 2; }
command -v jq >/dev/null || { echo "submit-range: jq is needed" >&2; exit 2; }
mkdir -p "$out/results" "$out/metrics" "$out/logs"

# Bytes of a size with a K/M/G/T suffix; a plain number is megabytes, as for sbatch --mem.
bytes_of() { if [[ $1 =~ ^[0-9]+$ ]]; then echo $(($1 << 20)); else numfmt --from=iec "${1%B}"; fi; }

# Where the range stands: prove-range --collect verifies every proof in OUTDIR (chained: that it sits on
# its parent's) and tells the blocks the source does not hold; its report.json is the run's so far.
status=0
"$bin/prove-range" "$source_path" "$start" "$end" --output-dir "$out" --collect --mode "$mode" \
  --threads "$threads" >/dev/null 2>"$out/logs/collect.log" || status=$?
# 1 is "some block is not proved yet"; anything else means the state could not be read.
[ $status -le 1 ] || { cat "$out/logs/collect.log" >&2; echo "submit-range: cannot read the range's state" >&2; exit 1; }
# Standalone: the blocks not proved; chained: from the first of them on (each later proof must sit on a new
# one). Blocks missing from the source are never submitted.
mapfile -t todo < <(jq -r --arg mode "$mode" '
  [.blocks[] | select(.status != "missing")] as $present
  | ([$present[] | select(.status != "proved") | .block] | first) as $first
  | $present[] | select(if $mode == "chained" then ($first != null and .block >= $first) else .status != "proved" end)
  | .block' "$out/report.json")

# Per-task limits from the estimates of the blocks to prove (the largest of each).
if [ ${#todo[@]} -gt 0 ] && { [ -z "$mem" ] || [ -z "$time_limit" ]; }; then
  read -r est_bytes est_seconds < <(
    "$bin/analyze-witnesses" "$source_path" "${todo[0]}" "${todo[-1]}" --estimate --prover-threads "$threads" \
      --max-memory "$max_memory" --parameter-set "$parameter_set" --threads "$threads" --format json 2>/dev/null |
      jq -r '[.blocks[] | .estimate // empty] | "\(map(.memory_bytes) | max // 0) \(map(.seconds) | max // 0)"' ||
      echo "0 0")
  cap=$(bytes_of "$max_memory")
  if [ -z "$mem" ]; then
    want=$((est_bytes * 5 / 4))
    [ "$want" -gt $((cap * 5 / 4)) ] && want=$((cap * 5 / 4))
    [ "$want" -lt $((1 << 30)) ] && want=$((1 << 30))
    mem=$(((want + (1 << 20) - 1) >> 20))M
  fi
  [ -n "$time_limit" ] || time_limit=$(awk -v s="$est_seconds" 'BEGIN { printf "%d", s * 3 / 60 + 10.999 }')
  echo "submit-range: estimates: largest block $(numfmt --to=iec "$est_bytes")B, longest ${est_seconds}s; tasks get --mem=$mem --time=$time_limit" >&2
fi
mem=${mem:-1G} time_limit=${time_limit:-10}
# The prover's cap stays under Slurm's limit.
mem_bytes=$(bytes_of "$mem")
prover_memory=$(bytes_of "$max_memory")
[ "$prover_memory" -gt $((mem_bytes * 9 / 10)) ] && prover_memory=$((mem_bytes * 9 / 10))

export WITPROVE_BIN=$bin WITPROVE_SOURCE=$source_path WITPROVE_OUT=$out WITPROVE_MODE=$mode \
  WITPROVE_THREADS=$threads WITPROVE_MAX_MEMORY=$prover_memory WITPROVE_PARAMETER_SET=$parameter_set \
  WITPROVE_START=$start WITPROVE_END=$end
common=(--parsable --cpus-per-task="$threads" --mem="$mem" --time="$time_limit" --export=ALL "${sbatch_args[@]}")
submit() {
  if [ $dry_run = 1 ]; then
    echo "sbatch $*" >&2
    echo "DRY$RANDOM"
  else
    sbatch "$@" | cut -d';' -f1
  fi
}

# "0-4,6,9-10": the indices as Slurm array ranges.
ranges() {
  awk 'BEGIN { RS = " " } NF { if (NR > 1 && $1 == last + 1) { last = $1; next }
       if (NR > 1) printf "%s%s,", first, (last > first ? "-" last : ""); first = last = $1 }
       END { printf "%s%s", first, (last > first ? "-" last : "") }' <<<"$*"
}

ids=()
# A failed sbatch cancels what this call submitted: never half a run without its finishing job.
abort() {
  echo "submit-range: sbatch failed; cancelling ${ids[*]:-nothing}" >&2
  [ ${#ids[@]} -eq 0 ] || [ $dry_run = 1 ] || scancel "${ids[@]}" || true
  exit 1
}
if [ ${#todo[@]} -eq 0 ]; then
  echo "submit-range: nothing to prove: every block of $start..$end has a proof that verifies or no witness in the source" >&2
elif [ "$mode" = standalone ]; then
  # Arrays of indices below --array-size (Slurm's MaxArraySize bounds the index, not the count), one after
  # the other, so that --throttle bounds the tasks running at once over the whole range.
  i=0
  while [ $i -lt ${#todo[@]} ]; do
    base=${todo[i]}
    indices=()
    while [ $i -lt ${#todo[@]} ] && [ $((todo[i] - base)) -lt "$array_size" ]; do
      indices+=($((todo[i] - base)))
      i=$((i + 1))
    done
    after=()
    [ ${#ids[@]} -gt 0 ] && after=(--dependency="afterany:${ids[-1]}")
    id=$(WITPROVE_BASE=$base submit "${common[@]}" "${after[@]}" --job-name=witprove-prove \
      --array="$(ranges "${indices[@]}")%$throttle" --output="$out/logs/prove-%A_%a.out" "$here/prove-task.sh") || abort
    ids+=("$id")
  done
else
  for n in "${todo[@]}"; do
    after=()
    [ ${#ids[@]} -gt 0 ] && after=(--dependency="afterany:${ids[-1]}")
    id=$(WITPROVE_BLOCK=$n submit "${common[@]}" "${after[@]}" --job-name="witprove-chain-$n" \
      --output="$out/logs/prove-$n-%j.out" "$here/prove-task.sh") || abort
    ids+=("$id")
  done
fi
# Jobs run one after the other, so the finishing job waits for the last.
after=()
[ ${#ids[@]} -gt 0 ] && after=(--dependency="afterany:${ids[-1]}")
finish=$(submit --parsable --cpus-per-task="$threads" --mem=2G --time=120 --export=ALL "${sbatch_args[@]}" \
  "${after[@]}" --job-name=witprove-finish --output="$out/logs/finish-%j.out" "$here/finish-range.sh") || abort
echo "submit-range: ${#todo[@]} blocks of $start..$end in ${#ids[@]} jobs (${ids[*]:-none}); finishing job $finish writes $out/report.json" >&2
printf '%s\n' "${ids[@]}" "$finish"
