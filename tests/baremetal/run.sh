#!/bin/sh
# Runs each bare-metal test under an emulator and prints PASS/FAIL lines and a summary.
#   usage: tests/baremetal/run.sh "EMULATOR COMMAND" [ELF...]
#   e.g.   tests/baremetal/run.sh "qemu-system-riscv64 -M spike -nographic -bios"
#          tests/baremetal/run.sh "build/kite run --bios"
# The ELF path is appended to the command. Without ELF arguments every build/baremetal/*.elf
# runs (BAREMETAL_DIR overrides the directory). TIMEOUT (seconds, default 10) bounds each test:
# a hang is a FAIL. Each test's output goes to NAME.log next to the ELF.
# Exit status: 0 if every test passed, 1 otherwise.

if [ $# -lt 1 ]; then
    echo "usage: $0 \"EMULATOR COMMAND\" [ELF...]" >&2
    exit 2
fi
emu=$1
shift
timeout_s=${TIMEOUT:-10}
if [ $# -eq 0 ]; then
    set -- "${BAREMETAL_DIR:-build/baremetal}"/*.elf
    [ -e "$1" ] || { echo "no tests found; run tests/baremetal/build.sh first" >&2; exit 2; }
fi

# Exit status -> meaning; see tests/baremetal/test.h for the numbering.
meaning() {
    n=$1
    set -- "instruction address misaligned" "instruction access fault" "illegal instruction" \
        "breakpoint" "load address misaligned" "load access fault" "store address misaligned" \
        "store access fault" "ecall from U" "ecall from S" "cause 10" "ecall from M" \
        "instruction page fault" "load page fault" "cause 14" "store page fault"
    if [ "$n" -lt 200 ]; then
        echo "check $n failed"
    elif [ "$n" -lt 216 ]; then
        shift $((n - 200)); echo "unexpected trap to M: $1"
    elif [ "$n" -lt 232 ]; then
        shift $((n - 216)); echo "unexpected trap to S: $1"
    elif [ "$n" -lt 244 ]; then
        echo "unexpected interrupt in M, code $((n - 232))"
    else
        echo "unexpected interrupt in S, code $((n - 244))"
    fi
}

pass=0
fail=0
for elf in "$@"; do
    name=$(basename "$elf" .elf)
    log=${elf%.elf}.log
    # -v: timeout reports on stderr when it had to kill the emulator, which tells a hang
    # apart from a test that failed check 124.
    timeout -v "$timeout_s" $emu "$elf" </dev/null >"$log" 2>&1
    rc=$?
    if [ $rc -eq 0 ]; then
        echo "PASS $name"
        pass=$((pass + 1))
    else
        if grep -q "^timeout: sending signal" "$log"; then
            why="timeout after ${timeout_s}s"
        else
            why=$(meaning $rc)
        fi
        echo "FAIL $name (exit $rc: $why)"
        fail=$((fail + 1))
    fi
done
echo "baremetal: $pass passed, $fail failed"
[ $fail -eq 0 ]
