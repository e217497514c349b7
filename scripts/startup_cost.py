#!/usr/bin/env python3
"""What start-up costs: a process, the same in namespaces, a container, a VM.

Starting a container is starting a process, plus a few kernel objects (the
namespaces). We time how long it takes to start and reap /bin/true both ways
and, where the machine has them, `docker run --rm` and a QEMU virtual machine
that boots a kernel and powers off at once.

Run it: sudo python3 scripts/startup_cost.py [--runs N]
(Linux, Python 3.11+, standard library only)
"""

from __future__ import annotations

import argparse
import ctypes
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

LAB = "startup_cost"

CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS = 0x00020000, 0x02000000, 0x04000000
CLONE_NEWIPC, CLONE_NEWPID, CLONE_NEWNET = 0x08000000, 0x20000000, 0x40000000
NAMESPACES = CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC
NAMESPACES |= CLONE_NEWPID | CLONE_NEWNET
TRUE = shutil.which("true") or "/bin/true"
libc = ctypes.CDLL(None, use_errno=True)


def checkpoint(name: str) -> None:
    """Tests set LAB_FAIL_AT or LAB_PAUSE_AT to break or pause the lab here,
    then check that it cleaned up."""
    if os.environ.get("LAB_FAIL_AT") == name:
        raise RuntimeError(f"failing on purpose at {name!r} (LAB_FAIL_AT)")
    if os.environ.get("LAB_PAUSE_AT") == name:
        print(f"paused at {name!r} (LAB_PAUSE_AT)", file=sys.stderr, flush=True)
        time.sleep(60)


def privileged() -> bool:
    """Linux, and CAP_SYS_ADMIN (bit 21 of CapEff), which creating namespaces
    and mounting need. Root has it, unless it runs in a locked-down
    container (Docker's default set of capabilities leaves it out)."""
    if sys.platform != "linux":
        return False
    with open("/proc/self/status") as f:
        cap_eff = int(f.read().split("CapEff:")[1].split()[0], 16)
    return bool(cap_eff & 1 << 21)


def refuse(why: str) -> int:
    """One line on stderr: what the lab lacks and how to run it; exit code 2."""
    print(f"{LAB}: {why}; run: sudo python3 scripts/{LAB}.py", file=sys.stderr)
    return 2


# --8<-- [start:ways]
def plain() -> None:
    """fork, exec /bin/true, wait: how a shell starts any command."""
    pid = os.fork()
    if pid == 0:
        os.execv(TRUE, [TRUE])  # replaces the child; never returns
    check(os.waitpid(pid, 0)[1])


def in_namespaces() -> None:
    """The same in six new namespaces: what a runtime adds before exec."""
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            if libc.unshare(NAMESPACES) != 0:
                raise OSError(ctypes.get_errno(), "unshare")
            inner = os.fork()  # PID 1 of the new PID namespace
            if inner == 0:
                os.execv(TRUE, [TRUE])
            code = os.waitstatus_to_exitcode(os.waitpid(inner, 0)[1])
        finally:
            os._exit(code)
    check(os.waitpid(pid, 0)[1])


# --8<-- [end:ways]


def check(status: int) -> None:
    if status != 0:
        code = os.waitstatus_to_exitcode(status)
        raise RuntimeError(f"the child failed (exit code {code})")


def run(argv: list[str], timeout: float) -> Callable[[], None]:
    """A way to start: run a command to the end, quietly."""

    def start() -> None:
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        subprocess.run(
            argv, check=True, timeout=timeout, stdin=subprocess.DEVNULL, **quiet
        )

    return start


def docker() -> Callable[[], None] | str:
    """`docker run --rm` of a local busybox image, or why not."""
    if not shutil.which("docker"):
        return "the docker client is not installed"
    info = subprocess.run(["docker", "info"], capture_output=True, timeout=20)
    if info.returncode != 0:
        return "no daemon answers `docker info`"
    image = ["docker", "image", "inspect", "busybox"]
    if subprocess.run(image, capture_output=True).returncode != 0:
        return "no busybox image: docker pull busybox"
    argv = ["docker", "run", "--rm", "--network", "none", "busybox", "true"]
    return run(argv, timeout=60)


def cpio(entries: list[tuple[str, int, bytes]]) -> bytes:
    """An initramfs: a cpio archive in the kernel's "newc" format. Each entry
    is a header of 13 hex fields, its name, its data, padded to 4 bytes."""
    out = bytearray()
    trailer = ("TRAILER!!!", 0, b"")
    for ino, (name, mode, data) in enumerate([*entries, trailer], start=1):
        size, namesize = len(data), len(name) + 1
        fields = (ino, mode, 0, 0, 1, 0, size, 0, 0, 0, 0, namesize, 0)
        out += b"070701" + b"".join(b"%08X" % field for field in fields)
        out += name.encode() + b"\0"
        out += b"\0" * (-len(out) % 4) + data
        out += b"\0" * (-len(out) % 4)
    return bytes(out)


