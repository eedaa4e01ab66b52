#!/bin/bash
# Bad command lines and bad images: each must give one clear error line and exit status 2,
# and never a crash. Also checks that the help texts name every option.
set -u
cd "$(dirname "$0")/../.."
KITE=${KITE:-build/kite}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# expect_usage NAME ARGS...: exit status 2, exactly one line on stderr, starting "kite:".
expect_usage() {
    local name=$1; shift
    "$KITE" "$@" > "$tmp/out" 2> "$tmp/err" < /dev/null
    local rc=$? lines
    lines=$(wc -l < "$tmp/err")
    if [ $rc -eq 2 ] && [ "$lines" -eq 1 ] && grep -q '^kite: ' "$tmp/err"; then
        echo "PASS cli.$name"
    else
        echo "FAIL cli.$name (exit $rc, $lines stderr lines: $(head -c 300 "$tmp/err"))"
    fi
}

# expect_usage_msg NAME TEXT ARGS...: as expect_usage, and the line says TEXT.
expect_usage_msg() {
    local name=$1 text=$2; shift 2
    "$KITE" "$@" > "$tmp/out" 2> "$tmp/err" < /dev/null
    local rc=$? lines
    lines=$(wc -l < "$tmp/err")
    if [ $rc -eq 2 ] && [ "$lines" -eq 1 ] && grep -q '^kite: ' "$tmp/err" &&
            grep -qF -- "$text" "$tmp/err"; then
        echo "PASS cli.$name"
    else
        echo "FAIL cli.$name (exit $rc, $lines stderr lines, want '$text': $(head -c 300 "$tmp/err"))"
    fi
}

printf 'not a kernel at all\n' > "$tmp/text"
head -c 4096 /dev/zero > "$tmp/fw.bin"
# A RISC-V Image header that claims to need 1 TiB of memory.
python3 - "$tmp/huge-image" <<'PY'
import struct, sys
h = bytearray(64)
struct.pack_into('<Q', h, 0x10, 1 << 40)
h[0x38:0x3c] = b'RSC\x05'
open(sys.argv[1], 'wb').write(bytes(h))
PY
head -c 100 /bin/true > "$tmp/truncated.elf"
# RISC-V ELFs that are broken in the ways a real one can be: the program headers cut off,
# a segment's bytes cut off, a segment that lies outside RAM.
python3 - "$tmp" <<'PY'
import struct, sys
d = sys.argv[1]
def elf(paddr, filesz, data_len):
    eh = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)
    eh += struct.pack("<HHIQQQIHHHHHH", 2, 243, 1, 0x80000000, 64, 0, 0, 64, 56, 1, 64, 0, 0)
    ph = struct.pack("<IIQQQQQQ", 1, 5, 120, paddr, paddr, filesz, filesz, 0x1000)
    return eh + ph + bytes(data_len)
open(d + "/rv-cut-phdr.elf", "wb").write(elf(0x80000000, 16, 16)[:64 + 20])
open(d + "/rv-cut-segment.elf", "wb").write(elf(0x80000000, 4096, 100))
open(d + "/rv-outside-ram.elf", "wb").write(elf(0x10000000, 16, 16))
PY
head -c $((20 << 20)) /dev/zero > "$tmp/big.bin"
mkdir "$tmp/dir"

