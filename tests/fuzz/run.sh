#!/bin/bash
# Fuzzes the VirtIO core, virtio-mmio, the devices and the split-queue walker with libFuzzer
# (clang, -fsanitize=fuzzer,address,undefined).
#
#   tests/fuzz/run.sh short    30 s for the first target, 8 to 15 s for the others (make
#                              check, through tests/run-all.sh)
#   tests/fuzz/run.sh long     FUZZ_SECONDS (default 600) for the first target, half for
#                              the others (make fuzz)
#
# Targets: fuzz_virtio.c (core, transport, rng, walker), fuzz_virtio_blk.c (virtio-blk
# and the raw-file backend on a temporary image), fuzz_virtio_console.c (both console
# shapes with host ends that come and go), fuzz_virtio_net.c (virtio-net on a fake
# backend), fuzz_pci.c (PCI config space and BARs behind the ECAM host bridge),
# fuzz_virtio_pci.c (the virtio-pci transport in front of virtio-rng) and fuzz_virtio_9p.c
# (the 9P decoder and server on a temporary share); all but the first get half the time
# each; fuzz_virtio_input.c (keyboard, mouse or tablet while the host floods events) and
# fuzz_qmp.c (a hostile QMP client against the framer and session parser) a quarter each; some are
# seeded from tests/fuzz/seeds/mk_NAME.py.
# FUZZ_JOBS targets (default: one per CPU) are built and run at once, each fuzzer on a CPU
# of its own for its time; the lines below still come in the order of the list.
# Long mode also runs the JIT-vs-interpreter differential test (fuzz.jit-diff, below).
# Prints "PASS fuzz.NAME", "FAIL fuzz.NAME (...)" or "SKIP fuzz.virtio: why".
# The corpora are kept in build/fuzz/corpus-NAME; crashes go to build/fuzz/NAME-*.
set -u
cd "$(dirname "$0")/../.."
. tests/pool.sh
mode=${1:-short}
BUILD=${BUILD:-build}
out=$BUILD/fuzz
mkdir -p "$out"
CLANG=${CLANG:-$(command -v clang-14 || command -v clang || true)}

case "$mode" in
    short) secs=${FUZZ_SECONDS:-30} ;;
    long) secs=${FUZZ_SECONDS:-600} ;;
    *) echo "usage: $0 short|long" >&2; exit 2 ;;
esac

if [ -z "$CLANG" ]; then
    echo "SKIP fuzz.virtio: no clang"
    exit 0
fi

srcs="src/core/guest_mem.c src/core/log.c src/core/clock.c src/core/event_loop.c
      src/virtio/queue.c src/virtio/device.c src/virtio/mmio.c src/virtio/rng.c
      src/virtio/rate_limit.c src/core/device_registry.c src/backend/entropy.c"
blk_srcs="src/core/guest_mem.c src/core/log.c src/core/clock.c src/core/event_loop.c
      src/virtio/queue.c src/virtio/device.c src/virtio/mmio.c src/virtio/blk.c
      src/backend/block_file.c src/backend/block_uring.c src/backend/block_thread.c
      src/backend/block_overlay.c src/core/device_registry.c"

pci_srcs="src/core/log.c src/core/mmio.c src/hw/pci.c src/hw/pci_host.c"
virtio_pci_srcs="src/core/guest_mem.c src/core/log.c src/core/clock.c src/core/event_loop.c
      src/virtio/queue.c src/virtio/device.c src/virtio/pci.c src/virtio/rng.c
      src/virtio/rate_limit.c src/core/device_registry.c src/backend/entropy.c src/hw/pci.c"

console_srcs="src/core/guest_mem.c src/core/log.c src/virtio/queue.c src/virtio/device.c
      src/virtio/mmio.c src/virtio/console.c src/core/device_registry.c src/core/clock.c
      src/core/event_loop.c src/backend/char_stdio.c src/backend/char_stream.c"

input_srcs="src/core/guest_mem.c src/core/log.c src/virtio/queue.c src/virtio/device.c
      src/virtio/mmio.c src/virtio/input.c src/core/input.c src/core/device_registry.c"
qmp_srcs="src/control/qmp.c src/control/qmp_frame.c src/control/qcode.c src/core/input.c src/core/log.c
      src/core/device_registry.c src/core/link_control.c"
net_srcs="src/core/guest_mem.c src/core/log.c src/virtio/queue.c src/virtio/device.c
      src/virtio/mmio.c src/virtio/net.c src/core/device_registry.c src/core/clock.c
      src/core/event_loop.c src/backend/net_slirp.c src/backend/net_stream.c
      src/backend/net_tap.c src/core/link_control.c"
p9_srcs="src/core/guest_mem.c src/core/log.c src/virtio/queue.c src/virtio/device.c
      src/virtio/mmio.c src/virtio/9p.c src/backend/fs_local.c src/core/device_registry.c
      src/core/event_loop.c src/core/clock.c"

