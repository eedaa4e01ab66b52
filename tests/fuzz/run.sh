#!/bin/bash
# Fuzzes the VirtIO core, virtio-mmio, virtio-rng and the split-queue walker with libFuzzer
# (clang, -fsanitize=fuzzer,address,undefined).
#
#   tests/fuzz/run.sh short    ~30 s (make check, through tests/run-all.sh)
#   tests/fuzz/run.sh long     FUZZ_SECONDS (default 600) per target (make fuzz)
#
# Prints "PASS fuzz.virtio", "FAIL fuzz.virtio (...)" or "SKIP fuzz.virtio: why".
# The corpus is kept in build/fuzz/corpus-virtio; crashes go to build/fuzz/.
set -u
cd "$(dirname "$0")/../.."
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
      src/virtio/rate_limit.c"
bin=$out/fuzz_virtio
# shellcheck disable=SC2086
if ! "$CLANG" -std=gnu11 -O1 -g -Isrc -Wall -Wextra -Werror -Wno-unused-parameter \
        -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
        -o "$bin" tests/fuzz/fuzz_virtio.c $srcs > "$out/build.log" 2>&1; then
    echo "FAIL fuzz.virtio (build failed: $(head -c 300 "$out/build.log"))"
    exit 0
fi

corpus=$out/corpus-virtio
mkdir -p "$corpus"
log=$out/fuzz_virtio.log
"$bin" "$corpus" -max_total_time="$secs" -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$out/" -print_final_stats=1 > "$log" 2>&1
rc=$?
runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' || echo 0)
cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -n1)
if [ $rc -eq 0 ]; then
    echo "PASS fuzz.virtio ($runs runs in ${secs}s, $cov)"
else
    crash=$(grep -m1 -oE "$out/(crash|leak|timeout|oom)-[0-9a-f]+" "$log" || echo "see $log")
    echo "FAIL fuzz.virtio (exit $rc: $(grep -m1 -E 'ERROR|runtime error|Assertion' "$log" | head -c 200); input $crash)"
fi
