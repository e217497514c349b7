#!/usr/bin/env python3
"""What start-up costs: a plain process, the same in new namespaces, a container, a VM boot.

Starting a container is starting a process, plus a few kernel objects (namespaces). We time
how long it takes to start and reap /bin/true both ways, and, where the machine has them,
`docker run --rm` and a QEMU virtual machine that boots a kernel and powers off at once.

Run it: sudo python3 scripts/startup_cost.py [--runs N]   (Linux, Python 3.11+, standard library)
"""

from __future__ import annotations

import argparse
import ctypes
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS = 0x00020000, 0x02000000, 0x04000000
CLONE_NEWIPC, CLONE_NEWPID, CLONE_NEWNET = 0x08000000, 0x20000000, 0x40000000
NAMESPACES = CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWPID
NAMESPACES |= CLONE_NEWNET
TRUE = shutil.which("true") or "/bin/true"
libc = ctypes.CDLL(None, use_errno=True)


def checkpoint(name: str) -> None:
    """Tests set LAB_FAIL_AT or LAB_PAUSE_AT to break or pause the lab here, then check cleanup."""
    if os.environ.get("LAB_FAIL_AT") == name:
        raise RuntimeError(f"failing on purpose at {name!r} (LAB_FAIL_AT)")
    if os.environ.get("LAB_PAUSE_AT") == name:
        print(f"paused at {name!r} (LAB_PAUSE_AT)", file=sys.stderr, flush=True)
        time.sleep(60)


# --8<-- [start:ways]
def plain() -> None:
    """fork, exec /bin/true, wait: how a shell starts any command."""
    pid = os.fork()
    if pid == 0:
        os.execv(TRUE, [TRUE])  # replaces the child; never returns
    check(os.waitpid(pid, 0)[1])


def in_namespaces() -> None:
    """The same, in six new namespaces: what a container runtime adds before exec."""
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
        raise RuntimeError(f"the child failed (exit code {os.waitstatus_to_exitcode(status)})")


def run(argv: list[str], timeout: float) -> Callable[[], None]:
    def start() -> None:
        subprocess.run(
            argv,
            check=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    return start


def docker() -> Callable[[], None] | str:
    """`docker run --rm` of a local busybox image, or why not."""
    if not shutil.which("docker"):
        return "the docker client is not installed"
    if subprocess.run(["docker", "info"], capture_output=True, timeout=20).returncode != 0:
        return "no docker daemon answers (`docker info` failed)"
    if subprocess.run(["docker", "image", "inspect", "busybox"], capture_output=True).returncode:
        return "no local busybox image (run `docker pull busybox` first)"
    return run(["docker", "run", "--rm", "--network", "none", "busybox", "true"], timeout=60)


def cpio(entries: list[tuple[str, int, bytes]]) -> bytes:
    """An initramfs: a cpio archive in the kernel's "newc" format, each part padded to 4 bytes."""
    out = bytearray()
    for ino, (name, mode, data) in enumerate([*entries, ("TRAILER!!!", 0, b"")], start=1):
        fields = (ino, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(name) + 1, 0)
        out += b"070701" + b"".join(b"%08X" % value for value in fields) + name.encode() + b"\0"
        out += b"\0" * (-len(out) % 4) + data
        out += b"\0" * (-len(out) % 4)
    return bytes(out)


def qemu(workdir: Path) -> Callable[[], None] | str:
    """Boot the host's kernel in QEMU with a busybox initramfs whose /init reboots at once."""
    if platform.machine() != "x86_64":
        return "this lab boots QEMU on x86_64 only"
    if not shutil.which("qemu-system-x86_64"):
        return "qemu-system-x86_64 is not installed"
    kernel = Path(f"/boot/vmlinuz-{os.uname().release}")
    busybox = shutil.which("busybox")
    if not kernel.is_file() or not busybox:
        return f"it needs a readable {kernel} and busybox-static"
    init = b"#!/bin/busybox sh\n/bin/busybox reboot -f\n"  # with -no-reboot, QEMU then exits
    initrd = workdir / "initrd.cpio"
    initrd.write_bytes(
        cpio(
            [
                ("bin", 0o40755, b""),
                ("bin/busybox", 0o100755, Path(busybox).read_bytes()),
                ("init", 0o100755, init),
            ]
        )
    )
    kvm = ["-enable-kvm", "-cpu", "host"] if os.access("/dev/kvm", os.W_OK) else []
    return run(
        [
            "qemu-system-x86_64",
            *kvm,
            "-m",
            "128",
            "-nographic",
            "-no-reboot",
            "-kernel",
            str(kernel),
            "-initrd",
            str(initrd),
            "-append",
            "console=ttyS0 quiet panic=-1",
        ],
        timeout=120,
    )


def measure(start: Callable[[], None], runs: int) -> list[float]:
    start()  # one warm-up run: page cache, lazy binding
    times = []
    for _ in range(runs):
        begin = time.perf_counter()
        start()
        times.append((time.perf_counter() - begin) * 1000)
    return times


def machine() -> str:
    info = Path("/proc/cpuinfo").read_text()
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in info.splitlines()
            if line.startswith("model name")
        ),
        platform.machine(),
    )
    vm = ", itself a VM" if " hypervisor" in info else ""
    mem_kib = int(Path("/proc/meminfo").read_text().split()[1])
    return f"{cpu}, {os.cpu_count()} CPUs, {mem_kib / 1024**2:.1f} GiB RAM{vm}"


