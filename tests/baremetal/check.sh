#!/bin/bash
# The bare-metal suite as `make check` (tests/run-all.sh) runs it: builds every test, runs
# it under kite with each engine (the JIT on x86-64 hosts, else the default, and the
# interpreter), and, when QEMU is installed, under QEMU's spike board too (the oracle: a
# test failing there is a broken test, not a kite bug). kite runs the STRICT_SPEC build,
# which demands the spec's answer where QEMU 7.2 departs from it; QEMU runs the default
# build, which also accepts QEMU's. One line per test:
#   PASS baremetal.NAME / FAIL baremetal.NAME (...)        under kite
#   PASS baremetal.interp.NAME / FAIL ...                   under kite --engine interp
#   PASS baremetal.qemu.NAME / FAIL baremetal.qemu.NAME     under QEMU
# SKIP lines when the cross compiler or build/kite is missing.
set -u
cd "$(dirname "$0")/../.."
KITE=${KITE:-${BUILD:-build}/kite}
out=${BUILD:-build}/baremetal
QEMU="qemu-system-riscv64 -M spike -nographic -bios"

if ! command -v "${RISCV_CC:-riscv64-unknown-elf-gcc}" > /dev/null 2>&1; then
    echo "SKIP baremetal: riscv64-unknown-elf-gcc is not installed"
    exit 0
fi
mkdir -p "$out"
if ! tests/baremetal/build.sh "$out" > "$out.build.log" 2>&1; then
    echo "FAIL baremetal.build (see $out.build.log)"
    exit 1
fi
strict=$out/strict
mkdir -p "$strict"
if ! STRICT=1 tests/baremetal/build.sh "$strict" > "$strict.build.log" 2>&1; then
    echo "FAIL baremetal.build-strict (see $strict.build.log)"
    exit 1
fi
jit_engine=
[ "$(uname -m)" = x86_64 ] && jit_engine="--engine jit"

