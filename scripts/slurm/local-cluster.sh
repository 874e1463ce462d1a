#!/usr/bin/env bash
# Starts or stops a one-node Slurm cluster (munged, slurmctld, slurmd on localhost) kept entirely in STATE_DIR:
#   scripts/slurm/local-cluster.sh start STATE_DIR   # prints "export SLURM_CONF=..." (also in STATE_DIR/env.sh)
#   scripts/slurm/local-cluster.sh stop STATE_DIR    # cancels jobs, kills the daemons; idempotent
#   scripts/slurm/local-cluster.sh check             # exit 0 when a cluster can start here, else 77 and why
# Needs root and Debian's slurm-wlm and munge (scripts/install-deps.sh --slurm). Ports: LOCAL_SLURM_PORT
# (slurmctld, default 6817) and the next one (slurmd). Users other than root can submit only if STATE_DIR
# and its parents are traversable by all (munged's socket must be reachable; --force lets it start anyway).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

usage() { echo "usage: $0 start|stop STATE_DIR, or $0 check" >&2; exit 2; }
case "$#:${1:-}" in 2:start | 2:stop) ;; 1:check)
  # For tests: 77 is a skip.
  if [ ! -x /usr/sbin/slurmctld ] || [ ! -x /usr/sbin/munged ]; then
    echo "SKIP: slurmctld or munged not installed (scripts/install-deps.sh --slurm)"
    exit 77
  fi
  if [ "$(id -u)" -ne 0 ]; then
    echo "SKIP: the local cluster needs root"
    exit 77
  fi
  exit 0 ;;
*) usage ;; esac
action=$1
[ "$action" = stop ] && [ ! -d "$2" ] && exit 0
mkdir -p "$2"
state=$(cd "$2" && pwd)
conf=$state/slurm.conf

