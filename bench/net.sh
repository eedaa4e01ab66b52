#!/bin/bash
# bench/net: kite vs QEMU on networking, the same kernel and initramfs, user-mode networking
# on both (kite --net user, QEMU -netdev user with virtio-net-device: the same libslirp).
# Per run: MIB MiB host->guest and guest->host over TCP to a listener on the host's
# 127.0.0.1 (timed on the host), then the median of COUNT 1-byte TCP round trips to an echo
# server in the guest through a hostfwd port. Runs alternate; medians and ratios at the end
# (throughput ratio kite/QEMU above 1 = kite faster; latency ratio below 1 = kite faster).
#
# usage: bench/net.sh [RUNS] [MIB] [COUNT]       (defaults 3, 256, 200)
set -u
cd "$(dirname "$0")/.." || exit 1
RUNS=${1:-3} MIB=${2:-256} COUNT=${3:-200}
KITE=${KITE:-${BUILD:-build}/kite}
eval "$(guest/paths.sh)" || exit 1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
guest/mk-tests-cpio.sh "$tmp/bench.cpio" bench/net/guest > /dev/null || exit 1
cat "$KITE_INITRD" "$tmp/bench.cpio" > "$tmp/initrd"

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# one VMM: runs the guest against host.py, prints host.py's JSON line (or nothing).
one() {
    local vmm=$1 echo_port dl ul append pid out
    echo_port=$(free_port)
    rm -f "$tmp/ports"
    python3 bench/net/host.py 0 0 "$echo_port" "$MIB" "$COUNT" 600 "$tmp/ports" \
        > "$tmp/result" 2> "$tmp/host.err" &
    local host=$!
    for _ in $(seq 50); do [ -s "$tmp/ports" ] && break; sleep 0.1; done
    read -r dl ul < "$tmp/ports"
    append="console=ttyS0 kite.test=netbench netbench=$dl,$ul,$MIB"
    if [ "$vmm" = kite ]; then
        "$KITE" run --mem 512M --bios "$KITE_BIOS" --kernel "$KITE_KERNEL" \
            --initrd "$tmp/initrd" --append "$append" \
            --net "user,hostfwd=tcp:127.0.0.1:$echo_port-:7" < /dev/null > "$tmp/$vmm.log" 2>&1 &
    else
        qemu-system-riscv64 -M virt -m 512M -nographic -bios "$KITE_BIOS" \
            -kernel "$KITE_KERNEL" -initrd "$tmp/initrd" -append "$append" \
            -global virtio-mmio.force-legacy=false \
            -netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$echo_port-:7" \
            -device virtio-net-device,netdev=n0 < /dev/null > "$tmp/$vmm.log" 2>&1 &
    fi
    pid=$!
    wait "$host"
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    out=$(cat "$tmp/result")
    [ -n "$out" ] || echo "bench: $vmm: no result ($(tail -c 300 "$tmp/host.err"))" >&2
    echo "$out"
}

: > "$tmp/all"
for r in $(seq "$RUNS"); do
    for vmm in kite qemu; do
        echo "bench: net run $r/$RUNS: $vmm" >&2
        res=$(one "$vmm")
        [ -n "$res" ] && echo "$vmm $res" >> "$tmp/all"
    done
done

python3 - "$tmp/all" "$MIB" "$COUNT" <<'PY'
import json, statistics, sys
rows = {"kite": [], "qemu": []}
for line in open(sys.argv[1]):
    vmm, js = line.split(" ", 1)
    rows[vmm].append(json.loads(js))
def med(vmm, key):
    v = [r[key] for r in rows[vmm] if r.get(key) is not None]
    return statistics.median(v) if v else None
print(f"net: {sys.argv[2]} MiB each way, {sys.argv[3]} round trips, "
      f"{len(rows['kite'])} kite / {len(rows['qemu'])} QEMU runs (medians)")
print(f"{'metric':<28}{'kite':>12}{'QEMU':>12}{'kite/QEMU':>12}")
for key, name in (("down_MBps", "host->guest MB/s"), ("up_MBps", "guest->host MB/s"),
                  ("rtt_us", "TCP round trip us")):
    k, q = med("kite", key), med("qemu", key)
    ratio = f"{k / q:.2f}" if k and q else "-"
    fmt = lambda v: f"{v:.1f}" if v is not None else "-"
    print(f"{name:<28}{fmt(k):>12}{fmt(q):>12}{ratio:>12}")
PY