expect_usage no-command
expect_usage unknown-command frobnicate
expect_usage unknown-option run --frobnicate
expect_usage missing-value run --mem
expect_usage bad-size-suffix run --mem 12Q
expect_usage bad-size-negative run --mem -5M
expect_usage size-too-small run --mem 1M
expect_usage size-overflow run --mem 99999999999999999999G
expect_usage stray-argument run --bios "$tmp/fw.bin" extra
expect_usage missing-kernel run --bios "$tmp/fw.bin" --kernel "$tmp/nonexistent"
expect_usage kernel-is-directory run --bios "$tmp/fw.bin" --kernel "$tmp/dir"
expect_usage kernel-not-riscv run --bios "$tmp/fw.bin" --kernel "$tmp/text"
expect_usage kernel-too-big-for-ram run --mem 64M --bios "$tmp/fw.bin" --kernel "$tmp/huge-image"
expect_usage missing-initrd run --bios "$tmp/fw.bin" --kernel "$tmp/huge-image" --initrd "$tmp/nonexistent"
expect_usage truncated-elf run --bios "$tmp/truncated.elf"
expect_usage riscv-elf-cut-phdr run --bios "$tmp/rv-cut-phdr.elf"
expect_usage riscv-elf-cut-segment run --bios "$tmp/rv-cut-segment.elf"
expect_usage riscv-elf-outside-ram run --bios "$tmp/rv-outside-ram.elf"
expect_usage x86-elf run --bios /bin/true
expect_usage bios-bigger-than-ram run --mem 16M --bios "$tmp/big.bin"
expect_usage missing-bios run --bios "$tmp/nonexistent"
expect_usage rng-bad-key run --rng speed=10
expect_usage rng-zero-rate run --rng rate=0
expect_usage rng-bad-rate run --rng rate=fast
expect_usage rng-burst-without-rate run --rng burst=4K
expect_usage rng-bad-burst run --rng=rate=1K,burst=-1
expect_usage rng-duplicate-key run --rng rate=1K,rate=2K
expect_usage rng-empty-value run --rng=
expect_usage rng-twice run --rng --rng
expect_usage rng-rate-overflow run --rng rate=99999999999999999999
expect_usage console-bad-value run --console hvc
expect_usage uart-unknown run --uart pl011
expect_usage uart-empty run --uart=
expect_usage uart-case run --uart SiFive
expect_usage uart-no-value run --uart
expect_usage transport-bad-value run --transport virtio
expect_usage transport-missing-value run --transport
# transport= and addr= on a device: bad values, a slot twice, addr= off PCI, too many.
expect_usage device-transport-bad run --rng transport=usb
expect_usage device-transport-empty run --rng transport=
expect_usage device-addr-zero run --rng transport=pci,addr=0
expect_usage device-addr-too-big run --rng transport=pci,addr=32
expect_usage device-addr-not-number run --rng transport=pci,addr=three
expect_usage device-addr-twice-in-one run --rng transport=pci,addr=3,addr=4
expect_usage device-addr-without-pci run --rng addr=3
expect_usage device-addr-taken-twice run --transport pci --rng addr=3 --port a=pty,addr=3
expect_usage irqchip-bad-value run --irqchip apic
expect_usage irqchip-missing-value run --irqchip
expect_usage port-no-equals run --port foo
expect_usage port-bad-name run --port 'bad name=pty'
expect_usage port-path-in-name run --port ../x=pty
expect_usage port-empty-name run --port =pty
expect_usage port-unknown-kind run --port foo=tcp:1234
expect_usage port-empty-unix-path run --port foo=unix:
expect_usage port-duplicate-name run --port a=pty --port a=pty
expect_usage port-duplicate-socket run --port a=unix:"$tmp/s" --port b=unix:"$tmp/s"
expect_usage port-stdio-twice run --console virtio --port a=stdio
expect_usage too-many-virtio-devices run --console virtio --port a=pty --rng \
    --disk "$tmp/fw.bin,ro" --disk "$tmp/fw.bin,ro" --disk "$tmp/fw.bin,ro" \
    --disk "$tmp/fw.bin,ro" --disk "$tmp/fw.bin,ro" --disk "$tmp/fw.bin,ro"
expect_usage port-too-many run --port a=pty --port b=pty --port c=pty --port d=pty \
    --port e=pty --port f=pty --port g=pty --port h=pty
# The socket path is a regular file: kite must not replace it.
printf 'precious\n' > "$tmp/not-a-socket"
expect_usage port-socket-path-is-file run --bios "$tmp/fw.bin" --port a=unix:"$tmp/not-a-socket"
if [ "$(cat "$tmp/not-a-socket")" = precious ]; then
    echo "PASS cli.port-socket-path-file-untouched"
else
    echo "FAIL cli.port-socket-path-file-untouched"
fi