# fuzz_target NAME SECONDS SOURCES LIBS: builds tests/fuzz/fuzz_NAME.c and runs it.
fuzz_target() {
    local name=$1 tsecs=$2 tsrcs=$3 libs=$4
    local bin=$out/fuzz_$name
    # shellcheck disable=SC2086
    if ! "$CLANG" -std=gnu11 -O1 -g -Isrc -Wall -Wextra -Werror -Wno-unused-parameter \
            -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
            -o "$bin" tests/fuzz/fuzz_$name.c $tsrcs $libs > "$out/build-$name.log" 2>&1; then
        echo "FAIL fuzz.$name (build failed: $(head -c 300 "$out/build-$name.log"))"
        return
    fi
    local corpus=$out/corpus-$name log=$out/fuzz_$name.log
    mkdir -p "$corpus"
    # Seeds that reach the device's real paths (random bytes rarely set a device up).
    if [ -x "tests/fuzz/seeds/mk_$name.py" ]; then
        python3 "tests/fuzz/seeds/mk_$name.py" "$corpus" ||
            echo "FAIL fuzz.$name-seeds (tests/fuzz/seeds/mk_$name.py failed)"
    fi
    "$bin" "$corpus" -max_total_time="$tsecs" -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$out/$name-" -print_final_stats=1 > "$log" 2>&1
    local rc=$? runs cov crash
    runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' || echo 0)
    cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -n1)
    if [ $rc -eq 0 ]; then
        echo "PASS fuzz.$name ($runs runs in ${tsecs}s, $cov)"
    else
        crash=$(grep -m1 -oE "$out/$name-(crash|leak|timeout|oom)-[0-9a-f]+" "$log" || echo "see $log")
        echo "FAIL fuzz.$name (exit $rc: $(grep -m1 -E 'ERROR|runtime error|Assertion' "$log" | head -c 200); input $crash)"
    fi
}

# The targets, in the order their results are printed: NAME, SECONDS, SOURCES, LIBS.
T_NAME=() T_SECS=() T_SRCS=() T_LIBS=()
target() { T_NAME+=("$1"); T_SECS+=("$2"); T_SRCS+=("$3"); T_LIBS+=("$4"); }
target virtio "$secs" "$srcs" ""
# virtio-blk reaches a real file through io_uring: fewer runs per second, a shorter share.
target virtio_blk $(( (secs + 1) / 2 )) "$blk_srcs" "-luring -lpthread"
target virtio_console $(( (secs + 1) / 2 )) "$console_srcs" ""
target virtio_net $(( (secs + 1) / 2 )) "$net_srcs" "-lslirp"
target pci $(( (secs + 1) / 2 )) "$pci_srcs" "-lfdt"
target virtio_pci $(( (secs + 1) / 2 )) "$virtio_pci_srcs" ""
target virtio_input $(( (secs + 3) / 4 )) "$input_srcs" ""
target qmp $(( (secs + 3) / 4 )) "$qmp_srcs" "-ljansson"
target virtio_9p $(( (secs + 1) / 2 )) "$p9_srcs" "-lpthread"

fuzz_job() { fuzz_target "${T_NAME[$1]}" "${T_SECS[$1]}" "${T_SRCS[$1]}" "${T_LIBS[$1]}"; }

# FUZZ_JOBS targets at once (default: one per CPU). A fuzzer keeps one CPU busy for its
# time, so on a host with a CPU for each it runs as many inputs as it did alone.
rm -rf "$out/jobs"
mkdir -p "$out/jobs"
pool_run "$out/jobs" "$(pool_jobs FUZZ_JOBS)" "${#T_NAME[@]}" fuzz_job

# The JIT against the interpreter on random instruction streams (tests/unit/test_jit_diff.c;
# make check runs 150 fixed programs): in long mode many more, from a seed that changes
# each run and is printed, so a failure can be replayed with KITE_JIT_DIFF_SEED.
if [ "$mode" = long ]; then
    diff_bin=$BUILD/tests/test_jit_diff
    seed=${KITE_JIT_DIFF_SEED:-$(date +%s)}
    programs=${KITE_JIT_DIFF_PROGRAMS:-$(( secs * 40 ))}
    if [ ! -x "$diff_bin" ]; then
        echo "SKIP fuzz.jit-diff: $diff_bin is not built"
    elif KITE_JIT_DIFF_SEED=$seed KITE_JIT_DIFF_PROGRAMS=$programs "$diff_bin" \
            > "$out/jit-diff.log" 2>&1; then
        echo "PASS fuzz.jit-diff ($programs programs from seed $seed)"
    else
        echo "FAIL fuzz.jit-diff (seed $seed, $programs programs: see $out/jit-diff.log)"
    fi
fi
