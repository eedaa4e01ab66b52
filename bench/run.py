#!/usr/bin/env python3
"""kite vs QEMU, side by side: the same kernel, initramfs and memory, runs alternated.

usage: bench/run.py [--runs N] [--suites boot,cpu,fp,spawn,mem,idle,blk,blk-pci,9p,virtqueue]
                    [--kite build/kite] [--engine jit|interp]
Prints a table of medians and ratios (kite / QEMU: below 1 means kite is faster or
smaller), then the in-process suites (virtqueue), which have no QEMU peer and print their
own figures. The fp and mem suites run kite on both engines (one row each) unless
--engine picks one; the others run kite's default engine.
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
# Suites whose rows are given for each of kite's engines.
BOTH_ENGINES = {"fp", "mem"}
# Static guest programs a suite needs: built by bench/NAME/build.sh into the initramfs.
GUEST_PROGRAMS = {"blk": "blk", "blk-pci": "blk", "fp": "fp"}


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


def make_initrd(base, tmp, programs):
    """The cached initramfs plus a cpio with the benchmark scripts as /tests/*.sh and one
    for each static benchmark program in `programs` (bench/blk: /bin/kite-blkbench,
    bench/fp: /bin/kite-fpbench)."""
    cpio = os.path.join(tmp, "bench.cpio")
    subprocess.run([os.path.join(ROOT, "guest/mk-tests-cpio.sh"), cpio,
                    os.path.join(HERE, "guest")], check=True, stdout=subprocess.DEVNULL)
    parts = [base, cpio]
    for prog in sorted(programs):
        out = os.path.join(tmp, f"{prog}bench.cpio")
        subprocess.run([os.path.join(HERE, prog, "build.sh"), out], check=True)
        parts.append(out)
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


def timeline(cmd, markers, timeout, extra=()):
    out = subprocess.run([sys.executable, os.path.join(HERE, "timeline.py"), str(timeout),
                          ",".join(markers)] + list(extra) + ["--"] + cmd,
                         capture_output=True, text=True)
    return json.loads(out.stdout)


def run_suite(name, paths, initrd, kite, runs, tmp, engine=None):
    """Returns {metric: {"kite": [..], "qemu": [..]}} for one suite; a suite in
    BOTH_ENGINES has "kite jit" and "kite interp" instead of "kite" (unless `engine`)."""
    test = {"boot": "noop", "mem": "noop", "cpu": "cpu", "fp": "fp", "spawn": "spawn",
            "idle": "idle", "blk": "blk", "blk-pci": "blk", "9p": "9p"}[name]
    disk = os.path.join(tmp, "bench disk.img") if test == "blk" else None
    share = os.path.join(tmp, "bench share") if name == "9p" else None
    engines = [engine] if engine or name not in BOTH_ENGINES else ["jit", "interp"]
    cmds = {}
    for e in engines:
        c = commands(paths, initrd, kite, test, disk, pci=name.endswith("-pci"), engine=e,
                     share=share)
        cmds["kite" if len(engines) == 1 else f"kite {e}"] = c["kite"]
        cmds["qemu"] = c["qemu"]
    who_all = list(cmds)
    mem = ["--mem", str(int(MEM.rstrip("M")))] if name == "mem" else []
    samples = {}
    for i in range(runs):
        # Alternated: each run starts from a different emulator.
        order = who_all[i % len(who_all):] + who_all[:i % len(who_all)]
        for who in order:
            if disk:
                fresh_image(disk)
            if share:
                fresh_share(share, tmp)
            r = timeline(cmds[who], ["kite-init: running", "IDLE-START", "IDLE-END"], 600,
                         mem)
            if r["exit"] != 0:
                print(f"  {who} run {i} exited {r['exit']}", file=sys.stderr)
            if name == "boot":
                got = {"to init (s)": r["markers"].get("kite-init: running"),
                       "to poweroff (s)": r["total"]}
            elif name == "mem":
                # Resident beyond the guest RAM: the most seen while booting to poweroff.
                got = {"beyond guest RAM (MiB)": r["mem"]["peak"] / 2**20
                       if "peak" in r["mem"] else None}
            elif name == "idle":
                # Host CPU used while the guest sleeps: wfi must really sleep.
                c, t = r["cpu"], r["markers"]
                got = {"idle host CPU (%)": None}
                if all(c.get(m) is not None for m in ("IDLE-START", "IDLE-END")):
                    got["idle host CPU (%)"] = 100 * (c["IDLE-END"] - c["IDLE-START"]) / \
                        (t["IDLE-END"] - t["IDLE-START"])
            else:
                got = {k + " (s)": float(v) for k, v in r["values"].items()
                       if k.endswith("_s")}
                # Checksums: every emulator must have computed the same bits.
                for k, v in r["values"].items():
                    if not k.endswith("_s"):
                        samples.setdefault("check " + k, {}).setdefault(v, []).append(who)
            for metric, value in got.items():
                if value is not None:
                    samples.setdefault(metric, {w: [] for w in who_all})[who].append(value)
    return samples


def rows_of(suite, samples):
    """(name, kite, QEMU, ratio) rows; checksums that differ between runs are an error."""
    rows = []
    for metric, s in samples.items():
        if metric.startswith("check "):
            if len(s) > 1:
                print(f"bench: {suite}: {metric[6:]} differs between runs: {s}",
                      file=sys.stderr)
                sys.exit(1)
            continue
        for who in s:
            if who == "qemu" or not s[who] or not s["qemu"]:
                continue
            k, q = statistics.median(s[who]), statistics.median(s["qemu"])
            label = f"{suite}: {metric}" + (who[4:] if who != "kite" else "")
            rows.append((label, k, q, k / q if q else float("inf")))
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--suites",
                    default="boot,cpu,fp,spawn,mem,idle,blk,blk-pci,9p,virtqueue,netpath")
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
                                 {GUEST_PROGRAMS[g] for g in guest_suites
                                  if g in GUEST_PROGRAMS})
            for suite in guest_suites:
                print(f"bench: {suite} ({args.runs} runs each, alternated)", file=sys.stderr)
                rows += rows_of(suite, run_suite(suite, paths, initrd, args.kite, args.runs,
                                                 tmp, args.engine))
        print(f"{'benchmark':40} {'kite':>9} {'QEMU':>9} {'kite/QEMU':>10}")
        for name, k, q, ratio in rows:
            print(f"{name:40} {k:9.2f} {q:9.2f} {ratio:10.2f}")
    for suite in suites:
        if suite in IN_PROCESS:
            print(f"bench: {suite} (in process)", file=sys.stderr)
            print(flush=True)
            subprocess.run([os.path.join(ROOT, IN_PROCESS[suite])], check=True)


if __name__ == "__main__":
    main()