def qemu(workdir: Path) -> Callable[[], None] | str:
    """Boot the host's kernel in QEMU with a busybox initramfs whose /init
    reboots at once (and with -no-reboot, QEMU then exits); or why not."""
    if platform.machine() != "x86_64":
        return "QEMU is set up for x86_64 only"
    if not shutil.which("qemu-system-x86_64"):
        return "qemu-system-x86_64 is not installed"
    kernel = Path(f"/boot/vmlinuz-{os.uname().release}")
    if not kernel.is_file():
        return "no readable /boot/vmlinuz-<release>"
    busybox = shutil.which("busybox")
    if not busybox:
        return "needs busybox-static for the initramfs"
    init = b"#!/bin/busybox sh\n/bin/busybox reboot -f\n"
    initrd = workdir / "initrd.cpio"
    files = [
        ("bin", 0o40755, b""),
        ("bin/busybox", 0o100755, Path(busybox).read_bytes()),
        ("init", 0o100755, init),
    ]
    initrd.write_bytes(cpio(files))
    kvm = (
        ["-enable-kvm", "-cpu", "host"]
        if os.access("/dev/kvm", os.W_OK)
        else []
    )
    argv = ["qemu-system-x86_64", *kvm, "-m", "128", "-nographic", "-no-reboot"]
    argv += ["-kernel", str(kernel), "-initrd", str(initrd)]
    argv += ["-append", "console=ttyS0 quiet panic=-1"]
    return run(argv, timeout=120)


def measure(start: Callable[[], None], runs: int) -> list[float]:
    start()  # one warm-up run: page cache, lazy binding
    times = []
    for _ in range(runs):
        begin = time.perf_counter()
        start()
        times.append((time.perf_counter() - begin) * 1000)
    return times


def first_value(path: str, prefix: str, sep: str, default: str) -> str:
    """The value on the first line of a file that starts with `prefix`."""
    text = Path(path).read_text() if Path(path).exists() else ""
    for line in text.splitlines():
        if line.startswith(prefix):
            return line.split(sep, 1)[1].strip().strip('"')
    return default


def machine() -> str:
    cpu = first_value("/proc/cpuinfo", "model name", ":", platform.machine())
    flags = first_value("/proc/cpuinfo", "flags", ":", "").split()
    vm = ", itself a VM" if "hypervisor" in flags else ""
    kib = first_value("/proc/meminfo", "MemTotal", ":", "0 kB").split()[0]
    gib = int(kib) / 2**20
    return f"{cpu}, {os.cpu_count()} CPUs, {gib:.1f} GiB RAM{vm}"


def system() -> str:
    name = first_value("/etc/os-release", "PRETTY_NAME=", "=", "Linux")
    kernel, python = os.uname().release, platform.python_version()
    return f"{name}, kernel {kernel}, Python {python}"


def positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number >= 1")
    return int(text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    help_runs = "starts per row (default 200)"
    parser.add_argument("--runs", type=positive, default=200, help=help_runs)
    runs = parser.parse_args().runs
    if not privileged():
        return refuse(
            "needs Linux and root (CAP_SYS_ADMIN) to create namespaces"
        )
    workdir = Path(tempfile.mkdtemp(prefix="startup-cost-"))
    try:
        ways: list[tuple[str, Callable[[], None] | str, int]] = [
            ("plain process (fork, exec, wait)", plain, runs),
            ("6 new namespaces, as a container", in_namespaces, runs),
            ("docker run --rm busybox true", docker(), max(3, runs // 20)),
            ("QEMU VM boot, then power off", qemu(workdir), max(3, runs // 50)),
        ]
        print(f"Time to start and reap a trivial command ({TRUE}), in ms")
        print(f"date     {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
        print(f"machine  {machine()}")
        print(f"system   {system()}")
        print()
        columns = ("how it starts", "runs", "median", "min", "max")
        print("{:<32} {:>5} {:>8} {:>8} {:>8}".format(*columns))
        medians = {}
        for label, way, n in ways:
            if isinstance(way, str):
                print(f"{label:<32} skipped: {way}")
                continue
            times = measure(way, n)
            checkpoint("measured")
            medians[label] = median = statistics.median(times)
            low, high = min(times), max(times)
            print(f"{label:<32} {n:>5} {median:>8.2f} {low:>8.2f} {high:>8.2f}")
    finally:  # on success, failure or Ctrl-C
        shutil.rmtree(workdir)
    extra = medians[ways[1][0]] - medians[ways[0][0]]
    print()
    print(
        f"New namespaces add {extra:.2f} ms to a process start here. Starting"
    )
    print("a container is starting a process plus that bookkeeping; starting")
    print("a VM is booting a kernel.")
    return 0


if __name__ == "__main__":
    # Clean up on `kill` (SIGTERM) as on Ctrl-C: both raise KeyboardInterrupt.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print(f"{LAB}: interrupted; cleaned up", file=sys.stderr)
        sys.exit(130)
