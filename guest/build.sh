#!/bin/sh
# Assembles kite's default RISC-V guest from Debian 13 "trixie" riscv64 packages:
# Linux (raw Image), OpenSBI (fw_dynamic.bin) and a busybox initramfs whose /init
# runs a named test or an interactive shell. See guest/README.md for the cache layout.
#
# usage: guest/build.sh [--update] [--rebuild] [--quiet]
#   --update   ask the archive for the newest package versions (network), then build
#   --rebuild  rebuild the images even if the cache already holds them (offline if
#              the packages are cached)
#   --quiet    print only the final paths and errors
#
# Environment:
#   KITE_CACHE          cache directory (default ~/.cache/kite)
#   KITE_DEBIAN_MIRROR  archive URL (default http://deb.debian.org/debian)
#   KITE_DEBIAN_SUITE   suite (default trixie)
#
# Once the cache holds a build for the current package versions and scripts, a run
# touches no network and takes well under a second.
set -eu

prog=kite-guest
say()  { [ -n "$quiet" ] || echo "$prog: $*"; }
die()  { echo "$prog: $*" >&2; exit 1; }

update=; rebuild=; quiet=
for arg in "$@"; do
    case "$arg" in
        --update)  update=1 ;;
        --rebuild) rebuild=1 ;;
        --quiet)   quiet=1 ;;
        -h|--help) sed -n '2,/^set -eu/{/^#/s/^# \{0,1\}//p}' "$0"; exit 0 ;;
        *) die "unknown option $arg (try --help)" ;;
    esac
done

