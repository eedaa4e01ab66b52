#!/bin/bash
# Runs every kite test and ends with one line: "N passed, N failed[, N skipped]".
# Each suite prints lines "PASS name", "FAIL name ..." or "SKIP name: why"; this script
# counts them. Exit status is non-zero when anything failed.
set -u
cd "$(dirname "$0")/.."
. tests/pool.sh
BUILD=${BUILD:-build}
LOG_DIR=$BUILD/test-logs
mkdir -p "$LOG_DIR"

results=$LOG_DIR/results.txt
: > "$results"
timing=$LOG_DIR/timing.txt
: > "$timing"

# timed LABEL CMD...: runs CMD and appends its wall and CPU time (user and sys of the
# processes it waited for) to $timing, so a slow suite can be found without a second run.
timed() {
    local label=$1
    shift
    local TIMEFORMAT
    TIMEFORMAT="$(printf '%-36s' "$label") %1R s wall %1U s user %1S s sys"
    { time "$@" 2>&4; } 4>&2 2>> "$timing"
}

# unit_test BINARY: one cmocka program (built by `make unit`, under ASan/UBSan).
unit_test() {
    local t=$1 name out rc
    name=$(basename "$t")
    out=$LOG_DIR/$name.log
    timed "unit/$name" env CMOCKA_MESSAGE_OUTPUT=stdout "$t" > "$out" 2>&1
    rc=$?
    # One result per cmocka test case, from the per-test lines before cmocka's closing
    # summary (which lists the failures again); a crash without that summary fails.
    awk -v n="$name" '
        /^\[==========\] .* run\.$/ { exit }
        /^\[       OK \] [A-Za-z_0-9]+$/ { print "PASS " n "." $4 }
        /^\[  FAILED  \] [A-Za-z_0-9]+$/ { print "FAIL " n "." $4 }' "$out"
    if [ $rc -ne 0 ] && ! grep -q '^\[  FAILED  \]' "$out"; then
        echo "FAIL $name (exit $rc, see $out)"
    fi
}

# suite SCRIPT: a suite's result lines; all it printed goes to its log.
suite() {
    local script=$1 args=()
    echo "== $script"
    # The fuzz suite takes a mode: short runs (~30 s) here, long ones under `make fuzz`.
    [ "$script" = tests/fuzz/run.sh ] && args=(short)
    timed "$script" "$script" "${args[@]}" 2>&1 |
        tee "$LOG_DIR/$(basename "$(dirname "$script")").log" | grep -E '^(PASS|FAIL|SKIP) '
}

# record: passes its input on, keeping the result lines in $results as they go by.
record() {
    local line
    while IFS= read -r line; do
        printf '%s\n' "$line"
        case $line in "PASS "*|"FAIL "*|"SKIP "*) printf '%s\n' "$line" >> "$results" ;; esac
    done
}

if [ -e "$BUILD/build-failed" ]; then
    echo "FAIL build (make all unit failed: see its output above)" | record
fi

# The unit programs and the small suites are single-threaded and independent: they run
# KITE_TEST_JOBS at a time (default one per CPU; tests/pool.sh), their lines in this order.
# The guest and fuzz suites come after, one at a time: each spreads over the CPUs itself.
SMALL=()
for t in "$BUILD"/tests/test_*; do
    [ -x "$t" ] && SMALL+=("$t")
done
for script in tests/cli/run.sh tests/qmp/run.sh tests/baremetal/check.sh; do
    [ -x "$script" ] && SMALL+=("$script")
done
small_job() {
    case ${SMALL[$1]} in
    tests/*) suite "${SMALL[$1]}" ;;
    *) unit_test "${SMALL[$1]}" ;;
    esac
}
rm -rf "$LOG_DIR/jobs"
mkdir -p "$LOG_DIR/jobs"
echo "== unit tests"
timed "unit, cli, qmp, baremetal" \
    pool_run "$LOG_DIR/jobs" "$(pool_jobs KITE_TEST_JOBS)" "${#SMALL[@]}" small_job | record

for script in tests/guest/run.sh tests/fuzz/run.sh; do
    [ -x "$script" ] && suite "$script" | record
done

echo "== time per suite (also in $timing)"
grep -v '^unit/' "$timing"

passed=$(grep -c '^PASS ' "$results")
failed=$(grep -c '^FAIL ' "$results")
skipped=$(grep -c '^SKIP ' "$results")
if [ "$failed" -gt 0 ]; then
    echo
    echo "failures:"
    grep '^FAIL ' "$results"
fi
echo
if [ "$skipped" -gt 0 ]; then
    echo "$passed passed, $failed failed, $skipped skipped"
else
    echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
