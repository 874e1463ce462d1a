#!/usr/bin/env bash
# Starts a throwaway cluster with local-cluster.sh, runs job arrays, dependencies and memory scheduling on it,
# stops it and checks that nothing is left running. Exit 0 on success, 77 (skip) without Slurm or root.
# LOCAL_SLURM_TEST_TIMELIMIT=1 also checks that a job over its 1-minute --time is killed (about 2 minutes more).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export PATH=$PATH:/usr/sbin
"$here/local-cluster.sh" check || exit $?

t0=$(date +%s)
tmp=$(mktemp -d)
state=$tmp/cluster
work=$tmp/work
mkdir -p "$work/out" "$work/chain"
cleanup() { "$here/local-cluster.sh" stop "$state" >/dev/null 2>&1 || true; rm -rf "$tmp"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok ($(($(date +%s) - t0)) s): $*"; }

# "running" for a live process, else "gone" (a zombie waiting to be reaped counts as gone).
state_of() {
  local st
  st=$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null) || { echo gone; return; }
  if [ "$st" = Z ]; then echo gone; else echo running; fi
}
# Live Slurm and munge processes on the machine.
daemon_pids() {
  local p
  for p in /proc/[0-9]*; do
    case $(cat "$p/comm" 2>/dev/null) in
      munged | slurmctld | slurmd | slurmstepd | slurmscriptd)
        [ "$(state_of "${p#/proc/}")" = running ] && echo "${p#/proc/}" ;;
    esac
  done
  return 0
}
before=$(daemon_pids | tr '\n' ' ')

"$here/local-cluster.sh" start "$state" >/dev/null
# shellcheck source=/dev/null
. "$state/env.sh"
ok "cluster up in $(($(date +%s) - t0)) s: $(sinfo -h -o '%n %T cpus=%c mem=%mMB')"
cd "$work"

# Waits (at most $1 seconds) until no job is queued or running.
wait_empty() {
  local i
  for ((i = 0; i < $1 * 4; i++)); do [ -z "$(squeue -h)" ] && return 0; sleep 0.25; done
  squeue >&2
  fail "jobs still queued after $1 s"
}

# 1. A throttled array, then a job that depends on the whole array. (Task variables expand in the job.)
# shellcheck disable=SC2016
array=$(sbatch --parsable --array=0-4%2 --mem=100M --time=1 \
  --wrap 'date +%s.%N > out/$SLURM_ARRAY_TASK_ID.start; echo $SLURM_ARRAY_TASK_ID > out/$SLURM_ARRAY_TASK_ID; sleep 1; date +%s.%N > out/$SLURM_ARRAY_TASK_ID.end')
after=$(sbatch --parsable --dependency="afterany:$array" --mem=100M --time=1 --wrap 'date +%s.%N > out/after')
wait_empty 60
for i in 0 1 2 3 4; do [ "$(cat "out/$i" 2>/dev/null)" = "$i" ] || fail "array task $i wrote no out/$i"; done
ok "array $array: 5 tasks wrote out/0..4"
# At most 2 tasks at once (%2): sweep over start (+1) and end (-1) events.
most=$(for i in 0 1 2 3 4; do echo "$(cat "out/$i.start") 1"; echo "$(cat "out/$i.end") -1"; done |
  sort -g -k1,1 -k2,2n | awk '{ n += $2; if (n > m) m = n } END { print m }')
[ "$most" -le 2 ] || fail "$most array tasks ran at once despite %2"
ok "at most $most array tasks ran at once (%2)"
last_end=$(cat out/*.end | sort -g | tail -n 1)
[ -f out/after ] || fail "dependent job $after did not run"
awk -v a="$(cat out/after)" -v e="$last_end" 'BEGIN { exit !(a >= e) }' || fail "job $after started before the array ended"
ok "job $after (afterany:$array) ran after the last array task"

# 2. A chain of 3 jobs, each afterany the previous: they run in order.
prev=$(sbatch --parsable --mem=10M --wrap 'sleep 1; echo 1 >> chain/order')
prev=$(sbatch --parsable --mem=10M --dependency="afterany:$prev" --wrap 'echo 2 >> chain/order')
sbatch --parsable --mem=10M --dependency="afterany:$prev" --wrap 'echo 3 >> chain/order' >/dev/null
wait_empty 60
[ "$(tr '\n' ' ' <chain/order)" = "1 2 3 " ] || fail "chain ran as: $(tr '\n' ' ' <chain/order)"
ok "chain of 3 afterany jobs ran in order"

# 3. Memory is a scheduled resource: --mem above the node is refused, and two jobs needing 60% of it
# each do not run together (with 2+ CPUs, the CPUs would let them).
real=$(sinfo -h -o %m | tr -d '+ ')
if sbatch --mem=$((real + 1))M --wrap true >/dev/null 2>&1; then fail "--mem above RealMemory accepted"; fi
ok "--mem=$((real + 1))M (above RealMemory=$real) refused at submission"
if [ "$(nproc)" -ge 2 ]; then
  big=$((real * 6 / 10))M
  a=$(sbatch --parsable --mem="$big" --wrap 'sleep 5')
  b=$(sbatch --parsable --mem="$big" --wrap 'true')
  for ((i = 0; i < 60; i++)); do [ "$(squeue -h -j "$a" -o %T)" = RUNNING ] && break; sleep 0.25; done
  st=$(squeue -h -j "$a,$b" -o '%i=%T(%r)' | sort | tr '\n' ' ')
  [ "$st" = "$a=RUNNING(None) $b=PENDING(Resources) " ] || fail "two jobs of --mem=$big each: $st"
  wait_empty 60
  ok "two jobs of --mem=$big each ran one after the other"
fi

# 4. Report only: is --mem enforced on a running job? (Not without cgroups or jobacct_gather.)
sbatch --mem=50M --output=mem.out --wrap '/usr/bin/python3 -c "b = bytearray(300 << 20); b[::4096] = bytes(len(b) >> 12); print(len(b) >> 20)"' >/dev/null
wait_empty 60
if [ "$(cat mem.out 2>/dev/null)" = 300 ]; then
  echo "note: a job with --mem=50M touched 300 MiB and completed: --mem is not enforced at run time"
else
  echo "note: a job with --mem=50M touching 300 MiB did not complete: $(head -c 300 mem.out 2>/dev/null)"
fi

# 5. Optional: a job over --time=1 gets TIMEOUT (Slurm checks limits about every 30 s, then waits KillWait).
if [ "${LOCAL_SLURM_TEST_TIMELIMIT:-0}" = 1 ]; then
  j=$(sbatch --parsable --mem=10M --time=1 --output=time.out --wrap 'sleep 600')
  s=$(date +%s)
  wait_empty 180
  grep -q "DUE TO TIME LIMIT" time.out || fail "job $j over its time limit: $(cat time.out)"
  ok "job $j with --time=1 was killed after $(($(date +%s) - s)) s"
fi

# 6. Stop: the daemons are gone, no Slurm or munge process is left that was not there before the start,
# and no job process of this cluster survives.
pids=$(cat "$state"/run/*.pid)
"$here/local-cluster.sh" stop "$state"
for p in $pids; do
  if [ "$(state_of "$p")" = running ]; then fail "daemon $p ($(cat "/proc/$p/comm")) still running after stop"; fi
done
# A Slurm process of another origin (none is expected) gets 10 s to go, as a slow machine may need.
for ((i = 0; i < 50; i++)); do
  new=""
  for p in $(daemon_pids); do [[ " $before " == *" $p "* ]] || new="$new $p"; done
  [ -z "$new" ] && break
  sleep 0.2
done
for p in $new; do fail "process $p ($(cat "/proc/$p/comm" 2>/dev/null)) left after stop"; done
for p in /proc/[0-9]*; do
  env=$({ tr '\0' '\n' <"$p/environ"; } 2>/dev/null) || continue
  if grep -qxF "SLURM_CONF=$state/slurm.conf" <<<"$env" && grep -q '^SLURM_JOB_ID=' <<<"$env" &&
    [ "$(state_of "${p#/proc/}")" = running ]; then
    fail "job process ${p#/proc/} ($(cat "$p/comm")) left after stop"
  fi
done
"$here/local-cluster.sh" stop "$state"
ok "stopped: no daemon or job process left; a second stop is a no-op"
echo "PASS: local Slurm cluster ($(($(date +%s) - t0)) s)"