here=$(cd "$(dirname "$0")" && pwd)
cache=${KITE_CACHE:-${HOME:?HOME is not set}/.cache/kite}
mirror=${KITE_DEBIAN_MIRROR:-http://deb.debian.org/debian}
suite=${KITE_DEBIAN_SUITE:-trixie}
keyring=/usr/share/keyrings/debian-archive-keyring.gpg

# --- host tools ----------------------------------------------------------------
missing=
for t in apt-get apt-cache dpkg-deb cpio xz sha256sum find sort od; do
    command -v "$t" >/dev/null 2>&1 || missing="$missing $t"
done
[ -z "$missing" ] ||
    die "missing host tools:$missing (Debian packages: apt dpkg cpio xz-utils coreutils findutils; run scripts/install-deps.sh)"
[ -r "$keyring" ] ||
    die "missing $keyring (Debian package debian-archive-keyring; run scripts/install-deps.sh)"

mkdir -p "$cache"
cache=$(cd "$cache" && pwd)

# One build at a time per cache (make check and make run may race).
locked=
if command -v flock >/dev/null 2>&1; then
    exec 9>"$cache/.lock"
    flock 9
    locked=1
fi

# --- private apt configuration ---------------------------------------------------
# Everything apt reads or writes lives under $cache/apt: the system's sources,
# lists, preferences, dpkg status and archive cache are never touched.
aptdir=$cache/apt
mkdir -p "$aptdir/lists/partial" "$aptdir/cache/archives/partial" "$cache/debs"
echo "deb [signed-by=$keyring] $mirror $suite main" >"$aptdir/sources.list"
: >"$aptdir/status"
apt_opts="-o Dir::Etc::SourceList=$aptdir/sources.list
 -o Dir::Etc::SourceParts=/dev/null
 -o Dir::Etc::Preferences=/dev/null
 -o Dir::Etc::PreferencesParts=/dev/null
 -o Dir::State::Lists=$aptdir/lists
 -o Dir::State::status=$aptdir/status
 -o Dir::Cache=$aptdir/cache
 -o Debug::NoLocking=1
 -o APT::Architecture=riscv64
 -o APT::Architectures=riscv64
 -o APT::Get::AllowUnauthenticated=false
 -o Acquire::Languages=none
 -o Acquire::http::Timeout=20
 -o Acquire::Retries=1
 -o APT::Update::Error-Mode=any"
# apt drops privileges to _apt for downloads, and _apt may not write to a
# user's cache; as root, keep root (the files are verified against the lists).
[ "$(id -u)" != 0 ] || apt_opts="$apt_opts -o APT::Sandbox::User=root"

# shellcheck disable=SC2086  # apt_opts is a list of words
apt_cache() { apt-cache $apt_opts "$@"; }

apt_update() {
    say "updating the package lists of $mirror $suite main (riscv64)"
    log=$aptdir/update.log
    # shellcheck disable=SC2086
    if ! apt-get -q $apt_opts update >"$log" 2>&1 ||
        grep -Eq '^(E|W): (Failed to fetch|Some index files failed)' "$log"; then
        # The reason is the indented line under the first "Err:" (e.g. "Temporary
        # failure resolving 'deb.debian.org'"), else the first error line.
        why=$(awk '/^Err:/ { getline; sub(/^ +/, ""); print; exit }' "$log")
        [ -n "$why" ] || why=$(grep -m1 -E '^(E|W):' "$log" || echo "apt-get update failed")
        die "cannot reach the Debian archive $mirror $suite: $(echo "$why" | cut -c1-160) (log: $log)"
    fi
}

# candidate_version PKG: the version apt would pick from the private lists.
candidate_version() {
    apt_cache show --no-all-versions "$1" 2>/dev/null | sed -n 's/^Version: //p' | head -n1
}

# resolve: write $cache/versions.new with "role package version" lines.
resolve() {
    # linux-image-riscv64 is a metapackage; the kernel is the linux-image-<abi>
    # package it depends on.
    kpkg=$(apt_cache show --no-all-versions linux-image-riscv64 2>/dev/null |
        sed -n 's/^Depends: //p' | tr ',' '\n' | sed 's/^ *//; s/ .*//' |
        grep -m1 -E '^linux-image-[0-9].*-riscv64$') ||
        die "cannot resolve linux-image-riscv64 to a kernel package in $suite"
    : >"$cache/versions.new"
    for role_pkg in kernel:"$kpkg" busybox:busybox-static opensbi:opensbi; do
        pkg=${role_pkg#*:}
        ver=$(candidate_version "$pkg")
        [ -n "$ver" ] || die "package $pkg not found in $suite riscv64"
        echo "${role_pkg%%:*} $pkg $ver" >>"$cache/versions.new"
    done
}

# deb_path PKG VERSION: where the cached .deb lives (':' of an epoch is not welcome
# in file names).
deb_path() {
    echo "$cache/debs/$1_$(echo "$2" | tr : '~').deb"
}

# fetch: download every .deb of versions.new that is not cached yet.
fetch() {
    while read -r role pkg ver; do
        deb=$(deb_path "$pkg" "$ver")
        [ -s "$deb" ] && continue
        size=$(apt_cache show --no-all-versions "$pkg=$ver" | sed -n 's/^Size: //p' | head -n1)
        say "fetching $pkg $ver ($(( (${size:-0} + 1023) / 1024 )) KiB, $role)"
        tmp=$cache/debs/.partial.$$
        rm -rf "$tmp"; mkdir -p "$tmp"
        # apt-get download checks the file against the signed lists.
        # shellcheck disable=SC2086
        if ! (cd "$tmp" && apt-get -q $apt_opts download "$pkg=$ver"); then
            rm -rf "$tmp"
            die "cannot download $pkg $ver from $mirror"
        fi
        mv "$tmp"/*.deb "$deb"
        rm -rf "$tmp"
    done <"$cache/versions.new"
}

debs_present() {
    [ -s "$1" ] || return 1
    while read -r role pkg ver; do
        [ -s "$(deb_path "$pkg" "$ver")" ] || return 1
    done <"$1"
}

# --- which package versions --------------------------------------------------------
# Normally the versions recorded by the last resolution are reused, so no network.
if [ -n "$update" ] || ! debs_present "$cache/versions"; then
    if [ -n "$update" ] || [ ! -s "$cache/versions" ] ||
        ! ls "$aptdir"/lists/*_Packages* >/dev/null 2>&1; then
        apt_update
    fi
    resolve
    fetch
    mv "$cache/versions.new" "$cache/versions"
    # Forget .debs no version refers to any more.
    for deb in "$cache"/debs/*.deb; do
        [ -e "$deb" ] || continue
        keep=
        while read -r role pkg ver; do
            [ "$deb" = "$(deb_path "$pkg" "$ver")" ] && keep=1
        done <"$cache/versions"
        [ -n "$keep" ] || rm -f "$deb"
    done
fi

# --- cache key: package versions + everything in guest/ that shapes the images -----
key=$(cat "$cache/versions" "$here/build.sh" "$here/init" "$here/modules.list" \
    "$here/udhcpc.script" |
    sha256sum | cut -c1-16)
out=$cache/guest-$key

point_current() {
    ln -sfn "guest-$key" "$cache/.guest-current.$$"
    mv -T "$cache/.guest-current.$$" "$cache/guest-current"
}

report() {
    point_current
    if [ -n "$quiet" ]; then
        echo "$out"
    else
        say "kernel $(cat "$out/kernel-version"), $(sed -n 's/^busybox //p' "$cache/versions"), $(sed -n 's/^opensbi //p' "$cache/versions")"
        say "  $cache/guest-current/Image"
        say "  $cache/guest-current/initramfs.cpio"
        say "  $cache/guest-current/fw_dynamic.bin"
    fi
}

build_complete() {
    for f in Image initramfs.cpio fw_dynamic.bin kernel-version; do
        [ -s "$out/$f" ] || return 1
    done
}

if [ -z "$rebuild" ] && build_complete; then
    report
    exit 0
fi

# --- build ----------------------------------------------------------------------
say "building guest-$key"
work=$cache/.work.$$
# Holding the lock, any other work directory is left over from a killed run.
[ -z "$locked" ] || rm -rf "$cache"/.work.* "$cache"/debs/.partial.*
trap 'rm -rf "$work"' EXIT
trap 'exit 1' INT TERM HUP
mkdir -p "$work/x" "$work/root" "$work/out"

while read -r role pkg ver; do
    dpkg-deb -x "$(deb_path "$pkg" "$ver")" "$work/x"
done <"$cache/versions"

# Kernel. Debian ships a raw RISC-V Image (with an EFI PE stub in its header) as
# /boot/vmlinux-*; be ready for an ELF or gzip file too.
set -- "$work"/x/boot/vmlinu[xz]-*
[ $# = 1 ] && [ -f "$1" ] || die "expected one kernel in /boot of the kernel package, found: $*"
kver=${1##*/vmlinu?-}
magic() { od -A n -t x1 -j "$2" -N "$3" "$1" | tr -d ' \n'; }
case "$(magic "$1" 0 4)" in
    7f454c46) riscv64-linux-gnu-objcopy -O binary "$1" "$work/out/Image" ||
                  die "cannot convert the ELF kernel (needs riscv64-linux-gnu-objcopy: Debian binutils-riscv64-linux-gnu)" ;;
    1f8b*)    gzip -dc "$1" >"$work/out/Image" ;;
    *)        cp "$1" "$work/out/Image" ;;
