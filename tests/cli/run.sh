#!/bin/bash
# Bad command lines and bad images: each must give one clear error line and exit status 2,
# and never a crash. Also checks that the help texts name every option.
set -u
cd "$(dirname "$0")/../.."
KITE=${KITE:-${BUILD:-build}/kite}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# expect_usage NAME ARGS...: exit status 2, exactly one line on stderr, starting "kite:".
# Every case below uses expect_usage_msg, which also checks what the line says: a case must
# fail for the reason its name gives, not for an earlier one.
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
# One that fits, so an error after it is the next file's (missing-initrd).
python3 - "$tmp/small-image" <<'PY'
import struct, sys
h = bytearray(4096)
struct.pack_into('<Q', h, 0x10, 4096)
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

expect_usage_msg no-command "no command given"
expect_usage_msg unknown-command "unknown command 'frobnicate'" frobnicate
expect_usage_msg unknown-option "unknown option '--frobnicate'" run --frobnicate
expect_usage_msg missing-value "option '--mem' needs a value" run --mem
expect_usage_msg bad-size-suffix "bad memory size '12Q': use a number with K, M or G" run --mem 12Q
expect_usage_msg bad-size-negative "bad memory size '-5M': use a number with K, M or G" run --mem -5M
expect_usage_msg size-too-small "memory size '1M' must be 16M..256G, a multiple of 4K" run --mem 1M
expect_usage_msg size-overflow "bad memory size '99999999999999999999G': use a number with K, M or G" run --mem 99999999999999999999G
expect_usage_msg stray-argument "unexpected argument 'extra'" run --bios "$tmp/fw.bin" extra
expect_usage_msg missing-kernel "loader: error: cannot open $tmp/nonexistent: No such file or directory" run --bios "$tmp/fw.bin" --kernel "$tmp/nonexistent"
expect_usage_msg kernel-is-directory "loader: error: $tmp/dir is not a regular file" run --bios "$tmp/fw.bin" --kernel "$tmp/dir"
expect_usage_msg kernel-not-riscv "machine: error: $tmp/text is not a RISC-V Linux Image (no RSC\\x05 magic)" run --bios "$tmp/fw.bin" --kernel "$tmp/text"
expect_usage_msg kernel-too-big-for-ram "machine: error: kernel needs 1048576 MiB at 0x80200000 but only 62 MiB of RAM is left" run --mem 64M --bios "$tmp/fw.bin" --kernel "$tmp/huge-image"
expect_usage_msg missing-initrd "$tmp/nonexistent" run --bios "$tmp/fw.bin" --kernel "$tmp/small-image" --initrd "$tmp/nonexistent"
expect_usage_msg truncated-elf "loader: error: $tmp/truncated.elf is not a 64-bit little-endian RISC-V executable" run --bios "$tmp/truncated.elf"
expect_usage_msg riscv-elf-cut-phdr "loader: error: $tmp/rv-cut-phdr.elf: truncated or corrupt program headers" run --bios "$tmp/rv-cut-phdr.elf"
expect_usage_msg riscv-elf-cut-segment "loader: error: $tmp/rv-cut-segment.elf: segment 0 lies outside the file" run --bios "$tmp/rv-cut-segment.elf"
expect_usage_msg riscv-elf-outside-ram "loader: error: $tmp/rv-outside-ram.elf: segment 0 (0x10000000, 16 bytes) does not fit in RAM" run --bios "$tmp/rv-outside-ram.elf"
expect_usage_msg x86-elf "loader: error: /bin/true is not a 64-bit little-endian RISC-V executable" run --bios /bin/true
expect_usage_msg bios-bigger-than-ram "loader: error: $tmp/big.bin is too large (20971520 bytes, at most 16777216 fit)" run --mem 16M --bios "$tmp/big.bin"
expect_usage_msg missing-bios "loader: error: cannot open $tmp/nonexistent: No such file or directory" run --bios "$tmp/nonexistent"
expect_usage_msg rng-bad-key "bad --rng value 'speed=10': unknown option 'speed'" run --rng speed=10
expect_usage_msg rng-zero-rate "bad --rng value 'rate=0': rate= is a positive number of bytes per second (K, M, G suffixes)" run --rng rate=0
expect_usage_msg rng-bad-rate "bad --rng value 'rate=fast': rate= is a positive number of bytes per second (K, M, G suffixes)" run --rng rate=fast
expect_usage_msg rng-burst-without-rate "bad --rng value 'burst=4K': burst= needs rate=" run --rng burst=4K
expect_usage_msg rng-bad-burst "bad --rng value 'rate=1K,burst=-1': burst= is a positive number of bytes (K, M, G suffixes)" run --rng=rate=1K,burst=-1
expect_usage_msg rng-duplicate-key "bad --rng value 'rate=1K,rate=2K': rate= and burst= may each be given once" run --rng rate=1K,rate=2K
expect_usage_msg rng-empty-value "option '--rng=' has an empty value" run --rng=
expect_usage_msg rng-twice "too many --rng options (at most 1)" run --rng --rng
expect_usage_msg rng-rate-overflow "bad --rng value 'rate=99999999999999999999': rate= is a positive number of bytes per second (K, M, G suffixes)" run --rng rate=99999999999999999999
expect_usage_msg console-bad-value "bad --console value 'hvc': use uart or virtio" run --console hvc
expect_usage_msg uart-unknown "bad --uart value 'pl011': use ns16550a, sifive or both" run --uart pl011
expect_usage_msg uart-empty "bad --uart value '': use ns16550a, sifive or both" run --uart=
expect_usage_msg uart-case "bad --uart value 'SiFive': use ns16550a, sifive or both" run --uart SiFive
expect_usage_msg uart-no-value "option '--uart' needs a value" run --uart
expect_usage_msg transport-bad-value "bad --transport value 'virtio': use mmio or pci" run --transport virtio
expect_usage_msg transport-missing-value "option '--transport' needs a value" run --transport
# transport= and addr= on a device: bad values, a slot twice, addr= off PCI, too many.
expect_usage_msg device-transport-bad "bad --rng value 'transport=usb': transport= is mmio or pci" run --rng transport=usb
expect_usage_msg device-transport-empty "bad --rng value 'transport=': transport= is mmio or pci" run --rng transport=
expect_usage_msg device-addr-zero "bad --rng value 'transport=pci,addr=0': addr= is a PCI slot number, 1 to 31" run --rng transport=pci,addr=0
expect_usage_msg device-addr-too-big "bad --rng value 'transport=pci,addr=32': addr= is a PCI slot number, 1 to 31" run --rng transport=pci,addr=32
expect_usage_msg device-addr-not-number "bad --rng value 'transport=pci,addr=three': addr= is a PCI slot number, 1 to 31" run --rng transport=pci,addr=three
expect_usage_msg device-addr-twice-in-one "bad --rng value 'transport=pci,addr=3,addr=4': transport= and addr= may each be given once" run --rng transport=pci,addr=3,addr=4
expect_usage_msg device-addr-without-pci "addr= is for devices on transport=pci" run --rng addr=3
expect_usage_msg device-addr-taken-twice "two devices have the same addr=" run --transport pci --rng addr=3 --port a=pty,addr=3
expect_usage_msg irqchip-bad-value "bad --irqchip value 'apic': use plic or aia" run --irqchip apic
expect_usage_msg irqchip-missing-value "option '--irqchip' needs a value" run --irqchip
expect_usage_msg port-no-equals "bad --port value 'foo': use NAME=stdio|pty|unix:PATH" run --port foo
expect_usage_msg port-bad-name "bad --port value 'bad name=pty': NAME is letters, digits, '.', '_' and '-'" run --port 'bad name=pty'
expect_usage_msg port-path-in-name "bad --port value '../x=pty': NAME is letters, digits, '.', '_' and '-'" run --port ../x=pty
expect_usage_msg port-empty-name "bad --port value '=pty': empty option" run --port =pty
expect_usage_msg port-unknown-kind "bad --port value 'foo=tcp:1234': a port's host end is stdio, pty or unix:PATH" run --port foo=tcp:1234
expect_usage_msg port-empty-unix-path "bad --port value 'foo=unix:': a port's host end is stdio, pty or unix:PATH" run --port foo=unix:
expect_usage_msg port-duplicate-name "two --port options have the same name" run --port a=pty --port a=pty
expect_usage_msg port-duplicate-socket "two --port options listen on the same socket" run --port a=unix:"$tmp/s" --port b=unix:"$tmp/s"
expect_usage_msg port-stdio-twice "only one device can have kite's stdio (--console virtio, --port NAME=stdio)" run --console virtio --port a=stdio
expect_usage_msg too-many-virtio-devices "too many VirtIO devices on virtio-mmio: disks, --console virtio, the --port device and --rng share 8 virtio-mm" run --console virtio --port a=pty --rng \
    --disk "$tmp/fw.bin,ro" --disk "$tmp/fw.bin,ro" --disk "$tmp/fw.bin,ro" \
    --disk "$tmp/fw.bin,ro" --disk "$tmp/fw.bin,ro" --disk "$tmp/fw.bin,ro"
