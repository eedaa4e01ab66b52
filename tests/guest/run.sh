#!/bin/bash
# Guest tests: boots the real Debian guest under kite once per script tests/guest/NAME.sh
# (kernel command line kite.test=NAME; /init runs /tests/NAME.sh and powers off).
#
# A script prints "TEST <check> PASS|FAIL <detail>" per check and "TESTS DONE" at the end.
# Every `check <name>` the script contains is expected: a missing line fails, as do a
# timeout, a kernel oops or panic, or kite not exiting 0 on the guest's poweroff.
# A script names the kite options it needs in a line "# kite-args: OPTIONS" (e.g.
# "# kite-args: --rng"); they are appended to the kite command line, split as a shell
# would split them (quotes work), with @WORK@ replaced by the test's work directory (a
# fresh directory whose path has a space in it). "# kite-env: VAR=VALUE ..." sets
# environment variables for kite.
#
# Host side: a file tests/guest/NAME.host (bash, sourced) may define
#   host_setup DIR    before the boot, e.g. create disk images in DIR; failing fails the test.
#                     It may write more kite options to DIR/kite-args (quoted as in a shell),
#                     e.g. a port it picked; they come after the script's kite-args.
#   host_during DIR LOG  runs in the background from kite's start until it exits, e.g. to
#                     drive kite's QMP socket; LOG is the console log so far (wait for a
#                     marker the guest prints). Prints PASS/FAIL lines as host_verify does;
#                     killed if still running 30 s after kite exited
#   host_verify DIR   after kite exited: prints "PASS <check>" / "FAIL <check> (why)" lines
#   host_skip         succeeds, printing why, when the machine lacks what the test needs
#                     (the test is then reported as SKIP and not run)
#   host_checks="a b" the checks host_during or host_verify must report (a missing one fails)
#   host_kill_on=TEXT kill kite with SIGKILL as soon as TEXT appears on the console (then
#                     exit status 137 is the expected one, not 0)
#
# KITE_GUEST_TESTS="name1 name2*" runs only the scripts whose names match (and skips the
# interactive console tests unless "interactive" matches, the SiFive console one unless
# "uart_sifive_console" does).
# Then tests/guest/interactive.py drives the shell of a normal boot through the console.
#
# KITE_GUEST_ROUNDS="plic aia pci pci-aia" (the default) runs the tests once per machine
# shape. plic: as the scripts say. aia: --irqchip aia on every kite command line (through
# a wrapper, so the Python console tests get it too); the guest's kernel must have found the
# APLIC and IMSIC. pci: --transport pci, so every VirtIO device sits behind the PCIe host
# bridge (INTx); pci-aia: both, so they interrupt through MSI-X.
# Engines: plic and pci run the default engine (the JIT on x86-64), aia and pci-aia the
# interpreter (--engine interp), so every script runs on both engines; a script that picks
# its own interrupt controller or transport runs in the aia round too, with only
# --engine interp added, as if in the plic round, its results named guest.interp.NAME. The pci rounds run the
# virtio_* scripts and virtio_console.py only, and each virtio_* script must report
# transport-pci (and, under aia, transport-msix) from lib.sh's transport_checks. A round's
# results are named guest.ROUND.NAME.CHECK and its logs guest-ROUND-NAME.console; the
# guest finds the round in kite.round= on its command line.
#
# Boots are independent: KITE_GUEST_JOBS (default: the number of CPUs) of them run at once
# (tests/pool.sh), and each one's lines are printed when it and all before it have ended,
# in the order above. A .host file therefore names what it makes on the host after its
# own subshell ($BASHPID), never after run.sh ($$).
set -u
cd "$(dirname "$0")/../.."
. tests/pool.sh
KITE=${KITE:-${BUILD:-build}/kite}
TIMEOUT=${KITE_GUEST_TIMEOUT:-300}
LOG_DIR=${BUILD:-build}/test-logs
mkdir -p "$LOG_DIR"

if ! paths=$(guest/paths.sh); then
    echo "FAIL guest.images (no cached guest: guest/build.sh failed or was not run)"
    exit 0
fi
eval "$paths"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
guest/mk-tests-cpio.sh "$tmp/tests.cpio" tests/guest > /dev/null
cat "$KITE_INITRD" "$tmp/tests.cpio" > "$tmp/initrd"