def system() -> str:
    os_release = Path("/etc/os-release").read_text() if Path("/etc/os-release").exists() else ""
    name = next(
        (
            line.split("=", 1)[1].strip('"')
            for line in os_release.splitlines()
            if line.startswith("PRETTY_NAME=")
        ),
        "Linux",
    )
    return f"{name}, kernel {os.uname().release}, Python {platform.python_version()}"


def positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of 1 or more")
    return int(text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=positive, default=200, help="starts per row (default 200)")
    runs = parser.parse_args().runs
    if sys.platform != "linux" or os.geteuid() != 0:
        print(
            "startup_cost: needs Linux and root to create namespaces; "
            "run: sudo python3 scripts/startup_cost.py",
            file=sys.stderr,
        )
        return 2
    workdir = Path(tempfile.mkdtemp(prefix="startup-cost-"))
    try:
        ways: list[tuple[str, Callable[[], None] | str, int]] = [
            ("plain process (fork, exec, wait)", plain, runs),
            ("6 new namespaces, as a container", in_namespaces, runs),
            ("docker run --rm busybox true", docker(), max(3, runs // 20)),
            ("QEMU VM boot, then power off", qemu(workdir), max(3, runs // 50)),
        ]
        print(f"Time to start and reap a trivial command ({TRUE}), in milliseconds")
        print(f"date     {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
        print(f"machine  {machine()}")
        print(f"system   {system()}")
        print()
        print(f"{'how it starts':<34} {'runs':>5} {'median':>8} {'min':>8} {'max':>8}")
        medians = {}
        for label, way, n in ways:
            if isinstance(way, str):
                print(f"{label:<34} skipped: {way}")
                continue
            times = measure(way, n)
            checkpoint("measured")
            medians[label] = median = statistics.median(times)
            print(f"{label:<34} {n:>5} {median:>8.2f} {min(times):>8.2f} {max(times):>8.2f}")
    finally:  # on success, failure or Ctrl-C
        shutil.rmtree(workdir)
    plain_ms, ns_ms = medians[ways[0][0]], medians[ways[1][0]]
    print()
    print(f"New namespaces add {ns_ms - plain_ms:.2f} ms to a process start here. A container")
    print("start is a process start plus that bookkeeping; a VM start is a kernel boot.")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("startup_cost: interrupted; cleaned up", file=sys.stderr)
        sys.exit(130)