expect_usage_msg port-too-many "too many --port options (at most 7)" run --port a=pty --port b=pty --port c=pty --port d=pty \
    --port e=pty --port f=pty --port g=pty --port h=pty
# The socket path is a regular file: kite must not replace it.
printf 'precious\n' > "$tmp/not-a-socket"
expect_usage_msg port-socket-path-is-file "char: error: $tmp/not-a-socket exists and is not a socket" run --bios "$tmp/fw.bin" --port a=unix:"$tmp/not-a-socket"
if [ "$(cat "$tmp/not-a-socket")" = precious ]; then
    echo "PASS cli.port-socket-path-file-untouched"
else
    echo "FAIL cli.port-socket-path-file-untouched"
fi

# --net: bad backends and options, and host ends that cannot be opened.
net_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
expect_usage_msg net-no-value "option '--net' needs a value" run --net
expect_usage_msg net-unknown-backend "bad --net value 'frob': unknown backend (user, stream or tap)" run --net frob
expect_usage_msg net-no-backend "bad --net value 'mac=52:54:00:12:34:56': no backend (user, stream or tap)" run --net mac=52:54:00:12:34:56
expect_usage_msg net-bad-id "bad --net value 'user,id=a b': id= is 1 to 31 letters, digits, '-', '_' or '.'" run --net "user,id=a b"
expect_usage_msg net-empty-id "bad --net value 'user,id=': id= is 1 to 31 letters, digits, '-', '_' or '.'" run --net user,id=
expect_usage_msg net-duplicate-id "two --net options have the same id=" run --net user,id=up --net user,id=up
expect_usage_msg net-bad-mac "bad --net value 'user,mac=52:54:00:12:34': mac= is six hex bytes like 52:54:00:12:34:56, not a multicast addre" run --net user,mac=52:54:00:12:34
expect_usage_msg net-bad-mac-hex "bad --net value 'user,mac=52:54:00:12:34:zz': mac= is six hex bytes like 52:54:00:12:34:56, not a multicast ad" run --net user,mac=52:54:00:12:34:zz
expect_usage_msg net-multicast-mac "bad --net value 'user,mac=01:00:5e:00:00:01': mac= is six hex bytes like 52:54:00:12:34:56, not a multicast ad" run --net user,mac=01:00:5e:00:00:01
expect_usage_msg net-mac-twice "bad --net value 'user,mac=52:54:00:12:34:56,mac=52:54:00:12:34:57': the backend, mac= and id= may each be give" run --net user,mac=52:54:00:12:34:56,mac=52:54:00:12:34:57
expect_usage_msg net-unknown-option "bad --net value 'user,speed=fast': unknown option 'speed'" run --net user,speed=fast
expect_usage_msg net-hostfwd-no-dash "bad --net value 'user,hostfwd=tcp:127.0.0.1:8080': hostfwd= is tcp|udp:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPO" run --net user,hostfwd=tcp:127.0.0.1:8080
expect_usage_msg net-hostfwd-bad-proto "bad --net value 'user,hostfwd=sctp::8080-:80': hostfwd= is tcp|udp:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT" run --net user,hostfwd=sctp::8080-:80
expect_usage_msg net-hostfwd-bad-port "bad --net value 'user,hostfwd=tcp::99999-:80': hostfwd= is tcp|udp:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT" run --net user,hostfwd=tcp::99999-:80
expect_usage_msg net-hostfwd-bad-addr "bad --net value 'user,hostfwd=tcp:1.2.3:8080-:80': hostfwd= is tcp|udp:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPO" run --net user,hostfwd=tcp:1.2.3:8080-:80
expect_usage_msg net-hostfwd-no-guest-port "bad --net value 'user,hostfwd=tcp::8080-10.0.2.15:': hostfwd= is tcp|udp:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUEST" run --net user,hostfwd=tcp::8080-10.0.2.15:
expect_usage_msg net-restrict-bad "bad --net value 'user,restrict=maybe': restrict= is on or off" run --net user,restrict=maybe
expect_usage_msg net-bad-net "bad --net value 'user,net=10.0.2.0/33': net= is an IPv4 network ADDR[/BITS], e.g. 10.0.2.0/24" run --net user,net=10.0.2.0/33
expect_usage_msg net-host-outside-net "bad --net value 'user,host=127.0.0.2': host= is an IPv4 address inside net=" run --net user,host=127.0.0.2
expect_usage_msg net-user-option-on-stream "bad --net value 'stream,listen=$tmp/n.sock,hostfwd=tcp::1-:1': unknown option 'hostfwd'" run --net stream,listen="$tmp/n.sock",hostfwd=tcp::1-:1
expect_usage_msg net-stream-listen-and-connect "bad --net value 'stream,listen=$tmp/a.sock,connect=$tmp/b.sock': stream takes exactly one of listen=PATH and c" run --net stream,listen="$tmp/a.sock",connect="$tmp/b.sock"
expect_usage_msg net-stream-no-path "bad --net value 'stream': stream takes exactly one of listen=PATH and connect=PATH" run --net stream
expect_usage_msg net-stream-connect-refused "net-stream: error: cannot connect to unix socket $tmp/nobody.sock: No such file or directory" run --bios "$tmp/fw.bin" --net stream,connect="$tmp/nobody.sock"
expect_usage_msg net-tap-bad-ifname "bad --net value 'tap,ifname=a-name-longer-than-15': ifname= is an interface name of 1 to 15 characters" run --net tap,ifname=a-name-longer-than-15
expect_usage_msg net-tap-ifname-slash "bad --net value 'tap,ifname=a/b': ifname= is an interface name of 1 to 15 characters" run --net tap,ifname=a/b
# An existing interface that is not a tap cannot be opened as one.
expect_usage_msg net-tap-not-a-tap "net-tap: error: cannot create tap lo: Invalid argument" run --bios "$tmp/fw.bin" --net tap,ifname=lo
expect_usage_msg net-hostfwd-port-in-use "net-user: error: hostfwd: cannot listen on tcp 127.0.0.1:" run --bios "$tmp/fw.bin" \
    --net user,hostfwd=tcp::$net_port-:80,hostfwd=tcp::$net_port-:81