selected() {
    local pat
    [ -z "${KITE_GUEST_TESTS:-}" ] && return 0
    for pat in $KITE_GUEST_TESTS; do
        # shellcheck disable=SC2254
        case "$1" in $pat) return 0 ;; esac
    done
    return 1
}

# run_kite LOG KILL_ON ARGS...: runs kite with the console in LOG, bounded by $TIMEOUT;
# with KILL_ON non-empty, SIGKILLs it once that text is on the console. Sets rc.
run_kite() {
    local log=$1 kill_on=$2
    shift 2
    if [ -z "$kill_on" ]; then
        timeout "$TIMEOUT" "$@" < /dev/null > "$log" 2>&1
        rc=$?
        return
    fi
    # Empty the log first: the child's redirection may come after our first look.
    : > "$log"
    "$@" < /dev/null >> "$log" 2>&1 &
    local pid=$! waited=0
    while kill -0 "$pid" 2>/dev/null; do
        if grep -q -- "$kill_on" "$log" 2>/dev/null; then
            kill -KILL "$pid"
            break
        fi
        if [ "$waited" -ge $((TIMEOUT * 10)) ]; then
            kill -KILL "$pid"
            echo "guest: timeout, killed" >> "$log"
            break
        fi
        sleep 0.1
        waited=$((waited + 1))
    done
    { wait "$pid"; } 2>/dev/null
    rc=$?
}

# Set per round by the loop at the end: the kite to run, and how results and logs are named.
round_kite=$KITE round=plic P=guest. TAG=

