#!/bin/bash
# Guest tests: boots the real Debian guest under kite once per script tests/guest/NAME.sh
# (kernel command line kite.test=NAME; /init runs /tests/NAME.sh and powers off).
#
# A script prints "TEST <check> PASS|FAIL <detail>" per check and "TESTS DONE" at the end.
# Every `check <name>` the script contains is expected: a missing line fails, as do a
# timeout, a kernel oops or panic, or kite not exiting 0 on the guest's poweroff.
# A script names the kite options it needs in a line "# kite-args: OPTIONS" (e.g.
# "# kite-args: --rng"); they are appended to the kite command line.
# Then tests/guest/interactive.py drives the shell of a normal boot through the console.
set -u
cd "$(dirname "$0")/../.."
KITE=${KITE:-build/kite}
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

for script in tests/guest/*.sh; do
    name=$(basename "$script" .sh)
    [ "$name" = run ] && continue
    log=$LOG_DIR/guest-$name.console
    # Word-split on purpose: the line holds options as they would be typed.
    extra=$(sed -n 's/^#[[:space:]]*kite-args:[[:space:]]*//p' "$script" | head -n1)
    start=$(date +%s.%N)
    # shellcheck disable=SC2086
    timeout "$TIMEOUT" "$KITE" run --kernel "$KITE_KERNEL" --initrd "$tmp/initrd" \
        --bios "$KITE_BIOS" --append "console=ttyS0 kite.test=$name" $extra \
        < /dev/null > "$log" 2>&1
    rc=$?
    secs=$(echo "$(date +%s.%N) - $start" | bc 2>/dev/null || echo "?")
    echo "guest: $name: kite${extra:+ $extra} exited $rc after ${secs}s (console log: $log)"

    tr -d '\r' < "$log" > "$tmp/console"
    expected=$(grep -oE '^[[:space:]]*check[[:space:]]+[A-Za-z0-9._-]+' "$script" |
               awk '{print $2}' | sort -u)
    for check in $expected; do
        if grep -qE "^TEST $check PASS( |$)" "$tmp/console"; then
            echo "PASS guest.$name.$check"
        elif line=$(grep -m1 -E "^TEST $check FAIL" "$tmp/console"); then
            echo "FAIL guest.$name.$check (${line#TEST $check FAIL })"
        else
            echo "FAIL guest.$name.$check (no result line: see $log)"
        fi
    done
    # A FAIL line for a check the script does not name literally still fails the run.
    grep -E '^TEST [^ ]+ FAIL' "$tmp/console" | while read -r _ check _ detail; do
        echo "$expected" | grep -qx -- "$check" || echo "FAIL guest.$name.$check ($detail)"
    done
    if grep -q '^TESTS DONE' "$tmp/console"; then
        echo "PASS guest.$name.completed"
    else
        echo "FAIL guest.$name.completed (no TESTS DONE; exit $rc)"
    fi
    if grep -qE 'Kernel panic|Oops|BUG:|WARNING: CPU|Unable to handle kernel' "$tmp/console"; then
        echo "FAIL guest.$name.kernel-clean ($(grep -m1 -E 'Kernel panic|Oops|BUG:|WARNING: CPU|Unable to handle' "$tmp/console"))"
    else
        echo "PASS guest.$name.kernel-clean"
    fi
    if [ $rc -eq 0 ]; then
        echo "PASS guest.$name.poweroff-exits-0"
    else
        echo "FAIL guest.$name.poweroff-exits-0 (exit $rc)"
    fi
done

python3 tests/guest/interactive.py "$KITE" "$KITE_KERNEL" "$KITE_INITRD" "$KITE_BIOS" \
    "$LOG_DIR/guest-interactive.console"
python3 tests/guest/console_tty.py "$KITE" "$KITE_KERNEL" "$KITE_INITRD" "$KITE_BIOS" \
    "$LOG_DIR/guest-console-tty.console"
python3 tests/guest/virtio_console.py "$KITE" "$KITE_KERNEL" "$KITE_INITRD" "$KITE_BIOS" \
    "$LOG_DIR/guest-virtio-console.console"
