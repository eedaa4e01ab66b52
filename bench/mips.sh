#!/bin/sh
# CPU engine speed: the same bare-metal integer workload (bench/mips/) under kite (both
# engines: the default, the JIT on x86-64 hosts, and --engine interp) and under QEMU TCG
# (spike board), alternated, RUNS times each (default 5); prints the median seconds, MIPS
# (instruction count taken from kite's minstret, exact) and the kite/QEMU time ratios.
#   usage: bench/mips.sh [KITE_BINARY]     env: RUNS=n, ROUNDS=n (work size), QEMU=path
set -e
cd "$(dirname "$0")/.."
kite=${1:-build/kite}
qemu=${QEMU:-qemu-system-riscv64}
runs=${RUNS:-5}
elf=$(bench/mips/build.sh build/bench)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# one timed run: $1 = label, rest = command; appends seconds to $tmp/$label, keeps output
timed() {
    label=$1
    shift
    start=$(date +%s.%N)
    "$@" > "$tmp/$label.out" 2>&1 </dev/null || { echo "$label run failed:" >&2; cat "$tmp/$label.out" >&2; exit 1; }
    end=$(date +%s.%N)
    echo "$end - $start" | bc >> "$tmp/$label"
}

i=0
while [ $i -lt "$runs" ]; do
    timed kite "$kite" run --bios "$elf"
    timed qemu "$qemu" -M spike -nographic -bios "$elf"
    timed interp "$kite" run --engine interp --bios "$elf"
    i=$((i + 1))
done

kite_sum=$(grep checksum "$tmp/kite.out" | tr -d '\r')
qemu_sum=$(grep checksum "$tmp/qemu.out" | tr -d '\r')
interp_sum=$(grep checksum "$tmp/interp.out" | tr -d '\r')
if [ "$kite_sum" != "$qemu_sum" ] || [ "$interp_sum" != "$qemu_sum" ]; then
    echo "checksums differ: kite '$kite_sum', interp '$interp_sum', qemu '$qemu_sum'" >&2
    exit 1
fi
insns=$(printf '%d' "0x$(grep minstret "$tmp/kite.out" | tr -d '\r' | awk '{print $2}')")
median() { sort -n "$1" | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
kt=$(median "$tmp/kite")
qt=$(median "$tmp/qemu")
it=$(median "$tmp/interp")
awk -v n="$insns" -v k="$kt" -v q="$qt" -v i="$it" -v r="$runs" 'BEGIN {
    printf "mips bench: %d instructions, median of %d runs\n", n, r
    printf "  kite          %7.3f s  %7.0f MIPS\n", k, n / k / 1e6
    printf "  kite (interp) %7.3f s  %7.0f MIPS\n", i, n / i / 1e6
    printf "  qemu          %7.3f s  %7.0f MIPS\n", q, n / q / 1e6
    printf "  kite/qemu time ratio %.2f (interp %.2f)\n", k / q, i / q
}'
