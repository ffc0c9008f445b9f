#!/usr/bin/env bash
# Runs the README's Slurm array job on a throw-away one-node Slurm cluster on this machine and
# checks that the sharded outputs are byte-identical to one single-machine run.
#
#   bash scripts/slurm-test.sh BUILD_DIR SHARED_DIR
#
# Needs root and the Debian packages slurm-wlm, munge and iproute2 (scripts/install-deps.sh
# does not install them; .ci/run does). No systemd: munged, slurmctld and slurmd are started
# directly, with a key, a slurm.conf and state/spool/log folders in a temporary folder, and
# stopped on exit. Everything is loopback-only: when the kernel allows it the test re-runs
# itself in new network and UTS namespaces (unshare), where the only interface is lo and the
# host is called "localhost", so nothing listens on the machine's real addresses and another
# Slurm (or a second copy of this test) cannot collide on the ports.
# Environment: SLURM_TEST_FRAMES (frames per video, default 40), SLURM_TEST_TIMEOUT (seconds
# to wait for the job, default 600), SLURM_TEST_KEEP=1 keeps the temporary folder.
set -euo pipefail

usage() { echo "usage: scripts/slurm-test.sh BUILD_DIR SHARED_DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
build=$(cd "$1" && pwd) || usage
shared=$(cd "$2" && pwd) || usage
auface=$build/auface
[ -x "$auface" ] || { echo "slurm-test: $auface not built" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "slurm-test: must run as root (starts slurmd)" >&2; exit 2; }
for p in munged mungekey slurmctld slurmd sbatch sinfo scontrol; do
  command -v "$p" >/dev/null ||
    { echo "slurm-test: $p missing: apt-get install slurm-wlm munge" >&2; exit 2; }
done

# Private network (only lo) and hostname, if the kernel lets us.
if [ -z "${AUFACE_SLURM_NS:-}" ] && unshare --net --uts true 2>/dev/null &&
   command -v ip >/dev/null; then
  exec env AUFACE_SLURM_NS=1 unshare --net --uts -- bash "$0" "$@"
fi
if [ -n "${AUFACE_SLURM_NS:-}" ]; then
  ip link set lo up
  # Slurm resolves its listening address with AI_ADDRCONFIG, which glibc answers only when
  # an IPv4 address other than 127.0.0.1 exists: a second loopback address provides it.
  ip addr add 127.0.0.2/8 dev lo
  hostname localhost
  echo "slurm-test: in private network and UTS namespaces (only lo, hostname localhost)"
else
  echo "slurm-test: no namespaces (unshare unavailable): daemons bind the default ports"
fi
# slurmctld only runs where SlurmctldHost names the local host; outside the namespace the
# host keeps its name, with the loopback address.
host=$(hostname -s)
[ "$host" = localhost ] && ctl_host=localhost || ctl_host="$host(127.0.0.1)"

frames=${SLURM_TEST_FRAMES:-40}
timeout=${SLURM_TEST_TIMEOUT:-600}
T=$(mktemp -d /tmp/auface-slurm.XXXXXX)
chmod 755 "$T"
pids=()
cleanup() {
  local rc=$?
  # Stop the daemons we started (and only those), newest first.
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill "${pids[i]}" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  if [ $rc -ne 0 ]; then
    for f in "$T"/log/*.log; do
      [ -f "$f" ] && { echo "---- $(basename "$f") (last lines)"; tail -n 15 "$f"; }
    done
  fi
  if [ "${SLURM_TEST_KEEP:-0}" = 1 ]; then echo "slurm-test: kept $T"; else rm -rf "$T"; fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$T"/munge "$T"/state "$T"/spool "$T"/log "$T"/out "$T"/single "$T"/job

# munge: our own key and socket.
mungekey --create --keyfile="$T/munge/munge.key" 2>/dev/null ||
  { dd if=/dev/urandom of="$T/munge/munge.key" bs=1024 count=1 status=none; }
chmod 600 "$T/munge/munge.key"
socket=$T/munge/munge.socket
munged --foreground --force --socket="$socket" --key-file="$T/munge/munge.key" \
  --pid-file="$T/munge/munged.pid" --seed-file="$T/munge/munged.seed" \
  --log-file="$T/log/munged.log" >>"$T/log/munged.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 50); do [ -S "$socket" ] && break; sleep 0.1; done
[ -S "$socket" ] || { echo "slurm-test: munged did not start" >&2; exit 1; }

export SLURM_CONF=$T/slurm.conf
cat >"$SLURM_CONF" <<EOF
ClusterName=auface-test
SlurmctldHost=$ctl_host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$socket
StateSaveLocation=$T/state
SlurmdSpoolDir=$T/spool
SlurmctldPidFile=$T/slurmctld.pid
SlurmdPidFile=$T/slurmd.pid
SlurmctldLogFile=$T/log/slurmctld.log
SlurmdLogFile=$T/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/builtin
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SwitchType=switch/none
ReturnToService=2
SlurmdTimeout=60
MinJobAge=600
NodeName=localhost NodeAddr=127.0.0.1 CPUs=2 RealMemory=1024 State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF

slurmctld -D -c -f "$SLURM_CONF" >"$T/log/slurmctld.stdout" 2>&1 &
pids+=($!)
slurmd -D -N localhost -f "$SLURM_CONF" >"$T/log/slurmd.stdout" 2>&1 &
pids+=($!)
state=""
for _ in $(seq 1 100); do
  state=$(sinfo -h -n localhost -o %T 2>/dev/null || true)
  case "$state" in idle*) break ;; esac
  sleep 0.3
done
case "$state" in
  idle*) echo "slurm-test: cluster up: $(sinfo -h -o '%P %D nodes, %T, %c CPUs' | head -n 1)" ;;
  *) echo "slurm-test: the node did not become idle (state '$state')" >&2; exit 1 ;;
esac

# The inputs, as a video list, and the README's array job (two tasks, one per CPU).
printf '%s\n' "$shared/media/default.wmv" "$shared/media/2015-10-15-15-14.avi" >"$T/corpus.txt"
cat >"$T/job/auface.sbatch" <<EOF
#!/bin/bash
#SBATCH --array=0-1
#SBATCH --cpus-per-task=1
#SBATCH --output=$T/log/job_%A_%a.out
"$auface" --models "$shared/models" --video-list "$T/corpus.txt" --out-dir "$T/out" \\
          --workers 1 --max-frames $frames --write-hog \\
          --shard \${SLURM_ARRAY_TASK_ID}/\${SLURM_ARRAY_TASK_COUNT} --quiet
EOF
start=$(date +%s)
rc=0
# --wait: returns when every array task has ended, with the highest exit code.
timeout "$timeout" sbatch --wait --chdir="$T/job" "$T/job/auface.sbatch" >"$T/log/sbatch.out" ||
  rc=$?
echo "slurm-test: $(head -n 1 "$T/log/sbatch.out"); finished in $(( $(date +%s) - start )) s"
for f in "$T"/log/job_*.out; do
  [ -s "$f" ] && { echo "---- $(basename "$f")"; cat "$f"; }
done
if [ $rc -ne 0 ]; then
  echo "slurm-test: the array job failed or timed out (exit $rc)" >&2
  scontrol show job 2>/dev/null | grep -E 'JobId|JobState|ExitCode|Reason' >&2 || true
  exit 1
fi
scontrol show job | grep -E '^JobId|JobState' | paste - - | sed 's/^/  /'

# The same corpus on this machine in one process.
"$auface" --models "$shared/models" --video-list "$T/corpus.txt" --out-dir "$T/single" \
  --workers 2 --max-frames "$frames" --write-hog --quiet
n=0
for f in "$T"/single/*; do
  name=$(basename "$f")
  [ -f "$T/out/$name" ] || { echo "slurm-test: the array job did not write $name" >&2; exit 1; }
  cmp "$f" "$T/out/$name" || { echo "slurm-test: $name differs from the single run" >&2; exit 1; }
  n=$((n + 1))
done
[ "$(ls "$T/out" | wc -l)" -eq "$n" ] ||
  { echo "slurm-test: unexpected outputs: $(ls "$T/out")" >&2; exit 1; }
[ $n -ge 4 ] || { echo "slurm-test: only $n outputs" >&2; exit 1; }
echo "slurm-test: ok: $n output files of the 2-task array job are byte-identical to the single run:"
ls -l "$T/out" | tail -n +2 | awk '{print "  " $5 " bytes  " $9}'