printf 'precious\n' > "$tmp/net-not-a-socket"
expect_usage_msg net-stream-path-is-file "net-stream: error: $tmp/net-not-a-socket exists and is not a socket" run --bios "$tmp/fw.bin" --net stream,listen="$tmp/net-not-a-socket"
if [ "$(cat "$tmp/net-not-a-socket")" = precious ]; then
    echo "PASS cli.net-stream-path-file-untouched"
else
    echo "FAIL cli.net-stream-path-file-untouched"
fi

# --disk: bad values and bad images fail at start, before anything runs.
head -c 1000 /dev/zero > "$tmp/odd.img"
: > "$tmp/empty.img"
head -c 1048576 /dev/zero > "$tmp/disk.img"
expect_usage_msg disk-missing-file "disk: error: cannot open $tmp/nonexistent.img: No such file or directory" run --bios "$tmp/fw.bin" --disk "$tmp/nonexistent.img"
expect_usage_msg disk-directory "disk: error: $tmp/dir is a directory, not a disk image" run --bios "$tmp/fw.bin" --disk "$tmp/dir"
expect_usage_msg disk-directory-ro "disk: error: $tmp/dir is a directory, not a disk image" run --bios "$tmp/fw.bin" --disk "$tmp/dir,ro"
expect_usage_msg disk-size-not-512 "disk: error: $tmp/odd.img: size 1000 is not a positive multiple of 512 bytes" run --bios "$tmp/fw.bin" --disk "$tmp/odd.img"
expect_usage_msg disk-empty-image "disk: error: $tmp/empty.img: size 0 is not a positive multiple of 512 bytes" run --bios "$tmp/fw.bin" --disk "$tmp/empty.img"
expect_usage_msg disk-unknown-option "bad --disk value '$tmp/disk.img,frob': unknown option 'frob'" run --bios "$tmp/fw.bin" --disk "$tmp/disk.img,frob"
expect_usage_msg disk-bad-cache "bad --disk value '$tmp/disk.img,cache=sometimes': cache= is writeback, none or unsafe" run --bios "$tmp/fw.bin" --disk "$tmp/disk.img,cache=sometimes"
expect_usage_msg disk-serial-too-long "bad --disk value '$tmp/disk.img,serial=123456789012345678901': serial= takes at most 20 characters" run --bios "$tmp/fw.bin" --disk "$tmp/disk.img,serial=123456789012345678901"
expect_usage_msg disk-option-twice "bad --disk value '$tmp/disk.img,ro,ro': options are ro, serial=ID, cache=writeback|none|unsafe, snapshot (each" run --bios "$tmp/fw.bin" --disk "$tmp/disk.img,ro,ro"
expect_usage_msg disk-no-path "bad --disk value ',ro': no image path" run --bios "$tmp/fw.bin" --disk ",ro"
expect_usage_msg disk-no-value "option '--disk' needs a value" run --disk
expect_usage_msg disk-same-image-twice "disk: error: $tmp/disk.img is in use: another kite (or program) has it locked" run --bios "$tmp/fw.bin" --disk "$tmp/disk.img" --disk "$tmp/disk.img"
# Nine disks do not fit the 8 virtio-mmio slots; seventeen are more than --disk takes.
many=()
for i in 1 2 3 4 5 6 7 8 9; do many+=(--disk "$tmp/disk.img,ro"); done
expect_usage_msg disk-too-many-for-mmio "too many VirtIO devices on virtio-mmio: disks, --console virtio, the --port device and --rng share 8 virtio-mm" run --bios "$tmp/fw.bin" "${many[@]}"
many=()
for i in $(seq 17); do many+=(--disk "$tmp/disk.img,ro,transport=pci"); done
expect_usage_msg disk-too-many "too many --disk options (at most 16)" run --bios "$tmp/fw.bin" "${many[@]}"
# The same slot named by a disk and the rng: refused before any image is opened.
expect_usage_msg disk-addr-taken "two devices have the same addr=" run --bios "$tmp/fw.bin" --disk "$tmp/disk.img,transport=pci,addr=4" \
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
    --net user,net=10.0.2.128/25,restrict=on,mac=52:54:00:00:00:01
