#!/usr/bin/env python3
"""kite vs QEMU, side by side: the same kernel, initramfs and memory, runs alternated.

usage: bench/run.py [--runs N] [--suites boot,cpu,idle,blk,blk-pci,9p,virtqueue]
                    [--kite build/kite]
Prints a table of medians and ratios (kite / QEMU: below 1 means kite is faster), then the
in-process suites (virtqueue), which have no QEMU peer and print their own figures.
"""
import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
MEM = "512M"
# Suites that run a host program of their own instead of booting a guest.
IN_PROCESS = {"virtqueue": "bench/virtqueue.sh", "netpath": "bench/netpath.sh"}


def guest_paths():
    out = subprocess.run([os.path.join(ROOT, "guest/paths.sh")], check=True,
                         capture_output=True, text=True).stdout
    paths = {}
    for line in out.splitlines():
        line = line.strip()
        if line.startswith("export "):
            line = line[len("export "):]
        if "=" in line:
            k, v = line.split("=", 1)
            paths[k] = shlex.split(v)[0] if v else ""
    return paths


def make_initrd(base, tmp, with_blk):
    """The cached initramfs plus a cpio with the benchmark scripts as /tests/*.sh (and,
    for the blk suite, one with the static block benchmark as /bin/kite-blkbench)."""
    cpio = os.path.join(tmp, "bench.cpio")
    subprocess.run([os.path.join(ROOT, "guest/mk-tests-cpio.sh"), cpio,
                    os.path.join(HERE, "guest")], check=True, stdout=subprocess.DEVNULL)
    parts = [base, cpio]
    if with_blk:
        blk = os.path.join(tmp, "blkbench.cpio")
        subprocess.run([os.path.join(HERE, "blk/build.sh"), blk], check=True)
        parts.append(blk)
    combined = os.path.join(tmp, "initrd")
    with open(combined, "wb") as out:
        for part in parts:
            with open(part, "rb") as f:
                out.write(f.read())
    return combined


def commands(paths, initrd, kite, test, disk=None, pci=False, engine=None, share=None):
    append = f"console=ttyS0 kite.test={test}"
    cmds = {
        "kite": [kite, "run", "--mem", MEM, "--bios", paths["KITE_BIOS"], "--kernel",
                 paths["KITE_KERNEL"], "--initrd", initrd, "--append", append] +
                (["--engine", engine] if engine else []),
        "qemu": ["qemu-system-riscv64", "-M", "virt", "-m", MEM, "-nographic",
                 "-bios", paths["KITE_BIOS"], "-kernel", paths["KITE_KERNEL"],
                 "-initrd", initrd, "-append", append],
    }
    if disk:
        # The same raw image, write-back host caching on both sides; on PCI both are modern
        # only (QEMU's plain virtio-blk-pci would be transitional).
        opts = ",transport=pci" if pci else ""
        cmds["kite"] += ["--disk", disk.replace(",", ",,") + opts]
        cmds["qemu"] += ["-drive", f"file={disk},if=none,format=raw,id=d,cache=writeback",
                         "-device", ("virtio-blk-pci-non-transitional" if pci
                                     else "virtio-blk-device") + ",drive=d"]
    if share:
        # Guest owners and modes in xattrs on both sides; /init mounts the tag "host".
        cmds["kite"] += ["--share", share.replace(",", ",,") + ",security=mapped"]
        cmds["qemu"] += ["-fsdev", f"local,id=s,path={share.replace(',', ',,')},"
                                   "security_model=mapped-xattr",
                         "-device", "virtio-9p-device,fsdev=s,mount_tag=host"]
    return cmds


BLK_IMAGE_MIB = 64


def fresh_image(path):
    """A blank sparse image: every run starts from the same disk."""
    with open(path, "wb") as f:
        f.truncate(BLK_IMAGE_MIB << 20)


SHARE_FILES, SHARE_ENTRIES = 2000, 10000