# --net: bad backends and options, and host ends that cannot be opened.
net_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
expect_usage net-no-value run --net
expect_usage net-unknown-backend run --net frob
expect_usage net-no-backend run --net mac=52:54:00:12:34:56
expect_usage net-bad-id run --net "user,id=a b"
expect_usage net-empty-id run --net user,id=
expect_usage net-duplicate-id run --net user,id=up --net user,id=up
expect_usage net-bad-mac run --net user,mac=52:54:00:12:34
expect_usage net-bad-mac-hex run --net user,mac=52:54:00:12:34:zz
expect_usage net-multicast-mac run --net user,mac=01:00:5e:00:00:01
expect_usage net-mac-twice run --net user,mac=52:54:00:12:34:56,mac=52:54:00:12:34:57
expect_usage net-unknown-option run --net user,speed=fast
expect_usage net-hostfwd-no-dash run --net user,hostfwd=tcp:127.0.0.1:8080
expect_usage net-hostfwd-bad-proto run --net user,hostfwd=sctp::8080-:80
expect_usage net-hostfwd-bad-port run --net user,hostfwd=tcp::99999-:80
expect_usage net-hostfwd-bad-addr run --net user,hostfwd=tcp:1.2.3:8080-:80
expect_usage net-hostfwd-no-guest-port run --net user,hostfwd=tcp::8080-10.0.2.15:
expect_usage net-restrict-bad run --net user,restrict=maybe
expect_usage net-bad-net run --net user,net=10.0.2.0/33
expect_usage net-host-outside-net run --net user,host=192.168.1.1
expect_usage net-user-option-on-stream run --net stream,listen="$tmp/n.sock",hostfwd=tcp::1-:1
expect_usage net-stream-listen-and-connect run --net stream,listen="$tmp/a.sock",connect="$tmp/b.sock"
expect_usage net-stream-no-path run --net stream
expect_usage net-stream-connect-refused run --bios "$tmp/fw.bin" --net stream,connect="$tmp/nobody.sock"
expect_usage net-tap-bad-ifname run --net tap,ifname=a-name-longer-than-15
expect_usage net-tap-ifname-slash run --net tap,ifname=a/b
# An existing interface that is not a tap cannot be opened as one.
expect_usage net-tap-not-a-tap run --bios "$tmp/fw.bin" --net tap,ifname=lo
expect_usage net-hostfwd-port-in-use run --bios "$tmp/fw.bin" \
    --net user,hostfwd=tcp::$net_port-:80,hostfwd=tcp::$net_port-:81
printf 'precious\n' > "$tmp/net-not-a-socket"
expect_usage net-stream-path-is-file run --bios "$tmp/fw.bin" --net stream,listen="$tmp/net-not-a-socket"
if [ "$(cat "$tmp/net-not-a-socket")" = precious ]; then
    echo "PASS cli.net-stream-path-file-untouched"
else
    echo "FAIL cli.net-stream-path-file-untouched"
fi

# --disk: bad values and bad images fail at start, before anything runs.
head -c 1000 /dev/zero > "$tmp/odd.img"
: > "$tmp/empty.img"
head -c 1048576 /dev/zero > "$tmp/disk.img"
expect_usage disk-missing-file run --bios "$tmp/fw.bin" --disk "$tmp/nonexistent.img"
expect_usage disk-directory run --bios "$tmp/fw.bin" --disk "$tmp/dir"
expect_usage disk-directory-ro run --bios "$tmp/fw.bin" --disk "$tmp/dir,ro"
expect_usage disk-size-not-512 run --bios "$tmp/fw.bin" --disk "$tmp/odd.img"
expect_usage disk-empty-image run --bios "$tmp/fw.bin" --disk "$tmp/empty.img"
expect_usage disk-unknown-option run --bios "$tmp/fw.bin" --disk "$tmp/disk.img,frob"
expect_usage disk-bad-cache run --bios "$tmp/fw.bin" --disk "$tmp/disk.img,cache=sometimes"
expect_usage disk-serial-too-long run --bios "$tmp/fw.bin" --disk "$tmp/disk.img,serial=123456789012345678901"
expect_usage disk-option-twice run --bios "$tmp/fw.bin" --disk "$tmp/disk.img,ro,ro"
expect_usage disk-no-path run --bios "$tmp/fw.bin" --disk ",ro"
expect_usage disk-no-value run --disk
expect_usage disk-same-image-twice run --bios "$tmp/fw.bin" --disk "$tmp/disk.img" --disk "$tmp/disk.img"
# Nine disks do not fit the 8 virtio-mmio slots; seventeen are more than --disk takes.
many=()
for i in 1 2 3 4 5 6 7 8 9; do many+=(--disk "$tmp/disk.img,ro"); done
expect_usage disk-too-many-for-mmio run --bios "$tmp/fw.bin" "${many[@]}"
many=()
for i in $(seq 17); do many+=(--disk "$tmp/disk.img,ro,transport=pci"); done
expect_usage disk-too-many run --bios "$tmp/fw.bin" "${many[@]}"
# The same slot named by a disk and the rng: refused before any image is opened.
expect_usage disk-addr-taken run --bios "$tmp/fw.bin" --disk "$tmp/disk.img,transport=pci,addr=4" \
    --rng transport=pci,addr=4