expect_runs net-stream-listen run --bios "$tmp/poweroff.bin" --net stream,listen="$tmp/l.sock"
for uart in ns16550a sifive both; do
    expect_runs "uart-$uart" run --bios "$tmp/poweroff.bin" --uart "$uart"
done

# --share: the host directory must be one; tags are short, path-safe and unique.
expect_usage_msg share-missing-dir "bad --share value '$tmp/nonexistent': $tmp/nonexistent: No such file or directory" run --bios "$tmp/poweroff.bin" --share "$tmp/nonexistent"
expect_usage_msg share-not-a-dir "bad --share value '$tmp/text': $tmp/text is not a directory" run --bios "$tmp/poweroff.bin" --share "$tmp/text"
expect_usage_msg share-no-path "bad --share value ',ro': no host directory" run --bios "$tmp/poweroff.bin" --share ",ro"
expect_usage_msg share-bad-security "bad --share value '$tmp/dir,security=magic': security= is mapped, passthrough or none" run --bios "$tmp/poweroff.bin" --share "$tmp/dir,security=magic"
expect_usage_msg share-bad-workers "bad --share value '$tmp/dir,workers=17': workers= is 0 to 16" run --bios "$tmp/poweroff.bin" --share "$tmp/dir,workers=17"
expect_usage_msg share-workers-junk "bad --share value '$tmp/dir,workers=2x': workers= is 0 to 16" run --bios "$tmp/poweroff.bin" --share "$tmp/dir,workers=2x"
expect_usage_msg share-tag-slash "bad --share value '$tmp/dir,tag=a/b': tag= is 1 to 64 letters, digits, '_', '-' or '.' (not first)" run --bios "$tmp/poweroff.bin" --share "$tmp/dir,tag=a/b"
expect_usage_msg share-tag-empty "bad --share value '$tmp/dir,tag=': tag= is 1 to 64 letters, digits, '_', '-' or '.' (not first)" run --bios "$tmp/poweroff.bin" --share "$tmp/dir,tag="
expect_usage_msg share-tag-too-long "tag= is 1 to 64 letters" run --bios "$tmp/poweroff.bin" \
    --share "$tmp/dir,tag=$(printf 't%.0s' $(seq 65))"