def fresh_share(path, tmp):
    """The same shared tree before every run: a tarball of 2,000 small files to unpack
    and a directory of 10,000 entries to walk."""
    subprocess.run(["rm", "-rf", path], check=True)
    os.makedirs(os.path.join(path, "many"))
    for i in range(SHARE_ENTRIES):
        open(os.path.join(path, "many", f"e{i:05d}"), "wb").close()
    tar = os.path.join(tmp, "tree.tar")
    if not os.path.exists(tar):
        src = os.path.join(tmp, "tree")
        for i in range(SHARE_FILES):
            d = os.path.join(src, f"d{i // 100:02d}")
            os.makedirs(d, exist_ok=True)
            with open(os.path.join(d, f"f{i:04d}.txt"), "w") as f:
                f.write(f"file {i}\n" * (1 + i % 50))
        subprocess.run(["tar", "-cf", tar, "-C", src, "."], check=True)
    subprocess.run(["cp", tar, os.path.join(path, "tree.tar")], check=True)


def timeline(cmd, markers, timeout):
    out = subprocess.run([sys.executable, os.path.join(HERE, "timeline.py"), str(timeout),
                          ",".join(markers), "--"] + cmd, capture_output=True, text=True)
    return json.loads(out.stdout)


def run_suite(name, paths, initrd, kite, runs, tmp, engine=None):
    """Returns {metric: {"kite": [..], "qemu": [..]}} for one suite."""
    test = {"boot": "noop", "cpu": "cpu", "idle": "idle", "blk": "blk", "blk-pci": "blk",
            "9p": "9p"}[name]
    disk = os.path.join(tmp, "bench disk.img") if test == "blk" else None
    share = os.path.join(tmp, "bench share") if name == "9p" else None
    cmds = commands(paths, initrd, kite, test, disk, pci=name.endswith("-pci"), engine=engine,
                    share=share)
    samples = {}
    for i in range(runs):
        order = ("kite", "qemu") if i % 2 == 0 else ("qemu", "kite")
        for who in order:
            if disk:
                fresh_image(disk)
            if share:
                fresh_share(share, tmp)
            r = timeline(cmds[who], ["kite-init: running", "IDLE-START", "IDLE-END"], 600)
            if r["exit"] != 0:
                print(f"  {who} run {i} exited {r['exit']}", file=sys.stderr)
            if name == "boot":
                got = {"to init (s)": r["markers"].get("kite-init: running"),
                       "to poweroff (s)": r["total"]}
            elif name == "idle":
                # Host CPU used while the guest sleeps: wfi must really sleep.
                c, t = r["cpu"], r["markers"]
                got = {"idle host CPU (%)": None}
                if all(c.get(m) is not None for m in ("IDLE-START", "IDLE-END")):
                    got["idle host CPU (%)"] = 100 * (c["IDLE-END"] - c["IDLE-START"]) / \
                        (t["IDLE-END"] - t["IDLE-START"])
            else:
                got = {k + " (s)": float(v) for k, v in r["values"].items()}
            for metric, value in got.items():
                if value is not None:
                    samples.setdefault(metric, {"kite": [], "qemu": []})[who].append(value)
    return samples


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--suites", default="boot,cpu,idle,blk,blk-pci,9p,virtqueue,netpath")
    ap.add_argument("--kite", default=os.path.join(ROOT, "build/kite"))
    ap.add_argument("--engine", choices=("jit", "interp"),
                    help="kite's CPU engine (default: kite's own default)")
    args = ap.parse_args()
    suites = args.suites.split(",")
    guest_suites = [s for s in suites if s not in IN_PROCESS]
    rows = []
    if guest_suites:
        paths = guest_paths()
        with tempfile.TemporaryDirectory() as tmp:
            initrd = make_initrd(paths["KITE_INITRD"], tmp,
                                 any(g.startswith("blk") for g in guest_suites))
            for suite in guest_suites:
                print(f"bench: {suite} ({args.runs} runs each, alternated)", file=sys.stderr)
                for metric, s in run_suite(suite, paths, initrd, args.kite, args.runs,
                                           tmp, args.engine).items():
                    if s["kite"] and s["qemu"]:
                        k, q = statistics.median(s["kite"]), statistics.median(s["qemu"])
                        rows.append((f"{suite}: {metric}", k, q, k / q if q else float("inf")))
        print(f"{'benchmark':32} {'kite':>9} {'QEMU':>9} {'kite/QEMU':>10}")
        for name, k, q, ratio in rows:
            print(f"{name:32} {k:9.2f} {q:9.2f} {ratio:10.2f}")
    for suite in suites:
        if suite in IN_PROCESS:
            print(f"bench: {suite} (in process)", file=sys.stderr)
            print(flush=True)
            subprocess.run([os.path.join(ROOT, IN_PROCESS[suite])], check=True)


if __name__ == "__main__":
    main()