run_one() {
    local script=$1 name log extra env_line work expected_rc=0
    name=$(basename "$script" .sh)
    log=$LOG_DIR/guest-$TAG$name.console
    host_kill_on= host_checks=
    unset -f host_setup host_during host_verify host_skip 2>/dev/null
    [ -f "tests/guest/$name.host" ] && . "tests/guest/$name.host"
    local why
    if declare -F host_skip > /dev/null && why=$(host_skip); then
        echo "SKIP $P$name: $why"
        return
    fi
    work="$LOG_DIR/guest work/$TAG$name"
    rm -rf "$work"
    mkdir -p "$work"
    if declare -F host_setup > /dev/null && ! host_setup "$work" > "$work/setup.log" 2>&1; then
        echo "FAIL $P$name.host-setup ($(tail -n 3 "$work/setup.log" | tr '\n' ' '))"
        return
    fi
    # The line holds options as they would be typed: split it as the shell would.
    extra=$(sed -n 's/^#[[:space:]]*kite-args:[[:space:]]*//p' "$script" | head -n1)
    extra=${extra//@WORK@/$work}
    local -a args=() envs=()
    eval "args=($extra)"
    if [ -f "$work/kite-args" ]; then
        local more
        more=$(cat "$work/kite-args")
        eval "args+=($more)"
        extra="$extra $more"
    fi
    env_line=$(sed -n 's/^#[[:space:]]*kite-env:[[:space:]]*//p' "$script" | head -n1)
    eval "envs=($env_line)"
    [ -n "$host_kill_on" ] && expected_rc=137
    local during_pid=
    : > "$work/during.log"
    if declare -F host_during > /dev/null; then
        # A fresh log: the hook must never see the previous run's markers.
        rm -f "$log"
        host_during "$work" "$log" > "$work/during.log" 2>&1 &
        during_pid=$!
    fi
    start=$(date +%s.%N)
    # The CPU time kite used, next to the wall time: boots share the CPUs (KITE_GUEST_JOBS),
    # so a boot that got slower shows whether it worked more or waited longer.
    local TIMEFORMAT='%U %S' cpu
    { time run_kite "$log" "$host_kill_on" env "${envs[@]}" "$round_kite" run \
        --kernel "$KITE_KERNEL" --initrd "$tmp/initrd" --bios "$KITE_BIOS" \
        --append "console=ttyS0 kite.test=$name kite.round=$round" "${args[@]}"; } \
        2> "$work/kite-cpu"
    cpu=$(awk '{ printf "%.1f", $1 + $2 }' "$work/kite-cpu")
    if [ -n "$during_pid" ]; then
        local waited=0
        while kill -0 "$during_pid" 2>/dev/null && [ $waited -lt 300 ]; do
            sleep 0.1
            waited=$((waited + 1))
        done
        kill "$during_pid" 2>/dev/null
        wait "$during_pid" 2>/dev/null
    fi
    secs=$(echo "$(date +%s.%N) - $start" | bc 2>/dev/null || echo "?")
    echo "guest: $TAG$name: kite${extra:+ $extra} exited $rc after ${secs}s, ${cpu}s CPU (console log: $log)"

    # Per boot: other boots may be checking theirs at the same time.
    local console=$tmp/console-$TAG$name
    tr -d '\r' < "$log" > "$console"
    expected=$(grep -oE '^[[:space:]]*check[[:space:]]+[A-Za-z0-9._-]+' "$script" |
               awk '{print $2}' | sort -u)
    for check in $expected; do
        if grep -qE "^TEST $check PASS( |$)" "$console"; then
            echo "PASS $P$name.$check"
        elif line=$(grep -m1 -E "^TEST $check FAIL" "$console"); then
            echo "FAIL $P$name.$check (${line#TEST $check FAIL })"
        else
            echo "FAIL $P$name.$check (no result line: see $log)"
        fi
    done
    # A FAIL line for a check the script does not name literally still fails the run.
    grep -E '^TEST [^ ]+ FAIL' "$console" | while read -r _ check _ detail; do
        echo "$expected" | grep -qx -- "$check" || echo "FAIL $P$name.$check ($detail)"
    done
    if grep -q '^TESTS DONE' "$console"; then
        echo "PASS $P$name.completed"
    else
        echo "FAIL $P$name.completed (no TESTS DONE; exit $rc)"
    fi
    if grep -qE 'Kernel panic|Oops|BUG:|WARNING: CPU|Unable to handle kernel' "$console"; then
        echo "FAIL $P$name.kernel-clean ($(grep -m1 -E 'Kernel panic|Oops|BUG:|WARNING: CPU|Unable to handle' "$console"))"
    else
        echo "PASS $P$name.kernel-clean"
    fi
    local what=poweroff-exits-0
    [ "$expected_rc" = 0 ] || what=sigkill-exits-$expected_rc
    if [ $rc -eq "$expected_rc" ]; then
        echo "PASS $P$name.$what"
    else
        echo "FAIL $P$name.$what (exit $rc)"
    fi
    case $round in
    pci*)
        # The round means nothing unless the devices really sat on PCI (and used MSI-X).
        local want=transport-pci
        [ "$round" = pci-aia ] && want="transport-pci transport-msix"
        for check in $want; do
            grep -qE "^TEST $check (PASS|FAIL)" "$console" ||
                echo "FAIL $P$name.$check (no result line: the script must call transport_checks)"
        done ;;
    esac
    if case $round in *aia) true ;; *) false ;; esac; then
        # The round means nothing unless the guest really ran on the APLIC and IMSIC.
        if grep -q 'riscv-imsic: .*per-CPU IDs' "$console" &&
           grep -q 'riscv-aplic .*forwarded to MSI' "$console"; then
            echo "PASS $P$name.irqchip-aia"
        else
            echo "FAIL $P$name.irqchip-aia (no riscv-imsic / riscv-aplic MSI lines on the console)"
        fi
    fi
    : > "$work/verify.log"
    if declare -F host_verify > /dev/null; then
        host_verify "$work" > "$work/verify.log" 2>&1
    fi
    sed -n "s/^\(PASS\|FAIL\) /\1 $P$name.host./p" "$work/during.log" "$work/verify.log"
    # Every check host_checks names must have reported.
    for check in ${host_checks:-}; do
        cat "$work/during.log" "$work/verify.log" | grep -qE "^(PASS|FAIL) $check( |$)" ||
            echo "FAIL $P$name.host.$check (no result: see $work/during.log, verify.log)"
    done
}

# A round's kite: the same binary with the round's options after the command word.
kite_abs=$(cd "$(dirname "$KITE")" && pwd)/$(basename "$KITE")
round_wrapper() {
    local file=$tmp/kite-$1
    shift
    printf '#!/bin/sh\ncmd=$1\nshift\nexec "%s" "$cmd" %s "$@"\n' "$kite_abs" "$*" > "$file"
    chmod +x "$file"
    echo "$file"
}