# A firmware that powers the machine off at once (sifive,test 0x5555 at 0x100000): a run
# that reaches it opened its disks fine.
python3 -c "
import struct, sys
open(sys.argv[1], 'wb').write(struct.pack('<5I', 0x001002b7, 0x00005337, 0x55530313,
                                          0x0062a023, 0x0000006f))" "$tmp/poweroff.bin"
# expect_runs NAME ARGS...: exit status 0 and nothing on stderr.
expect_runs() {
    local name=$1; shift
    timeout 20 "$KITE" "$@" > "$tmp/out" 2> "$tmp/err" < /dev/null
    local rc=$?
    if [ $rc -eq 0 ] && [ ! -s "$tmp/err" ]; then
        echo "PASS cli.$name"
    else
        echo "FAIL cli.$name (exit $rc: $(head -c 300 "$tmp/err"))"
    fi
}
head -c 1048576 /dev/zero > "$tmp/my disk, with spaces.img"
expect_runs disk-path-with-spaces run --bios "$tmp/poweroff.bin" \
    --disk "$tmp/my disk,, with spaces.img,serial=a-b_c.1,cache=unsafe"
expect_runs disk-ro-shared run --bios "$tmp/poweroff.bin" --disk "$tmp/disk.img,ro" \
    --disk "$tmp/disk.img,ro" --disk "$tmp/disk.img,snapshot"
expect_runs disk-cache-none run --bios "$tmp/poweroff.bin" --disk "$tmp/disk.img,cache=none"
expect_runs net-user-hostfwd run --bios "$tmp/poweroff.bin" \
    --net user,hostfwd=tcp::$net_port-:80,hostfwd=udp:127.0.0.1:$net_port-10.0.2.15:53 \
    --net user,net=10.0.3.0/24,restrict=on,mac=52:54:00:00:00:01
expect_runs net-stream-listen run --bios "$tmp/poweroff.bin" --net stream,listen="$tmp/l.sock"
for uart in ns16550a sifive both; do
    expect_runs "uart-$uart" run --bios "$tmp/poweroff.bin" --uart "$uart"
done

# --share: the host directory must be one; tags are short, path-safe and unique.
expect_usage share-missing-dir run --bios "$tmp/poweroff.bin" --share "$tmp/nonexistent"
expect_usage share-not-a-dir run --bios "$tmp/poweroff.bin" --share "$tmp/text"
expect_usage share-no-path run --bios "$tmp/poweroff.bin" --share ",ro"
expect_usage share-bad-security run --bios "$tmp/poweroff.bin" --share "$tmp/dir,security=magic"
expect_usage share-tag-slash run --bios "$tmp/poweroff.bin" --share "$tmp/dir,tag=a/b"
expect_usage share-tag-empty run --bios "$tmp/poweroff.bin" --share "$tmp/dir,tag="
expect_usage share-tag-too-long run --bios "$tmp/poweroff.bin" \
    --share "$tmp/dir,tag=$(printf 't%.0s' $(seq 65))"
expect_usage share-tag-twice run --bios "$tmp/poweroff.bin" --share "$tmp/dir,tag=x" \
    --share "$tmp,tag=x"