expect_usage_msg share-tag-twice "--share: tag 'x' is used twice" run --bios "$tmp/poweroff.bin" --share "$tmp/dir,tag=x" \
    --share "$tmp,tag=x"
expect_runs share-default-tag-skips-taken run --bios "$tmp/poweroff.bin" --share "$tmp/dir,tag=host1" \
    --share "$tmp" --share "$tmp/dir,tag=host"
expect_usage_msg share-ro-value "bad --share value '$tmp/dir,ro=yes': ro takes no value" run --bios "$tmp/poweroff.bin" --share "$tmp/dir,ro=yes"
expect_usage_msg share-unknown-option "bad --share value '$tmp/dir,frob=1': unknown option 'frob'" run --bios "$tmp/poweroff.bin" --share "$tmp/dir,frob=1"
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
# wait_for_socket PATH PID: until PATH is a socket, PID has exited, or a minute has passed.
wait_for_socket() {
    for _ in $(seq 600); do
        [ -S "$1" ] && return 0
        kill -0 "$2" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}
"$KITE" run --bios "$tmp/fw.bin" --qmp "$tmp/live.sock" > /dev/null 2>&1 < /dev/null &
holder=$!
wait_for_socket "$tmp/live.sock" "$holder"
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
  "icount": 2,
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
        grep -q '"engine": "interp"' "$tmp/p1.json" && grep -q '"uart": "both"' "$tmp/p1.json" &&
        grep -q '"icount": 2' "$tmp/p1.json"; then
    echo "PASS cli.config-round-trip"