# True while PID runs as the named program (a zombie, or a reused pid, does not count).
alive() {
  local pid=$1 name=$2 st
  [ -r "/proc/$pid/stat" ] || return 1
  st=$(cut -d' ' -f3 "/proc/$pid/stat" 2>/dev/null) || return 1
  [ "$st" != Z ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$name" ]
}

# Sends SIGTERM to the daemon whose pid file is given, then SIGKILL if it is still there after 10 s.
stop_daemon() {
  local pidfile=$1 name=$2 pid i
  [ -s "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  if alive "$pid" "$name"; then
    kill "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do alive "$pid" "$name" || break; sleep 0.1; done
    if alive "$pid" "$name"; then kill -9 "$pid" 2>/dev/null || true; sleep 0.2; fi
  fi
  rm -f "$pidfile"
}

logs_tail() {
  local f
  for f in "$state"/log/*.log; do [ -f "$f" ] && { echo "--- $f"; tail -n 15 "$f"; }; done >&2
}

# Processes of this cluster that can outlive slurmd: each slurmstepd (it keeps STATE_DIR/log/slurmd.log open)
# with its descendants, and job processes (SLURM_JOB_ID and this SLURM_CONF in their environment).
leftovers() {
  local p pid f rest env
  local -A ppid=() ours=()
  for p in /proc/[0-9]*; do
    pid=${p#/proc/}
    rest=$(cat "$p/stat" 2>/dev/null) || continue
    rest=${rest##*) } # fields after "(comm)": state ppid ...
    ppid[$pid]=$(cut -d' ' -f2 <<<"$rest")
    if [ "$(cat "$p/comm" 2>/dev/null)" = slurmstepd ]; then
      for f in "$p"/fd/*; do [[ $(readlink "$f" 2>/dev/null) == "$state/log/"* ]] && ours[$pid]=1; done
    fi
    env=$({ tr '\0' '\n' <"$p/environ"; } 2>/dev/null) || continue
    grep -qxF "SLURM_CONF=$conf" <<<"$env" && grep -q '^SLURM_JOB_ID=' <<<"$env" && ours[$pid]=1
  done
  # Add descendants until nothing changes (the process tree is shallow).
  local grew=1
  while [ $grew = 1 ]; do
    grew=0
    for pid in "${!ppid[@]}"; do
      [ -z "${ours[$pid]:-}" ] && [ -n "${ours[${ppid[$pid]}]:-}" ] && { ours[$pid]=1; grew=1; }
    done
  done
  [ ${#ours[@]} -eq 0 ] || printf '%s\n' "${!ours[@]}"
}

if [ "$action" = stop ]; then
  export SLURM_CONF=$conf
  # Cancel jobs while the daemons can still do it cleanly, then give them a few seconds to go.
  if [ -s "$state/run/slurmctld.pid" ] && alive "$(cat "$state/run/slurmctld.pid")" slurmctld; then
    mapfile -t jobs < <(squeue -h -o %A 2>/dev/null)
    [ ${#jobs[@]} -eq 0 ] || scancel --quiet "${jobs[@]}" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do [ -z "$(squeue -h 2>/dev/null)" ] && break; sleep 0.2; done
  fi
  stop_daemon "$state/run/slurmd.pid" slurmd
  stop_daemon "$state/run/slurmctld.pid" slurmctld
  stop_daemon "$state/run/munged.pid" munged
  # Leftovers are killed until none is found; a killed process takes a moment to go (a slow machine, or a
  # slurmstepd finishing its step as slurmd went): up to 10 s.
  for ((i = 0; i < 50; i++)); do
    mapfile -t rest < <(leftovers)
    [ ${#rest[@]} -eq 0 ] && break
    kill -9 "${rest[@]}" 2>/dev/null || true
    sleep 0.2
  done
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "local-cluster: must run as root (slurmd needs root to start jobs as their submitters)" >&2
  exit 1
fi
for b in /usr/sbin/munged /usr/sbin/slurmctld /usr/sbin/slurmd /usr/bin/sinfo; do
  [ -x "$b" ] || { echo "local-cluster: $b missing (scripts/install-deps.sh --slurm)" >&2; exit 1; }
done
# Unix socket paths are limited to 108 bytes.
if [ ${#state} -gt 80 ]; then
  echo "local-cluster: STATE_DIR path too long for a socket: $state" >&2
  exit 1
fi
if [ -s "$state/run/slurmctld.pid" ] && alive "$(cat "$state/run/slurmctld.pid")" slurmctld; then
  echo "local-cluster: already running in $state (stop it first)" >&2
  exit 1
fi

# munged demands a key readable only by its owner and a socket directory open to everyone.
mkdir -p "$state/munge" "$state/run" "$state/log" "$state/ctld" "$state/slurmd"
chmod 700 "$state/munge"
chmod 755 "$state/run"
if [ ! -s "$state/munge/munge.key" ]; then
  head -c 1024 /dev/urandom >"$state/munge/munge.key"
fi
chmod 400 "$state/munge/munge.key"

host=$(hostname -s)
cpus=$(nproc)
# RealMemory a bit under the total (95%, MB), since slurmd drains a node claiming more than it has.
mem=$(awk '/^MemTotal:/ { printf "%d", $2 / 1024 * 0.95 }' /proc/meminfo)
port=${LOCAL_SLURM_PORT:-6817}
: >"$state/plugstack.conf" # no SPANK plugins: ignore /etc/slurm/plugstack.conf
sed -e "s|@STATE@|$state|g" -e "s|@HOST@|$host|g" -e "s|@CPUS@|$cpus|g" -e "s|@MEM@|$mem|g" \
  -e "s|@MEM_PER_CPU@|$((mem / cpus))|g" -e "s|@CTLD_PORT@|$port|g" -e "s|@SLURMD_PORT@|$((port + 1))|g" \
  "$here/local-slurm.conf.in" >"$conf"
echo "export SLURM_CONF=$conf" >"$state/env.sh"
export SLURM_CONF=$conf

fail() { echo "local-cluster: $*" >&2; logs_tail; "$0" stop "$state" || true; exit 1; }

/usr/sbin/munged --force --key-file="$state/munge/munge.key" --socket="$state/run/munge.socket" \
  --pid-file="$state/run/munged.pid" --log-file="$state/log/munged.log" \
  --seed-file="$state/munge/munged.seed" || fail "munged did not start"
/usr/sbin/slurmctld -f "$conf" || fail "slurmctld did not start"
/usr/sbin/slurmd -f "$conf" -N "$host" || fail "slurmd did not start"

# Bounded wait for the node to register and become idle; a daemon that died (e.g. port in use) ends it early.
for ((i = 0; i < 120; i++)); do
  st=$(sinfo -h -n "$host" -o %T 2>/dev/null || true)
  [ "$st" = idle ] && { echo "export SLURM_CONF=$conf"; exit 0; }
  for d in slurmctld slurmd; do
    if [ $i -ge 10 ] && ! { [ -s "$state/run/$d.pid" ] && alive "$(cat "$state/run/$d.pid")" $d; }; then
      fail "$d exited (another cluster on port $port? set LOCAL_SLURM_PORT)"
    fi
  done
  sleep 0.5
done
fail "node $host not idle after 60 s (state: ${st:-none})"
