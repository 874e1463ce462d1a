#!/usr/bin/env bash
# Proves a block range on a Slurm cluster: an sbatch job array with one task per block (a throttle on the
# tasks running at once, per-task memory and time limits from analyze-witnesses --estimate), proofs into a
# shared output folder, and a finishing job (afterany) that writes OUTDIR/report.json as prove-range does,
# OUTDIR/summary.txt and OUTDIR/failed-blocks.txt. Chained mode submits one job per block, each depending on
# its parent's (afterany), so every block is proved on its parent's proof when that one was made.
#
# Usage: scripts/slurm/submit-range.sh [options] SOURCE START END OUTDIR
#   --mode standalone|chained  (default standalone)
#   --throttle N        array tasks running at once (default 16)
#   --threads N         CPUs per task, all given to the prover (default 2)
#   --max-memory SIZE   the prover's memory cap (default 8G): tables and segments shrink to fit it
#   --mem SIZE          Slurm memory per task (default: the range's largest estimate + 25%, at least 1G, and
#                       at most --max-memory + 25%)
#   --time MINUTES      Slurm time limit per task (default: 3 times the range's longest estimate + 10 minutes)
#   --parameter-set fast|compact
#   --array-size N      most tasks per array job (default 1000: Slurm's default MaxArraySize is 1001)
#   --sbatch-arg ARG    passed to every sbatch call, repeatable (e.g. --sbatch-arg=--partition=batch)
#   --dry-run           print the sbatch calls instead of making them
# SOURCE and OUTDIR must be seen by every node at the same path, and so must the tools ($WITPROVE_BIN, else
# build/apps beside this script). Blocks the source does not hold are not submitted (the report lists them as
# missing), nor are blocks whose proof in OUTDIR already verifies, so
# running the same command after failures proves only what is missing (chained: from the first block
# without a proof on). Prints the job ids, the finishing job's last.
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

# Bytes of a size with a K/M/G/T suffix.
bytes_of() { numfmt --from=iec "$1"; }

# The blocks whose proof already verifies.
declare -A done_blocks=()
if compgen -G "$out/*.proof" >/dev/null; then
  while read -r b; do done_blocks[$b]=1; done < <(
    "$bin/verify-proof" --format json "$out"/*.proof 2>/dev/null | jq -r 'select(.status == "valid") | .block' || true)
fi
todo=()
for ((n = start; n <= end; n++)); do
  if [ "$mode" = chained ] && [ ${#todo[@]} -gt 0 ]; then todo+=("$n"); continue; fi
  [ -n "${done_blocks[$n]:-}" ] || todo+=("$n")
done

# The blocks the source holds (the others are missing: nothing to submit), and per-task limits from the
# estimates of its provable blocks (the largest of each).
estimate=()
[ -z "$mem" ] || [ -z "$time_limit" ] && estimate=(--estimate --prover-threads "$threads" --max-memory "$max_memory")
analysis=$("$bin/analyze-witnesses" "$source_path" "$start" "$end" "${estimate[@]}" --format json 2>/dev/null) || true
[ -n "$analysis" ] || { echo "submit-range: analyze-witnesses could not read $source_path" >&2; exit 1; }
declare -A present=()
while read -r b; do present[$b]=1; done < <(jq -r '.blocks[] | .block // empty' <<<"$analysis")
in_source=()
for n in "${todo[@]}"; do [ -n "${present[$n]:-}" ] && in_source+=("$n"); done
todo=("${in_source[@]}")
if [ ${#estimate[@]} -gt 0 ]; then
  read -r est_bytes est_seconds < <(jq -r '[.blocks[] | .estimate // empty]
    | "\(map(.memory_bytes) | max // 0) \(map(.seconds) | max // 0)"' <<<"$analysis")
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
if [ ${#todo[@]} -eq 0 ]; then
  echo "submit-range: every block of $start..$end already has a proof that verifies" >&2
elif [ "$mode" = standalone ]; then
  for ((i = 0; i < ${#todo[@]}; i += array_size)); do
    chunk=("${todo[@]:i:array_size}")
    base=${chunk[0]}
    indices=()
    for n in "${chunk[@]}"; do indices+=($((n - base))); done
    ids+=("$(WITPROVE_BASE=$base submit "${common[@]}" --job-name=witprove-prove --array="$(ranges "${indices[@]}")%$throttle" \
      --output="$out/logs/prove-%A_%a.out" "$here/prove-task.sh")")
  done
else
  previous=
  for n in "${todo[@]}"; do
    dependency=()
    [ -n "$previous" ] && dependency=(--dependency="afterany:$previous")
    previous=$(WITPROVE_BLOCK=$n submit "${common[@]}" "${dependency[@]}" --job-name="witprove-chain-$n" \
      --output="$out/logs/prove-$n-%j.out" "$here/prove-task.sh")
    ids+=("$previous")
  done
fi
dependency=()
[ ${#ids[@]} -gt 0 ] && dependency=(--dependency="afterany:$(IFS=:; echo "${ids[*]}")")
finish=$(submit --parsable --cpus-per-task="$threads" --mem=1G --time=60 --export=ALL "${sbatch_args[@]}" \
  "${dependency[@]}" --job-name=witprove-finish --output="$out/logs/finish-%j.out" "$here/finish-range.sh")
echo "submit-range: ${#todo[@]} blocks of $start..$end in ${#ids[@]} jobs (${ids[*]:-none}); finishing job $finish writes $out/report.json" >&2
printf '%s\n' "${ids[@]}" "$finish"