else
    echo "FAIL cli.config-round-trip ($(cat "$tmp/err" "$tmp/p1.json" | head -c 400))"
fi
expect_runs config-runs run --config "$tmp/p1.json"

# Another kite holding the image (its firmware spins forever) keeps a second one out,
# writable or read-only; both work again once it is gone.
"$KITE" run --bios "$tmp/fw.bin" --disk "$tmp/disk.img" > /dev/null 2>&1 < /dev/null &
holder=$!
# Wait (for as long as it lives, up to a minute) until the holder has its lock. Looked up
# in /proc/locks rather than probed with flock(1): a probe holds a shared lock for a
# moment, and a holder starting in that moment would find its image in use and exit.
inode=$(stat -c %i "$tmp/disk.img")
for _ in $(seq 600); do
    kill -0 "$holder" 2>/dev/null || break
    grep -Eq "FLOCK +ADVISORY +WRITE +$holder +[0-9a-f]+:[0-9a-f]+:$inode " /proc/locks && break
    sleep 0.1
done
expect_usage_msg disk-locked-by-another-kite "is in use: another kite" run --bios "$tmp/poweroff.bin" --disk "$tmp/disk.img"
expect_usage_msg disk-locked-ro-by-another-kite "is in use: another kite" run --bios "$tmp/poweroff.bin" --disk "$tmp/disk.img,ro"
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null
expect_runs disk-unlocked-after-exit run --bios "$tmp/poweroff.bin" --disk "$tmp/disk.img"