interp_kite=$(round_wrapper interp --engine interp)
aia_kite=$(round_wrapper aia --irqchip aia --engine interp)
pci_kite=$(round_wrapper pci --transport pci)
pci_aia_kite=$(round_wrapper pci-aia --transport pci --irqchip aia --engine interp)

# set_round ROUND: the kite to run and how results and logs are named. "interp" is the aia
# round's run of a script that picks its own interrupt controller or transport: the plic
# round's machine on the interpreter.
set_round() {
    round=$1
    case $round in
    plic) round_kite=$KITE P=guest. TAG= ;;
    interp) round=plic round_kite=$interp_kite P=guest.interp. TAG=interp- ;;
    aia) round_kite=$aia_kite P=guest.aia. TAG=aia- ;;
    pci) round_kite=$pci_kite P=guest.pci. TAG=pci- ;;
    pci-aia) round_kite=$pci_aia_kite P=guest.pci-aia. TAG=pci-aia- ;;
    esac
}

# The list of boots, in the order their results are printed: JOB_ROUND, JOB_KIND (script:
# a tests/guest/NAME.sh, py: a Python console test, bad: an unknown round) and JOB_ARG.
JOB_ROUND=() JOB_KIND=() JOB_ARG=()
add_job() { JOB_ROUND+=("$1"); JOB_KIND+=("$2"); JOB_ARG+=("$3"); }

for round in ${KITE_GUEST_ROUNDS:-plic aia pci pci-aia}; do
    case $round in
    plic|aia|pci|pci-aia) ;;
    *) add_job "$round" bad ""; continue ;;
    esac
    for script in tests/guest/*.sh; do
        name=$(basename "$script" .sh)
        case $name in run|lib) continue ;; esac
        selected "$name" || continue
        # The pci rounds are about the VirtIO devices.
        case $round in pci*) case $name in virtio_*) ;; *) continue ;; esac ;; esac
        # A script that picks its interrupt controller or transport itself runs in the plic
        # round, and in the aia round with the interpreter only.
        if grep -qE '^#[[:space:]]*kite-args:.*--(irqchip|transport)' "$script"; then
            case $round in
            plic) add_job plic script "$script" ;;
            aia) add_job interp script "$script" ;;
            esac
            continue
        fi
        add_job "$round" script "$script"
    done

    # The SiFive UART as the interactive console (--uart sifive, then --uart both), on
    # each interrupt controller.
    case $round in plic|aia)
        selected uart_sifive_console && add_job "$round" py uart_sifive_console ;;
    esac

    # Then the shell of a normal boot through the console.
    selected interactive || continue
    pys="interactive console_tty virtio_console"
    case $round in pci*) pys=virtio_console ;; esac
    for py in $pys; do add_job "$round" py "$py"; done
done

# run_job I: boots job I, printing its results.
run_job() {
    set_round "${JOB_ROUND[$1]}"
    local arg=${JOB_ARG[$1]} log start
    case ${JOB_KIND[$1]} in
    bad) echo "FAIL guest.rounds (unknown round '$round')" ;;
    script) run_one "$arg" ;;
    py)
        log=$LOG_DIR/guest-$TAG${arg//_/-}.console
        start=$(date +%s.%N)
        python3 "tests/guest/$arg.py" "$round_kite" "$KITE_KERNEL" "$KITE_INITRD" "$KITE_BIOS" \
            "$log" | sed "s/^\(PASS\|FAIL\|SKIP\) guest\./\1 $P/"
        # A driver that dies half way prints no FAIL for the checks it never reached.
        local rc=${PIPESTATUS[0]}
        [ "$rc" -eq 0 ] || echo "FAIL $P${arg//_/-} ($arg.py exited $rc: see its traceback above)"
        echo "guest: $TAG$arg.py took $(echo "$(date +%s.%N) - $start" | bc)s (console log: $log)"
        ;;
    esac
}

# Boots run KITE_GUEST_JOBS at a time (default: one per CPU), their results printed in the
# list's order.
mkdir -p "$tmp/jobs"
pool_run "$tmp/jobs" "$(pool_jobs KITE_GUEST_JOBS)" "${#JOB_KIND[@]}" run_job