expect_runs share-default-tag-skips-taken run --bios "$tmp/poweroff.bin" --share "$tmp/dir,tag=host1" \
    --share "$tmp" --share "$tmp/dir,tag=host"
expect_usage share-ro-value run --bios "$tmp/poweroff.bin" --share "$tmp/dir,ro=yes"
expect_usage share-unknown-option run --bios "$tmp/poweroff.bin" --share "$tmp/dir,frob=1"
expect_runs share-several run --bios "$tmp/poweroff.bin" --share "$tmp/dir" --share "$tmp,ro" \
    --share "$tmp/dir,tag=host2,security=none" --share "$tmp/dir,security=mapped,tag=m"

# The engine a disk runs on is logged (-v), and KITE_BLOCK_BACKEND picks it.
for engine in io_uring thread; do
    if KITE_BLOCK_BACKEND=$engine timeout 20 "$KITE" run -v --bios "$tmp/poweroff.bin" \
            --disk "$tmp/disk.img" < /dev/null 2>&1 | grep -q "disk.img: .* $engine engine"; then
        echo "PASS cli.disk-engine-logged-$engine"
    else
        echo "FAIL cli.disk-engine-logged-$engine (no '$engine engine' line with -v)"
    fi
done
KITE_BLOCK_BACKEND=magic expect_usage disk-bad-engine run --bios "$tmp/poweroff.bin" --disk "$tmp/disk.img"

# virtio-input and the QMP socket.
expect_usage_msg input-unknown-kind "unknown kind: use keyboard, mouse or tablet" \
    run --bios "$tmp/poweroff.bin" --input joystick
expect_usage_msg input-no-kind "say which kind" run --bios "$tmp/poweroff.bin" --input id=k
expect_usage_msg input-bad-id "id= is 1 to 31" run --bios "$tmp/poweroff.bin" --input "mouse,id=a/b"
expect_usage_msg input-unknown-option "unknown option 'rate'" \
    run --bios "$tmp/poweroff.bin" --input mouse,rate=3
expect_usage_msg input-same-id "same id" \
    run --bios "$tmp/poweroff.bin" --input mouse,id=p --input tablet,id=p
expect_usage_msg qmp-path-is-a-file "exists and is not a socket" \
    run --bios "$tmp/poweroff.bin" --qmp "$tmp/text"
expect_usage_msg qmp-path-in-missing-dir "cannot listen on" \
    run --bios "$tmp/poweroff.bin" --qmp "$tmp/no/such/dir/q.sock"
expect_usage_msg qmp-client-no-args "usage: kite qmp" qmp
expect_usage_msg qmp-client-bad-json "must be a JSON object" qmp "$tmp/q.sock" stop '[1'
expect_runs input-all-kinds run --bios "$tmp/poweroff.bin" --input keyboard --input mouse \
    --input tablet,id=tab,serial=T1
# A socket left behind by an earlier run is taken over; one another process listens on is not.
python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$tmp/stale.sock"
expect_runs qmp-stale-socket-replaced run --bios "$tmp/poweroff.bin" --qmp "$tmp/stale.sock"
if [ ! -e "$tmp/stale.sock" ]; then
    echo "PASS cli.qmp-socket-removed-at-exit"
else
    echo "FAIL cli.qmp-socket-removed-at-exit"
fi
"$KITE" run --bios "$tmp/fw.bin" --qmp "$tmp/live.sock" > /dev/null 2>&1 < /dev/null &
holder=$!
for _ in $(seq 600); do
    [ -S "$tmp/live.sock" ] && break
    kill -0 "$holder" 2>/dev/null || break
    sleep 0.1
done
expect_usage_msg qmp-socket-in-use "is in use" run --bios "$tmp/poweroff.bin" --qmp "$tmp/live.sock"
if out=$("$KITE" qmp "$tmp/live.sock" query-status) && [ "$out" = '{"status":"running","singlestep":false,"running":true}' ] &&
        "$KITE" qmp "$tmp/live.sock" quit > /dev/null; then
    echo "PASS cli.qmp-client-status-and-quit"
else
    echo "FAIL cli.qmp-client-status-and-quit (${out:-no reply})"