# Engines: a bad name is a usage error; with -v the JIT reports its translations at exit
# and the interpreter has none to report. The JIT translates code the third time it runs,
# so these run a firmware that loops ten times before it powers off.
expect_usage_msg engine-bad "--engine: 'magic' is neither jit nor interp" run --bios "$tmp/poweroff.bin" --engine magic
python3 -c "
import struct, sys
open(sys.argv[1], 'wb').write(struct.pack('<8I', 0x00a00393, 0xfff38393, 0xfe039ee3,
                                          0x001002b7, 0x00005337, 0x55530313,
                                          0x0062a023, 0x0000006f))" "$tmp/loop-poweroff.bin"
if [ "$(uname -m)" = x86_64 ]; then
    for engine in jit default; do
        args=(--engine jit)
        [ $engine = default ] && args=()
        if timeout 20 "$KITE" run -v "${args[@]}" --bios "$tmp/loop-poweroff.bin" < /dev/null 2>&1 |
                grep -q "jit: info: [1-9][0-9]* blocks translated"; then
            echo "PASS cli.engine-$engine-logs-translations"
        else
            echo "FAIL cli.engine-$engine-logs-translations (no 'blocks translated' line with -v)"
        fi
    done
    # KITE_JIT_DUMP: each block's guest instructions and host bytes on stderr.
    dump=$(KITE_JIT_DUMP=1 timeout 20 "$KITE" run --bios "$tmp/loop-poweroff.bin" < /dev/null 2>&1)
    if grep -q "^jit: block at " <<< "$dump" && grep -q "^  guest " <<< "$dump" &&
            grep -q "^  host +0000: 53" <<< "$dump"; then
        echo "PASS cli.jit-dump"
    else
        echo "FAIL cli.jit-dump (no block, guest or host lines with KITE_JIT_DUMP=1)"
    fi
    # KITE_JIT_DUMP=PATH: the same into a file, and nothing of it on stderr.
    err=$(KITE_JIT_DUMP="$tmp/dump.txt" timeout 20 "$KITE" run --bios "$tmp/loop-poweroff.bin" \
        < /dev/null 2>&1)
    if grep -q "^jit: block at " "$tmp/dump.txt" 2>/dev/null &&
            grep -q "^  host +0000: 53" "$tmp/dump.txt" && ! grep -q "^jit: block" <<< "$err"; then
        echo "PASS cli.jit-dump-file"
    else
        echo "FAIL cli.jit-dump-file (no block lines in the file, or some on stderr)"
    fi
fi
if timeout 20 "$KITE" run -v --engine interp --bios "$tmp/loop-poweroff.bin" < /dev/null 2>&1 |
        grep -q "blocks translated"; then
    echo "FAIL cli.engine-interp-translates-nothing (a 'blocks translated' line)"
else
    echo "PASS cli.engine-interp-translates-nothing"
fi