esac
# RISC-V Image header: magic2 "RSC\x05" at 0x38.
[ "$(magic "$work/out/Image" 56 4)" = 52534305 ] ||
    die "the kernel $1 is not a RISC-V Image (no RSC\\x05 magic at 0x38)"
echo "$kver" >"$work/out/kernel-version"

# Firmware.
fw=$(find "$work/x" -path '*riscv64*/generic/fw_dynamic.bin' | head -n1)
[ -n "$fw" ] || die "fw_dynamic.bin not found in the opensbi package"
cp "$fw" "$work/out/fw_dynamic.bin"

# Busybox, with one symlink per applet made here rather than by
# `busybox --install` at every boot.
root=$work/root
mkdir -p "$root/bin" "$root/usr" "$root/etc/kite" "$root/proc" "$root/sys" "$root/dev" \
    "$root/tmp" "$root/run" "$root/root" "$root/mnt" "$root/var" "$root/lib/modules/$kver"
ln -s bin "$root/sbin"
ln -s ../bin "$root/usr/bin"
ln -s ../bin "$root/usr/sbin"
ln -s ../tmp "$root/var/tmp"
ln -s ../run "$root/var/run"
bb=$(find "$work/x" -path '*bin/busybox' -type f | head -n1)
[ -n "$bb" ] || die "busybox not found in busybox-static"
cp "$bb" "$root/bin/busybox"
# The applet names are stored in the binary as one sorted, NUL-separated list
# that starts "[", "[[" and ends with an empty string. Nothing separates "[" from
# the bytes before it, and the pair also occurs elsewhere, hence the loose match
# and the length check.
tr '\0' '\n' <"$bb" | awk '
    list && $0 == "" { if (n > 50) { printf "%s", names; exit } list = 0 }
    list { if ($0 !~ /^[a-z0-9][a-z0-9._-]*$/) list = 0; else { names = names $0 "\n"; n++ }; next }
    prev ~ /\[$/ && $0 == "[[" { list = 1; names = "[\n[[\n"; n = 2 }
    { prev = $0 }' >"$work/applets"
if [ "$(grep -c . "$work/applets")" -lt 100 ] ||
    ! grep -qx sh "$work/applets" || ! grep -qx cttyhack "$work/applets"; then
    die "cannot read the applet list of $bb"
fi
while read -r applet; do
    [ "$applet" = busybox ] || ln -s busybox "$root/bin/$applet"
done <"$work/applets"

# Modules: those modules.list names plus their dependencies, decompressed (the
# kernel would otherwise need to decompress .ko.xz itself, and busybox insmod
# does not), each file named after its module.
kmods=$work/x/usr/lib/modules/$kver
[ -d "$kmods" ] || kmods=$work/x/lib/modules/$kver
[ -d "$kmods" ] || die "no modules directory for $kver in the kernel package"
cp "$kmods/modules.builtin" "$kmods/modules.order" "$root/lib/modules/$kver/" 2>/dev/null || true
# index: "<module name> <path relative to the modules dir, compressed>"
(cd "$kmods" && find kernel -name '*.ko*') | awk '{
    n = $0; sub(/.*\//, "", n); sub(/\.ko(\.[a-z]+)?$/, "", n); gsub(/-/, "_", n)
    print n, $0 }' >"$work/modindex"

# add_module NAME: copy NAME and, first, its dependencies; append to the load order.
add_module() {
    grep -qx "$1" "$work/modorder" 2>/dev/null && return 0
    src=$(awk -v n="$1" '$1 == n { print $2; exit }' "$work/modindex")
    if [ -z "$src" ]; then
        grep -qE "/$1\.ko\$" "$kmods/modules.builtin" ||
            echo "$prog: warning: module $1 is neither in the kernel package nor built in" >&2
        return 0
    fi
    dst=$(dirname "$src")/$1.ko
    mkdir -p "$root/lib/modules/$kver/$(dirname "$src")"
    case "$src" in
        *.ko.xz)  xz -dc "$kmods/$src" ;;
        *.ko.zst) zstd -qdc "$kmods/$src" ;;
        *.ko.gz)  gzip -dc "$kmods/$src" ;;
        *)        cat "$kmods/$src" ;;
    esac >"$root/lib/modules/$kver/$dst"
    deps=$(tr '\0' '\n' <"$root/lib/modules/$kver/$dst" | sed -n 's/^depends=//p' | head -n1 | tr , ' ')
    echo "$1 $dst $deps" >>"$work/modinfo"
    for d in $deps; do add_module "$d"; done
    echo "$1" >>"$work/modorder"
}
: >"$work/modorder"; : >"$work/modinfo"
for m in $(sed 's/#.*//' "$here/modules.list" | awk '{ for (i = 2; i <= NF; i++) print $i }'); do
    add_module "$m"
