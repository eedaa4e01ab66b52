#!/bin/bash
# Sourced by the test suites that run independent, CPU-bound jobs (guest boots, fuzzers):
# a small job pool whose output reads as if the jobs had run one after another.

# pool_jobs: how many jobs at once, from the variable named by $1 when it is set (e.g.
# KITE_GUEST_JOBS), else one per CPU: each job keeps about one CPU busy, and more at once
# would only share the CPUs and stretch any wait a job has on the wall clock.
pool_jobs() {
    local n=${!1:-$(nproc 2>/dev/null || echo 1)}
    case $n in ''|*[!0-9]*|0) n=1 ;; esac
    echo "$n"
}

# pool_run DIR MAX COUNT FN: calls FN 0 ... FN COUNT-1, each in a subshell of its own, at
# most MAX at once, in that order. Each job's stdout and stderr wait in DIR (which must
# exist) until every job before it has been printed: the output keeps the list's order
# whatever finishes first. Returns once every job has ended and been printed.
pool_run() {
    local dir=$1 max=$2 total=$3 fn=$4 next=0 printed=0 running i
    while [ "$printed" -lt "$total" ]; do
        running=0
        for ((i = printed; i < next; i++)); do
            [ -e "$dir/$i.done" ] || running=$((running + 1))
        done
        if [ "$running" -lt "$max" ] && [ "$next" -lt "$total" ]; then
            # The inner subshell: .done appears even when a job calls exit.
            ( ("$fn" "$next") > "$dir/$next.out" 2>&1; : > "$dir/$next.done" ) &
            next=$((next + 1))
            continue
        fi
        while [ "$printed" -lt "$next" ] && [ -e "$dir/$printed.done" ]; do
            cat "$dir/$printed.out"
            printed=$((printed + 1))
        done
        [ "$printed" -lt "$total" ] || break
        # Until a job ends; the short sleep covers a job already reaped by an earlier wait.
        wait -n 2>/dev/null || sleep 0.1
    done
    wait
}