# -v counts what the hart executed, whatever the guest did to minstret: this program stops
# minstret (mcountinhibit.IR, as Linux's PMU driver does), then runs 2,000 instructions.
python3 -c "import struct, sys
open(sys.argv[1], 'wb').write(struct.pack('<9I', 0x32025073, 0x3e800393, 0xfff38393,
                                          0xfe039ee3, 0x001002b7, 0x00005337, 0x55530313,
                                          0x0062a023, 0x0000006f))" "$tmp/inhibit-poweroff.bin"
for engine in interp jit; do
    [ $engine = jit ] && [ "$(uname -m)" != x86_64 ] && continue
    counts=$(timeout 20 "$KITE" run -v --engine "$engine" --bios "$tmp/inhibit-poweroff.bin" \
        < /dev/null 2>&1 | sed -n 's/.*machine: info: \([0-9]*\) instructions executed (minstret \([0-9]*\)).*/\1 \2/p')
    if [ -n "$counts" ] && [ "${counts% *}" -ge 2000 ] && [ "${counts#* }" -lt 10 ]; then
        echo "PASS cli.executed-count-not-minstret-$engine"
    else
        echo "FAIL cli.executed-count-not-minstret-$engine (executed and minstret: ${counts:-no line})"
    fi
done

# Guest RAM is one mapping on a 2 MiB boundary advised for transparent huge pages (smaps
# VmFlags "hg"), so a boot's first touches fault 2 MiB at a time.
if [ ! -d /sys/kernel/mm/transparent_hugepage ]; then
    echo "SKIP cli.ram-huge-page-advice: this host kernel has no transparent huge pages"
else
    "$KITE" run --mem 64M --bios "$tmp/fw.bin" --qmp "$tmp/ram.sock" > /dev/null 2>&1 < /dev/null &
    ram_pid=$!
    wait_for_socket "$tmp/ram.sock" "$ram_pid"
    ram=$(awk '/^[0-9a-f]+-[0-9a-f]+ / { start = $1; sub(/-.*/, "", start) }
               /^Size: +65536 kB/ { cand = start }
               /^VmFlags:/ { if (cand == start) print start, $0; cand = "" }' \
          "/proc/$ram_pid/smaps" 2>/dev/null)
    "$KITE" qmp "$tmp/ram.sock" quit > /dev/null 2>&1 || kill "$ram_pid" 2>/dev/null
    wait "$ram_pid" 2>/dev/null
    start=${ram%% *}
    if [ -n "$ram" ] && [ $(( 0x$start % 0x200000 )) -eq 0 ] && grep -qw hg <<< "$ram"; then
        echo "PASS cli.ram-huge-page-advice"
    else
        echo "FAIL cli.ram-huge-page-advice (guest RAM mapping: ${ram:-not found})"
    fi
fi
# --icount: a shift beyond 10 or not a number is refused; with -v the run says how many
# instructions it executed, and its disks run synchronously.
expect_usage_msg icount-big-shift "bad --icount value '11': a shift from 0 to 10" run --bios "$tmp/poweroff.bin" --icount=11
expect_usage_msg icount-not-number "bad --icount value '2x'" run --bios "$tmp/poweroff.bin" --icount=2x
expect_usage_msg config-icount-type "key 'icount': must be true, false or a number" \
    run --config <(echo '{"icount": "fast"}')
out=$(timeout 20 "$KITE" run -v --icount=4 --bios "$tmp/poweroff.bin" --disk "$tmp/disk.img" \
    < /dev/null 2>&1)
if grep -q "disk.img: .* synchronous engine" <<< "$out" &&
        grep -qE "machine: info: [1-9][0-9]* instructions executed \(minstret [0-9]+\), guest time [0-9]+ ns \(--icount\)" <<< "$out" &&
        grep -q "16 ns per instruction" <<< "$out"; then
    echo "PASS cli.icount-logged"
else
    echo "FAIL cli.icount-logged (no synchronous disk or instruction count with -v: $(head -c 300 <<< "$out"))"
fi

for opt in --kernel --initrd --append --bios --mem --no-reboot --rng --console --port \
    --disk --net --share --transport --irqchip --engine --uart --input --qmp --config --icount \
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
