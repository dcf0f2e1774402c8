#!/usr/bin/env bash
# tests/slurm/run_slurm_smoke.sh — the cluster path on a real SLURM: installs Debian's SLURM,
# munge, slurmdbd and MariaDB if missing, starts a single-node cluster with accounting on this
# machine, runs the smoke workflow through profiles/slurm, checks that every job went through
# sbatch and ended COMPLETED in sacct, that the report exists and that the tables match the
# references, then stops every daemon it started and removes its state.
#   tests/slurm/run_slurm_smoke.sh [--compare-with DIR]    (as root; no systemd needed)
# --compare-with: also check the tables against a local smoke run's (DIR = its
# reports/generated), with the same tolerances as the references.
# Everything lives in one temporary directory: munge key and socket, MariaDB data, SLURM
# configuration (found through SLURM_CONF), state, spool, logs, pid files, and a copy of the
# repository's source files, so the run never touches the checkout's results, reports or logs
# (the local smoke run writes those). Ports are chosen free at start. Nothing under /etc is
# written. LOWBIT_SLURM_KEEP=1 keeps the directory (daemons are stopped anyway).
# Exit 0: passed; 1: a check failed; 2: cannot run here (not root, install failed).
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
export PYENV_VERSION=system
export USER=${USER:-$(id -un)} # Snakemake's --slurm executor reads $USER (unset under CI)
say() { echo "slurm-smoke: $*"; }
compare=
if [[ ${1:-} == --compare-with ]] && [[ -d ${2:-} ]]; then
  compare=$(cd "$2" && pwd)