status=0
if [ -x "$KITE" ]; then
    # Both engines: the JIT (the default elsewhere) and the interpreter, each in its own
    # copy of the ELFs so their logs stay apart.
    BAREMETAL_DIR=$strict tests/baremetal/run.sh "$KITE run $jit_engine --bios" |
        sed -E 's/^(PASS|FAIL) /\1 baremetal./'
    [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
    mkdir -p "$strict/interp"
    cp "$strict"/*.elf "$strict/interp/"
    BAREMETAL_DIR=$strict/interp tests/baremetal/run.sh "$KITE run --engine interp --bios" |
        sed -E 's/^(PASS|FAIL) /\1 baremetal.interp./'
    [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
else
    echo "SKIP baremetal: $KITE is not built"
fi
# Tests of the AIA (tests/baremetal/aia/*.S) need --irqchip aia; QEMU's spike board has no
# IMSIC, so they run under kite only: PASS baremetal.aia.NAME.
if [ -x "$KITE" ]; then
    mkdir -p "$out/aia"
    cc=${RISCV_CC:-riscv64-unknown-elf-gcc}
    built=()
    for src in tests/baremetal/aia/*.S; do
        name=$(basename "$src" .S)
        if $cc -march=rv64gc -mabi=lp64d -nostdlib -nostartfiles -static -mno-relax \
                -Itests/baremetal -T tests/baremetal/link.ld -o "$out/aia/$name.elf" "$src" \
                > "$out/aia/$name.build.log" 2>&1; then
            built+=("$out/aia/$name.elf")
        else
            echo "FAIL baremetal.aia.$name (build: see $out/aia/$name.build.log)"
            status=1
        fi
    done
    if [ ${#built[@]} -gt 0 ]; then
        tests/baremetal/run.sh "$KITE run --irqchip aia --bios" "${built[@]}" |
            sed -E 's/^(PASS|FAIL) /\1 baremetal.aia./'
        [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
    fi
fi
# The exit-status convention itself: a test failing check n must make kite exit n, or a
# broken runner would let every failing test above pass. Values: pass, check 3, check 200,
# and check 256, whose status (256 & 0xff = 0) must not read as a pass.
if [ -x "$KITE" ]; then
    cc=${RISCV_CC:-riscv64-unknown-elf-gcc}
    for pair in 1:0 7:3 401:200 513:255; do
        value=${pair%%:*} want=${pair#*:}
        elf=$out/exit/htif_exit_$value.elf
        mkdir -p "$out/exit"
        if ! $cc -march=rv64gc -mabi=lp64d -nostdlib -nostartfiles -static -mno-relax \
                -DHTIF_VALUE="$value" -T tests/baremetal/link.ld -o "$elf" \
                tests/baremetal/exit/htif_exit.S > "$out/exit/build.log" 2>&1; then
            echo "FAIL baremetal.htif-exit-$value (build: see $out/exit/build.log)"
            status=1
            continue
        fi
        timeout 10 "$KITE" run --bios "$elf" < /dev/null > /dev/null 2>&1
        rc=$?
        if [ $rc -eq "$want" ]; then
            echo "PASS baremetal.htif-exit-$value"
        else
            echo "FAIL baremetal.htif-exit-$value (tohost=$value: exit $rc, want $want)"
            status=1
        fi
    done
fi
# The official riscv-tests (rv64 ui/um/ua/uf/ud/uc/si/mi, "p" environment) report through
# the same HTIF tohost convention, so run.sh runs them as they are. They are not packaged in
# Debian 12 and nothing else may be downloaded, so they run only where someone put them:
# RISCV_TESTS_DIR names a directory holding the rv64*-p-* ELFs (the .dump files may sit
# beside them). Both engines: PASS riscv-tests.NAME / PASS riscv-tests.interp.NAME.
if [ -n "${RISCV_TESTS_DIR:-}" ] && [ -x "$KITE" ]; then
    official=()
    for f in "$RISCV_TESTS_DIR"/rv64*-p-*; do
        case $f in *.dump|*.log) continue ;; esac
        [ -f "$f" ] && official+=("$f")
    done
    if [ ${#official[@]} -eq 0 ]; then
        echo "FAIL riscv-tests (RISCV_TESTS_DIR=$RISCV_TESTS_DIR holds no rv64*-p-* programs)"
        status=1
    else
        for engine in "$jit_engine" "--engine interp"; do
            label=riscv-tests
            [ "$engine" = "--engine interp" ] && label=riscv-tests.interp
            # Copies in a directory of our own: run.sh writes NAME.log beside each program.
            copy=$out/$label
            rm -rf "$copy" && mkdir -p "$copy"
            copies=()
            for f in "${official[@]}"; do
                cp "$f" "$copy/" && copies+=("$copy/$(basename "$f")")
            done
            tests/baremetal/run.sh "$KITE run $engine --bios" "${copies[@]}" |
                sed -E "s/^(PASS|FAIL) /\1 $label./"
            [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
        done
        echo "note: riscv-tests: ${#official[@]} programs from $RISCV_TESTS_DIR (issue 12 names 134)"
    fi
else
    echo "SKIP riscv-tests: RISCV_TESTS_DIR is not set (the official riscv-tests are not packaged in Debian 12; point it at their rv64*-p-* ELFs to run them on both engines)"
fi
if command -v qemu-system-riscv64 > /dev/null 2>&1; then
    # Separate logs, so the kite logs next to the ELFs are not overwritten.
    mkdir -p "$out/qemu"
    cp "$out"/*.elf "$out/qemu/"
    # A test whose source says QEMU_SKIP checks something QEMU 7.2 gets wrong in every
    # build (its comment says what): QEMU cannot be its oracle, kite alone runs it.
    for src in tests/baremetal/*.S; do
        if grep -q 'QEMU_SKIP:' "$src"; then
            name=$(basename "$src" .S)
            rm -f "$out/qemu/$name.elf"
            echo "note: baremetal.qemu.$name not run (QEMU_SKIP in $src)"
        fi
    done
    BAREMETAL_DIR=$out/qemu tests/baremetal/run.sh "$QEMU" |
        sed -E 's/^(PASS|FAIL) /\1 baremetal.qemu./'
    [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
else
    echo "SKIP baremetal.qemu: qemu-system-riscv64 is not installed (no oracle run)"
fi
exit $status
