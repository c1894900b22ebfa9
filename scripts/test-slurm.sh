#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# A throw-away single-node Slurm cluster for the test of the worker job-array script
# (packaging/slurm/paretoscope-workers.sbatch): munged, slurmctld and slurmd with their key, configuration, state,
# spool, logs and pid files under DIR, on free loopback ports; no cgroups, no systemd, no accounting
# (proctrack/linuxproc, task/none). ctest starts it before the tests that need it and stops it after them, also when
# they fail (fixture "slurm" in tests/CMakeLists.txt).
#
# Usage: scripts/test-slurm.sh start DIR   the node is idle when it returns; clients need SLURM_CONF=DIR/slurm.conf
#        scripts/test-slurm.sh stop DIR    cancels the cluster's jobs, stops its daemons and removes DIR
# As root, jobs of any user run; as another user, the daemons run as that user and only that user's jobs run.
set -euo pipefail
action=${1:?start or stop}
dir=${2:?directory}

# Running: not a zombie (a slow init leaves exited daemons as zombies for a while, and kill -0 succeeds on them).
alive() {
    local st
    st=$(ps -o stat= -p "$1" 2>/dev/null) && [[ -n "$st" && "${st:0:1}" != Z ]]
}

stop() {
    [[ -d "$dir" ]] || return 0
    dir=$(cd "$dir" && pwd -P)
    export SLURM_CONF=$dir/slurm.conf
    # Jobs first, while the daemons run, so that slurmstepd ends the job processes itself.
    if [[ -s "$dir/run/slurmctld.pid" ]] && alive "$(cat "$dir/run/slurmctld.pid")"; then
        scancel --quiet --state=PENDING --partition=test 2>/dev/null || true
        local jobs
        jobs=$(squeue -h -o %F 2>/dev/null | sort -u)
        [[ -n "$jobs" ]] && scancel --quiet --full $jobs 2>/dev/null || true
        for _ in $(seq 50); do [[ -z "$(squeue -h 2>/dev/null)" ]] && break; sleep 0.2; done
    fi
    local name pid
    for name in slurmd slurmctld munged; do
        [[ -s "$dir/run/$name.pid" ]] || continue
        pid=$(cat "$dir/run/$name.pid")
        kill -TERM "$pid" 2>/dev/null || continue
        for _ in $(seq 20); do alive "$pid" || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
    done
    # Job scripts left behind run from DIR/spool/jobNNNNN/slurm_script, each in its own session.
    for pid in $(pgrep -f "$dir/spool/job" 2>/dev/null); do
        local sid
        sid=$(ps -o sid= -p "$pid" 2>/dev/null | tr -d ' ')
        [[ -n "$sid" && "$sid" != 0 ]] && pkill -KILL -s "$sid" 2>/dev/null || true
        kill -KILL "$pid" 2>/dev/null || true
    done
    rm -rf "$dir"
}

free_port() {
    local p
    while :; do
        p=$((20000 + RANDOM % 20000))
        ss -Htln "sport = :$p" | grep -q . || { echo "$p"; return; }
    done
}

case "$action" in
stop)
    stop
    ;;
start)
    stop # a cluster left by an interrupted run
    command -v slurmctld >/dev/null || { echo "test-slurm: no Slurm (install slurm-wlm munge)" >&2; exit 1; }
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd -P)
    mkdir -p "$dir"/{state,spool,log,run}
    chmod 755 "$dir" # other users' clients reach munge.socket and read slurm.conf

    mungekey --create --keyfile="$dir/munge.key" --force
    munged --force --socket="$dir/munge.socket" --key-file="$dir/munge.key" --pid-file="$dir/run/munged.pid" \
        --log-file="$dir/log/munged.log" --seed-file="$dir/run/munged.seed"
    for _ in $(seq 50); do [[ -S "$dir/munge.socket" ]] && break; sleep 0.1; done

    ctld_port=$(free_port)
    while :; do slurmd_port=$(free_port); [[ "$slurmd_port" != "$ctld_port" ]] && break; done
    host=$(hostname -s)
    mem=$(free -m | awk '/^Mem:/ {print $2}')
    mem=$((mem > 2048 ? mem - 1024 : mem / 2)) # slurmd drains a node that has less than RealMemory
    : >"$dir/plugstack.conf"
    cat >"$dir/slurm.conf" <<CONF
ClusterName=psctest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=$(id -un)
SlurmdUser=$(id -un)
AuthType=auth/munge
AuthInfo=socket=$dir/munge.socket
CredType=cred/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
PlugStackConfig=$dir/plugstack.conf
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
MailProg=/bin/true
ReturnToService=2
NodeName=$host NodeAddr=127.0.0.1 CPUs=$(nproc) RealMemory=$mem State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
    export SLURM_CONF=$dir/slurm.conf
    slurmctld -f "$dir/slurm.conf"
    slurmd -f "$dir/slurm.conf"
    state=
    for _ in $(seq 300); do
        state=$(sinfo -h -N -n "$host" -o %T 2>/dev/null || true)
        [[ "$state" == idle ]] && break
        sleep 0.2
    done
    if [[ "$state" != idle ]]; then
        echo "test-slurm: node state '${state:-?}' after 60 s; logs in $dir/log:" >&2
        tail -n 20 "$dir"/log/*.log >&2 || true
        exit 1
    fi
    echo "test-slurm: node $host idle (SLURM_CONF=$dir/slurm.conf)"
    ;;
*)
    echo "usage: $0 start|stop DIR" >&2
    exit 2
    ;;
esac