elif (($#)); then
  say "usage: $0 [--compare-with DIR] (DIR: a local smoke run's reports/generated)" >&2
  exit 2
fi
if [[ $(id -u) -ne 0 ]]; then
  say "needs root (it installs packages and starts munge, MariaDB and SLURM daemons)" >&2
  exit 2
fi
t_start=$SECONDS
phase() { # name: prints the time the previous phase took
  local now=$SECONDS
  [[ -n ${phase_name:-} ]] && say "phase '$phase_name': $((now - phase_t0)) s"
  phase_name=$1
  phase_t0=$now
  [[ -n $1 ]] && say "--- $1"
  return 0
}

phase "install"
"$repo/scripts/install-deps.sh" --slurm || exit 2

phase "start daemons"
T=$(mktemp -d "${TMPDIR:-/tmp}/lowbit-slurm.XXXXXX")
chmod 755 "$T" # munge and mysql (the daemons' users) must reach their subdirectories
pids=()        # daemons started here, in start order
names=()
cleanup() {
  local rc=$?
  set +e
  if [[ -n ${smk:-} ]] && kill -0 "$smk" 2>/dev/null; then
    kill -INT "$smk" # Snakemake's own cancel (7.21 can hang in it: killed after 30 s,
    for _ in $(seq 60); do
      kill -0 "$smk" 2>/dev/null || break
      sleep 0.5
    done
    kill -KILL "$smk" 2>/dev/null # the scancel below ends what it left)
  fi
  if [[ -n ${SLURM_CONF:-} ]] && [[ -e $SLURM_CONF ]] && ((${#pids[@]} >= 4)); then
    scancel --quiet --user "$USER" 2>/dev/null # jobs left by a failed run
    for _ in $(seq 30); do
      [[ -z $(squeue -h 2>/dev/null) ]] && break
      sleep 1
    done
  fi
  local i p
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    p=${pids[i]}
    kill -TERM "$p" 2>/dev/null || continue
    for _ in $(seq 100); do
      kill -0 "$p" 2>/dev/null || break
      sleep 0.2
    done
    if kill -0 "$p" 2>/dev/null; then
      say "${names[i]} (pid $p) did not stop in 20 s: killed"
      kill -KILL "$p" 2>/dev/null
    fi
    wait "$p" 2>/dev/null
  done
  ((${#pids[@]})) && say "stopped ${names[*]} (pids ${pids[*]})"
  if ((rc != 0)); then
    for f in "$T"/slurm/*.log "$T"/mysql/error.log "$T"/munge/munged.log; do
      [[ -s $f ]] && { echo "--- tail of $f"; tail -n 15 "$f"; }
    done
  fi
  if [[ ${LOWBIT_SLURM_KEEP:-0} == 1 ]]; then
    say "kept $T"
  else
    rm -rf "$T"
  fi
  phase ""
  say "total $((SECONDS - t_start)) s, exit $rc"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM
started() { # name pid
  names+=("$1")
  pids+=("$2")
}
wait_for() { # description seconds pid command...: polls until command succeeds
  local what=$1 secs=$2 pid=$3
  shift 3
  local end=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    if ! kill -0 "$pid" 2>/dev/null; then
      say "$what: the daemon exited" >&2
      return 1
    fi
    if ((SECONDS >= end)); then
      say "$what: not ready after $secs s" >&2
      return 1
    fi
    sleep 0.5
  done
}
host=$(hostname -s)
read -r db_port dbd_port ctld_port slurmd_port < <(/usr/bin/python3 -c '
import socket
ss = [socket.socket() for _ in range(4)]
for s in ss:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in ss))')

# munge: a fresh key, socket, log and pid file in $T/munge, run as user munge
mkdir -m 700 "$T/munge"
head -c 1024 /dev/urandom > "$T/munge/munge.key"
chmod 400 "$T/munge/munge.key"
chown -R munge:munge "$T/munge"
chmod 755 "$T/munge" # the socket is used by root's SLURM daemons and clients
msock=$T/munge/munge.socket
setpriv --reuid=munge --regid=munge --init-groups munged -F --socket="$msock" \
  --key-file="$T/munge/munge.key" --pid-file="$T/munge/munged.pid" \
  --log-file="$T/munge/munged.log" --seed-file="$T/munge/munged.seed" > "$T/munged.out" 2>&1 &
started munged $!
munge_ok() { munge -S "$msock" -n | unmunge -S "$msock" | grep -q 'STATUS: *Success'; }
wait_for munged 20 "${pids[-1]}" munge_ok

# MariaDB: a new data directory, TCP on 127.0.0.1 only, no system option files
mkdir -p "$T/mysql/data"
chown -R mysql:mysql "$T/mysql"
mariadb-install-db --no-defaults --user=mysql --datadir="$T/mysql/data" \
  --auth-root-authentication-method=socket --skip-test-db > "$T/mysql/install.log" 2>&1 ||
  { tail "$T/mysql/install.log"; exit 2; }
mysock=$T/mysql/mysqld.sock
mariadbd --no-defaults --user=mysql --datadir="$T/mysql/data" --socket="$mysock" \
  --pid-file="$T/mysql/mysqld.pid" --log-error="$T/mysql/error.log" --port="$db_port" \
  --bind-address=127.0.0.1 --skip-name-resolve --innodb-buffer-pool-size=64M > "$T/mariadbd.out" 2>&1 &
started mariadbd $!
wait_for mariadbd 60 "${pids[-1]}" mariadb-admin --no-defaults --socket="$mysock" ping
dbpass=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
mariadb --no-defaults --socket="$mysock" -u root -e "
  CREATE USER 'slurm'@'127.0.0.1' IDENTIFIED BY '$dbpass';
  GRANT ALL ON slurm_acct_db.* TO 'slurm'@'127.0.0.1';"

# SLURM: configuration, state, spool, logs and pid files in $T/slurm
S=$T/slurm
mkdir -p "$S/state" "$S/spool"
export SLURM_CONF=$S/slurm.conf
cluster=lowbitsmoke
account=lowbit
partition=smoke
# The node as slurmd sees it (CPUs, sockets, cores, threads, memory): a node described
# with more than the hardware has would be drained.
node=$(slurmd -C | head -1 | sed -E 's/ UpTime=.*//')
cat > "$SLURM_CONF" <<EOF
ClusterName=$cluster
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$msock
StateSaveLocation=$S/state
SlurmdSpoolDir=$S/spool
SlurmctldPidFile=$S/slurmctld.pid
SlurmdPidFile=$S/slurmd.pid
SlurmctldLogFile=$S/slurmctld.log
SlurmdLogFile=$S/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
MailProg=/bin/true
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=127.0.0.1
AccountingStoragePort=$dbd_port
AccountingStoragePass=$msock
JobCompType=jobcomp/none
$node NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=$partition Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
# slurmdbd reads slurmdbd.conf from SLURM_CONF's directory; it holds a password: mode 600
(umask 077 && cat > "$S/slurmdbd.conf" <<EOF
AuthType=auth/munge
AuthInfo=socket=$msock
DbdHost=$host
DbdAddr=127.0.0.1
DbdPort=$dbd_port
SlurmUser=root
LogFile=$S/slurmdbd.log
PidFile=$S/slurmdbd.pid
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort=$db_port
StorageUser=slurm
StoragePass=$dbpass
StorageLoc=slurm_acct_db
EOF
)
slurmdbd -D > "$T/slurmdbd.out" 2>&1 &
started slurmdbd $!
wait_for slurmdbd 60 "${pids[-1]}" sacctmgr -n list cluster || { sacctmgr -n list cluster; exit 1; }
# accounting: the cluster, an account, and this user in it (Snakemake checks the account
# with sacctmgr and polls job states with sacct)
sacctmgr -i add cluster "$cluster" > /dev/null
sacctmgr -i add account "$account" cluster="$cluster" description="lowbit smoke test" \
  organization=lowbit > /dev/null
sacctmgr -i add user "$USER" account="$account" cluster="$cluster" > /dev/null
slurmctld -D > "$T/slurmctld.out" 2>&1 &
started slurmctld $!
wait_for slurmctld 30 "${pids[-1]}" scontrol ping
slurmd -D -N "$host" > "$T/slurmd.out" 2>&1 &
started slurmd $!
node_idle() { [[ $(sinfo -h -n "$host" -o %t) == idle ]]; }
wait_for slurmd 30 "${pids[-1]}" node_idle
sinfo -N -o '%N %P %t %c %m'

phase "smoke workflow through profiles/slurm"
# a copy of the source files (tracked and new, not ignored): the run writes its own
# results, reports/generated, logs and .snakemake there
W=$T/work
mkdir "$W"
git -C "$repo" ls-files -z -co --exclude-standard |
  (cd "$repo" && tar --null -T - --ignore-failed-read -cf -) | tar -C "$W" -xf -
# the site-specific part, as a site would add it to the profile's default resources
/usr/bin/python3 - "$W/profiles/slurm/config.yaml" "$account" "$partition" <<'EOF'
import sys, yaml
path, account, partition = sys.argv[1:]
with open(path) as fh:
    prof = yaml.safe_load(fh)
prof["default-resources"] += [f"slurm_account={account}", f"slurm_partition={partition}"]
# one CPU per job on this 2-CPU test node, so that two jobs run at once (each job's lowbit still
# uses the config's thread count: results do not change, only the wall time)
prof["default-resources"] = [r for r in prof["default-resources"]
                             if not r.startswith("cpus_per_task=")] + ["cpus_per_task=1"]
with open(path, "w") as fh:
    yaml.safe_dump(prof, fh, sort_keys=False)
EOF
cd "$W"
log=$T/snakemake.log
# Snakemake 7.21 polls sacct at most once per 33 s unless told <= 1 check per second: with
# one status check per job that is ~40 min for this workflow. A one-node test cluster can
# take 1 per second; a site's profile keeps Snakemake's gentler default.
snakemake --profile profiles/slurm --configfile experiments/smoke.yaml \
  --max-status-checks-per-second 1 > >(tee "$log") 2>&1 &
smk=$! # in the background, so that a signal reaches the trap while it runs
rc=0
wait "$smk" || rc=$?
smk=
if ((rc != 0)); then
  say "snakemake failed (exit $rc)" >&2
  exit 1
fi

phase "checks"
fail=0
mapfile -t ids < <(sed -nE 's/.*has been submitted with SLURM jobid ([0-9]+).*/\1/p' "$log")
njobs=$(grep -cE '^(rule|checkpoint) ' "$log" || true)
say "snakemake submitted ${#ids[@]} SLURM jobs for $njobs cluster rules"
if ((${#ids[@]} == 0 || ${#ids[@]} != njobs)); then
  say "FAIL: expected one sbatch submission per non-local job" >&2
  fail=1
fi
if ((${#ids[@]})); then
  list=$(IFS=,; echo "${ids[*]}")
  sacct -X -j "$list" --format=JobID,JobName%28,Partition,Account,AllocCPUS,State,ExitCode,Elapsed
  mapfile -t rows < <(sacct -X -n -P -j "$list" --format=JobIDRaw,State,ExitCode)
  if ((${#rows[@]} != ${#ids[@]})); then
    say "FAIL: sacct lists ${#rows[@]} of the ${#ids[@]} submitted jobs" >&2
    fail=1
  fi
  bad=$(printf '%s\n' "${rows[@]}" | grep -vE '^[0-9]+\|COMPLETED\|0:0$' || true)
  if [[ -n $bad ]]; then
    say "FAIL: jobs not COMPLETED with exit 0:0:" >&2
    echo "$bad" >&2
    fail=1
  fi
fi
if [[ -s reports/report.pdf ]] && head -c 5 reports/report.pdf | grep -q '%PDF-'; then
  say "report: reports/report.pdf, $(stat -c %s reports/report.pdf) bytes"
else
  say "FAIL: reports/report.pdf missing or not a PDF" >&2
  fail=1
fi
# the same tolerance check the local smoke run passes, against the same references
/usr/bin/python3 experiments/scripts/check_tables.py || fail=1
if [[ -n $compare ]]; then
  say "tables against the local smoke run's ($compare), same tolerances"
  mkdir "$T/local"
  cp tests/expected/tolerances.yaml "$T/local/"
  for f in tests/expected/*.csv; do
    ln -s "$compare/${f##*/}" "$T/local/"
  done
  /usr/bin/python3 experiments/scripts/check_tables.py --expected "$T/local" || fail=1
fi
((fail == 0)) && say "passed" || say "FAILED" >&2
exit $fail
