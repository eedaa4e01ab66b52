#!/bin/bash
# Runs every kite test and ends with one line: "N passed, N failed[, N skipped]".
# Each suite prints lines "PASS name", "FAIL name ..." or "SKIP name: why"; this script
# counts them. Exit status is non-zero when anything failed.
set -u
cd "$(dirname "$0")/.."
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

# Unit tests: cmocka programs built by `make unit`, run under ASan/UBSan.
run_unit() {
    local t name out rc
    for t in "$BUILD"/tests/test_*; do
        [ -x "$t" ] || continue
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
    done
}

if [ -e "$BUILD/build-failed" ]; then
    echo "FAIL build (make all unit failed: see its output above)" | tee -a "$results"
fi

echo "== unit tests"
timed unit run_unit | tee -a "$results"

for suite in tests/cli/run.sh tests/qmp/run.sh tests/baremetal/check.sh tests/guest/run.sh \
    tests/fuzz/run.sh; do
    [ -x "$suite" ] || continue
    echo "== $suite"
    # The fuzz suite takes a mode: short runs (~30 s) here, long ones under `make fuzz`.
    args=()
    [ "$suite" = tests/fuzz/run.sh ] && args=(short)
    timed "$suite" "$suite" "${args[@]}" 2>&1 | tee "$LOG_DIR/$(basename "$(dirname "$suite")").log" |
        grep -E '^(PASS|FAIL|SKIP) ' | tee -a "$results"
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