fi
wait "$holder" 2>/dev/null
rc=$?
[ $rc -eq 0 ] && echo "PASS cli.qmp-quit-exits-0" || echo "FAIL cli.qmp-quit-exits-0 (exit $rc)"
if "$KITE" qmp "$tmp/live.sock" query-status 2> "$tmp/err"; then
    echo "FAIL cli.qmp-client-no-server (a reply from nobody)"
elif [ $? -eq 1 ] && grep -q "cannot connect" "$tmp/err"; then
    echo "PASS cli.qmp-client-no-server"
else
    echo "FAIL cli.qmp-client-no-server ($(cat "$tmp/err"))"
fi

# The JSON config file: errors name the file, line, column and key; a round trip through
# --print-config gives the same configuration; the command line applies after the file.
printf '{\n  "mem": "1G",\n  "frob": 3\n}\n' > "$tmp/unknown.json"
printf '{\n  "mem": "1G",\n  "disk": [\n' > "$tmp/cut.json"
printf '{"mem": [1]}' > "$tmp/type.json"
printf '{"disk": [{"path": "a.img", "ro": [1]}]}' > "$tmp/member.json"
printf '[1]' > "$tmp/array.json"
printf '{"mem": "1G", "mem": "2G"}' > "$tmp/dup.json"
printf '{"input": ["joystick"]}' > "$tmp/badinput.json"
printf '{"no-reboot": "yes"}' > "$tmp/flag.json"
expect_usage_msg config-unknown-key "unknown.json:3:3: key 'frob': unknown key" \
    run --config "$tmp/unknown.json"
expect_usage_msg config-malformed "cut.json:4:0: ']' expected" run --config "$tmp/cut.json"
expect_usage_msg config-wrong-type "type.json:1:2: key 'mem': must be a size" \
    run --config "$tmp/type.json"
expect_usage_msg config-wrong-member-type "key 'disk': member 'ro' must be" \
    run --config "$tmp/member.json"
expect_usage_msg config-wrong-flag-type "key 'no-reboot': must be true or false" \
    run --config "$tmp/flag.json"
expect_usage_msg config-not-object "array.json:1:1: the config is one JSON object" \
    run --config "$tmp/array.json"
expect_usage_msg config-duplicate-key "dup.json:1:19: duplicate object key" \
    run --config "$tmp/dup.json"
expect_usage_msg config-bad-device-value "badinput.json:1:2: key 'input': bad --input value 'joystick'" \
    run --config "$tmp/badinput.json"
printf '{\n  "kernel": "k",\n  "mem": "12Q"\n}' > "$tmp/badmem.json"
expect_usage_msg config-bad-value "badmem.json:3:3: key 'mem': bad memory size '12Q'" \
    run --config "$tmp/badmem.json"
expect_usage_msg config-unreadable "cannot read config $tmp/none.json: No such file" \
    run --config "$tmp/none.json"
expect_usage_msg config-directory "cannot read config $tmp/dir" run --config "$tmp/dir"
expect_usage_msg config-twice "--config may be given once" \
    run --config "$tmp/dup.json" --config "$tmp/dup.json"
expect_usage_msg config-no-value "'--config' needs a value" run --config
cat > "$tmp/vm.json" <<JSON
{
  "bios": "$tmp/poweroff.bin",
  "mem": 67108864,
  "disk": [{"path": "$tmp/my disk, with spaces.img", "ro": true, "serial": "s1"},
           "$tmp/disk.img,snapshot"],
  "input": ["keyboard", {"kind": "tablet", "id": "tab"}],
  "rng": {"rate": "1K"},
  "console": "virtio",
  "transport": "pci",
  "irqchip": "aia",
  "engine": "interp",
  "uart": "both",
  "no-reboot": true,
  "verbose": false,
  "qmp": "$tmp/vm.sock"
}
JSON
if "$KITE" run --config "$tmp/vm.json" --mem 128M --input mouse --print-config \
        > "$tmp/p1.json" 2> "$tmp/err" &&
        "$KITE" run --config "$tmp/p1.json" --print-config > "$tmp/p2.json" 2>> "$tmp/err" &&
        cmp -s "$tmp/p1.json" "$tmp/p2.json" && grep -q '"mem": "128M"' "$tmp/p1.json" &&
        grep -q '"input": \["keyboard", "kind=tablet,id=tab", "mouse"\]' "$tmp/p1.json" &&
        grep -q '"rng": \["rate=1K"\]' "$tmp/p1.json" && grep -q '"console": "virtio"' "$tmp/p1.json" &&
        grep -q '"transport": "pci"' "$tmp/p1.json" && grep -q '"irqchip": "aia"' "$tmp/p1.json" &&
        grep -q '"engine": "interp"' "$tmp/p1.json" && grep -q '"uart": "both"' "$tmp/p1.json"; then
    echo "PASS cli.config-round-trip"