done

# modules.dep in kmod's format: every transitive dependency, the one to load first
# last. modorder already lists dependencies before their users, so for each module
# walk it backwards keeping the ones in the closure.
awk '
    FNR == NR { path[$1] = $2; for (i = 3; i <= NF; i++) dep[$1] = dep[$1] " " $i; next }
    { order[++n] = $1 }
    END {
        for (k = 1; k <= n; k++) {
            m = order[k]; split("", need); need[m] = 1; line = path[m] ":"
            for (j = k; j >= 1; j--) {
                c = order[j]
                if (!(c in need)) continue
                if (c != m) line = line " " path[c]
                split(dep[c], ds, " "); for (x in ds) need[ds[x]] = 1
            }
            print line
        }
    }' "$work/modinfo" "$work/modorder" >"$root/lib/modules/$kver/modules.dep"
: >"$root/lib/modules/$kver/modules.alias"
# The kernel asks /sbin/modprobe for these names (mount -t ext4, mount -t 9p,
# crypto_alloc_shash("crc32c")) when a module is not loaded yet.
mkdir -p "$root/etc/modprobe.d"
cat >"$root/etc/modprobe.d/kite.conf" <<'EOF'
alias fs-ext4 ext4
alias fs-ext2 ext4
alias fs-ext3 ext4
alias fs-9p 9p
alias crc32c crc32c_generic
alias crypto-crc32c crc32c_generic
alias crypto-crc32c-generic crc32c_generic
EOF

# /init, configuration, a minimal /etc.
cp "$here/init" "$root/init"
chmod 755 "$root/init"
cp "$here/modules.list" "$root/etc/kite/modules.list"
cp "$here/udhcpc.script" "$root/etc/kite/udhcpc.script"
chmod 755 "$root/etc/kite/udhcpc.script"
cp "$work/applets" "$root/etc/kite/applets"
cp "$cache/versions" "$root/etc/kite/versions"
echo "root:x:0:0:root:/root:/bin/sh" >"$root/etc/passwd"
printf 'root:x:0:\ntty:x:5:\n' >"$root/etc/group"
echo kite >"$root/etc/hostname"
cat >"$root/etc/profile" <<'EOF'
export PATH=/bin:/sbin:/usr/bin:/usr/sbin HOME=/root
PS1='kite:\w\$ '
EOF
chmod 700 "$root/root"
chmod 1777 "$root/tmp"

# initramfs: uncompressed newc. Under emulation every byte the kernel inflates costs
# guest instructions, while an uncompressed archive is only copied; the image is
# read from the host's page cache, so its size costs next to nothing.
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$work/out/initramfs.cpio"

# Swap in the new directory; a rebuild moves the old one aside first so the name
# is never missing for long.
[ ! -e "$out" ] || mv "$out" "$work/old"
mv "$work/out" "$out"
report

# Keep the three newest builds (the current one included); older ones go.
ls -1dt "$cache"/guest-????????????????/ 2>/dev/null | sed 's:/$::' | tail -n +4 | while read -r old; do
    [ "$old" = "$out" ] || rm -rf "$old"
done