else
    echo "FAIL cli.config-round-trip ($(cat "$tmp/err" "$tmp/p1.json" | head -c 400))"
fi
expect_runs config-runs run --config "$tmp/p1.json"

# Another kite holding the image (its firmware spins forever) keeps a second one out,
# writable or read-only; both work again once it is gone.
"$KITE" run --bios "$tmp/fw.bin" --disk "$tmp/disk.img" > /dev/null 2>&1 < /dev/null &
holder=$!
# Wait (for as long as it lives, up to a minute) until the holder has its lock.
for _ in $(seq 600); do
    kill -0 "$holder" 2>/dev/null || break
    flock -n -s "$tmp/disk.img" true 2>/dev/null || break
    sleep 0.1
done
expect_usage disk-locked-by-another-kite run --bios "$tmp/poweroff.bin" --disk "$tmp/disk.img"
expect_usage disk-locked-ro-by-another-kite run --bios "$tmp/poweroff.bin" --disk "$tmp/disk.img,ro"
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null
expect_runs disk-unlocked-after-exit run --bios "$tmp/poweroff.bin" --disk "$tmp/disk.img"

# Engines: a bad name is a usage error; with -v the JIT reports its translations at exit
# and the interpreter has none to report.
expect_usage engine-bad run --bios "$tmp/poweroff.bin" --engine magic
if [ "$(uname -m)" = x86_64 ]; then
    for engine in jit default; do
        args=(--engine jit)
        [ $engine = default ] && args=()
        if timeout 20 "$KITE" run -v "${args[@]}" --bios "$tmp/poweroff.bin" < /dev/null 2>&1 |
                grep -q "jit: info: [1-9][0-9]* blocks translated"; then
            echo "PASS cli.engine-$engine-logs-translations"
        else
            echo "FAIL cli.engine-$engine-logs-translations (no 'blocks translated' line with -v)"
        fi
    done
    # KITE_JIT_DUMP: each block's guest instructions and host bytes on stderr.
    dump=$(KITE_JIT_DUMP=1 timeout 20 "$KITE" run --bios "$tmp/poweroff.bin" < /dev/null 2>&1)
    if grep -q "^jit: block at " <<< "$dump" && grep -q "^  guest " <<< "$dump" &&
            grep -q "^  host +0000: 53" <<< "$dump"; then
        echo "PASS cli.jit-dump"
    else
        echo "FAIL cli.jit-dump (no block, guest or host lines with KITE_JIT_DUMP=1)"
    fi
fi
if timeout 20 "$KITE" run -v --engine interp --bios "$tmp/poweroff.bin" < /dev/null 2>&1 |
        grep -q "blocks translated"; then
    echo "FAIL cli.engine-interp-translates-nothing (a 'blocks translated' line)"
else
    echo "PASS cli.engine-interp-translates-nothing"
fi

for opt in --kernel --initrd --append --bios --mem --no-reboot --rng --console --port \
    --disk --net --share --transport --irqchip --engine --uart --input --qmp --config \
    --print-config --verbose --help; do
    if "$KITE" run --help | grep -q -- "$opt"; then
        echo "PASS cli.help-mentions$opt"
    else
        echo "FAIL cli.help-mentions$opt"
    fi
done
if "$KITE" --help | grep -q 'run' && "$KITE" --version | grep -q '^kite '; then
    echo "PASS cli.top-level-help"
else
    echo "FAIL cli.top-level-help"
fi
