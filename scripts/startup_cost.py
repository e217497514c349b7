#!/usr/bin/env python3
"""What start-up costs: a process, the same in namespaces, a container, a VM.

Starting a container is starting a process, plus a few kernel objects (the
namespaces) and a root filesystem of its own. Starting a VM is booting a
kernel. We time each way to run a trivial command: /bin/true as a process,
in new namespaces, in a container (namespaces, pivot_root into a busybox
root, as the mini_container lab does), `docker run --rm` when Docker is
there, and a QEMU VM booting Debian's kernel to its first process, to a
command's output and to power-off.

For the VM it downloads two pinned Debian packages on first run (the kernel,
27 MB, and busybox-static, 1 MB), checks their sha256 and keeps them in
~/.cache/containers-vs-vms/ (or $VM_LAB_CACHE), as vm_own_kernel.py does.

Run it: sudo python3 scripts/startup_cost.py [--runs N]
(Linux, Python 3.11+, standard library only; the VM rows need
qemu-system-x86_64: sudo apt install qemu-system-x86)
"""

from __future__ import annotations

import argparse
import ctypes
import hashlib
import io
import os
import platform
import re
import select
import shutil
import signal
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

LAB = "startup_cost"

CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS = 0x00020000, 0x02000000, 0x04000000
CLONE_NEWIPC, CLONE_NEWPID, CLONE_NEWNET = 0x08000000, 0x20000000, 0x40000000
NAMESPACES = CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC
NAMESPACES |= CLONE_NEWPID | CLONE_NEWNET
MS_BIND, MS_REC, MS_PRIVATE, MNT_DETACH = 0x1000, 0x4000, 0x40000, 2
SYS_PIVOT_ROOT = 155  # x86_64's number: pivot_root has no libc wrapper
TRUE = shutil.which("true") or "/bin/true"
libc = ctypes.CDLL(None, use_errno=True)
LABEL = 36  # width of the first column
MIRROR = "https://deb.debian.org"
KVM_WAIT = 5.0  # seconds for a KVM guest to reach /init before we try TCG
FIRECRACKER_MS = 125  # its SPECIFICATION.md: InstanceStart to /sbin/init, KVM


@dataclass(frozen=True)
class Deb:
    name: str
    version: str
    sha256: str
    size: int
    url: str  # under MIRROR


# Pinned as in the repository's sitebuild/guest.lock.json (a test checks).
KERNEL = Deb(
    "linux-image-6.1.0-57-cloud-amd64",
    "6.1.192-3",
    "4fdd0172a8c3f41a97e92465b2ac1867e1c10d82d7aeed3d26ee7a5d14df1754",
    26705532,
    "debian-security/pool/updates/main/l/linux-signed-amd64/"
    "linux-image-6.1.0-57-cloud-amd64_6.1.192-3_amd64.deb",
)
BUSYBOX = Deb(
    "busybox-static",
    "1:1.35.0-4+deb12u1+b1",
    "3d3fdbe91d4660c873e14b092c213fe81c1da6362daa236eb25d0171eb108744",
    928188,
    "debian/pool/main/b/busybox/busybox-static_1.35.0-4+deb12u1+b1_amd64.deb",
)
# The VM's /init: say "here" first (a shell builtin: no new process), then
# the guest's own uptime, then run one command, then power off.
INIT = """#!/bin/busybox sh
echo "@@ init"
/bin/busybox mount -t proc proc /proc
echo "@@ uptime $(/bin/busybox cut -d' ' -f1 /proc/uptime)"
echo "@@ out $(/bin/busybox uname -r)"
/bin/busybox poweroff -f
"""


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


def call(name: str, *args: object) -> None:
    """Call a libc function; turn its -1 and errno into an OSError naming it."""
    if getattr(libc, name)(*args) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{name}: {os.strerror(err)}")


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


def in_container(rootfs: Path) -> Callable[[], None]:
    """Namespaces, then the mini_container lab's root swap: bind the busybox
    root on itself, pivot_root into it, mount /proc, exec `true` there."""

    def start() -> None:
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                call("unshare", NAMESPACES)
                inner = os.fork()  # PID 1 of the new PID namespace
                if inner == 0:
                    try:
                        enter(rootfs)
                        os.execv("/bin/busybox", ["true"])
                    finally:
                        os._exit(1)  # only if exec failed
                code = os.waitstatus_to_exitcode(os.waitpid(inner, 0)[1])
            finally:
                os._exit(code)
        check(os.waitpid(pid, 0)[1])

    return start


def enter(rootfs: Path) -> None:
    call("mount", None, b"/", None, MS_REC | MS_PRIVATE, None)
    call("mount", bytes(rootfs), bytes(rootfs), None, MS_BIND | MS_REC, None)
    os.chdir(rootfs)
    call("syscall", SYS_PIVOT_ROOT, b".", b".")
    call("umount2", b".", MNT_DETACH)
    os.chdir("/")
    call("mount", b"proc", b"/proc", b"proc", 0, None)


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


# --- the VM's kernel and busybox: pinned Debian packages ---------------------


def cache_dir() -> Path:
    if os.environ.get("VM_LAB_CACHE"):
        return Path(os.environ["VM_LAB_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "containers-vs-vms"


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def get(deb: Deb) -> Path:
    """The package file, from the cache or downloaded, its sha256 checked."""
    path = cache_dir() / f"{deb.sha256}.deb"
    if path.is_file() and sha256(path) == deb.sha256:
        return path
    url = f"{MIRROR}/{deb.url}"
    say = f"startup_cost: fetching {deb.name} ({deb.size / 1e6:.1f} MB)"
    print(f"{say} from {url}", file=sys.stderr, flush=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_suffix(".part")
    try:
        response = urllib.request.urlopen(url, timeout=60)
        with response, part.open("wb") as f:
            done, shown = 0, 0
            while chunk := response.read(1 << 20):
                f.write(chunk)
                done += len(chunk)
                if done * 10 // deb.size > shown:  # every tenth
                    shown = done * 10 // deb.size
                    print(f"  {min(shown * 10, 100)}%", file=sys.stderr)
        if sha256(part) != deb.sha256:
            raise RuntimeError(f"{deb.name}: sha256 is not the pinned one")
        part.replace(path)
    finally:
        part.unlink(missing_ok=True)
    return path


def deb_file(deb: Path, wanted: str) -> bytes:
    """One file out of a .deb: an `ar` archive holding data.tar.xz."""
    blob = deb.read_bytes()
    # After the "!<arch>\n" magic, each member follows a 60-byte header.
    offset = 8
    while offset < len(blob):
        name = blob[offset : offset + 16].strip()
        size = int(blob[offset + 48 : offset + 58])
        if name.startswith(b"data.tar"):
            body = io.BytesIO(blob[offset + 60 : offset + 60 + size])
            with tarfile.open(fileobj=body) as tar:
                for member in tar:
                    if re.fullmatch(wanted, member.name):
                        return tar.extractfile(member).read()  # type: ignore[union-attr]
        offset += 60 + size + size % 2
    raise RuntimeError(f"{deb}: no file matching {wanted}")


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


# --- booting the VM -----------------------------------------------------------


@dataclass
class Boot:
    """One boot, in ms from starting QEMU as the host sees it; the guest's
    own uptime at /init in ms. `init` is None when nothing came in time."""

    init: float | None = None
    out: float | None = None
    off: float | None = None
    uptime: float | None = None


def boot(workdir: Path, accel: str, init_within: float = 300) -> Boot:
    """Boot our kernel and initramfs; time /init's lines as they arrive."""
    argv = ["qemu-system-x86_64", "-M", "pc", "-accel", accel, "-m", "256"]
    argv += ["-cpu", "max" if accel == "tcg" else "host", "-nodefaults"]
    argv += ["-display", "none", "-serial", "stdio", "-no-reboot"]
    argv += ["-kernel", str(workdir / "vmlinuz")]
    argv += ["-initrd", str(workdir / "initrd")]
    argv += ["-append", "console=ttyS0 quiet panic=-1"]
    result, pending = Boot(), b""
    begin = time.perf_counter()
    qemu = subprocess.Popen(
        argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE
    )
    assert qemu.stdout is not None
    try:
        checkpoint("booting")
        while True:
            ms = (time.perf_counter() - begin) * 1000
            if result.init is None and ms > init_within * 1000:
                return result  # no /init in time: the caller decides
            if select.select([qemu.stdout], [], [], 0.1)[0]:
                chunk = os.read(qemu.stdout.fileno(), 65536)
                if not chunk:
                    break
                pending += chunk
                *lines, pending = pending.split(b"\n")
                for line in lines:
                    key, _, value = line.decode(errors="replace").partition(" ")
                    if key == "@@" and value.startswith("init"):
                        result.init = ms
                    elif key == "@@" and value.startswith("uptime "):
                        result.uptime = float(value.split()[1]) * 1000
                    elif key == "@@" and value.startswith("out "):
                        result.out = ms
        if qemu.wait() != 0 or result.out is None:
            raise RuntimeError(f"the VM failed (QEMU exit {qemu.returncode})")
        result.off = (time.perf_counter() - begin) * 1000
        return result
    finally:  # success, failure, Ctrl-C or SIGTERM: no QEMU outlives us
        if qemu.poll() is None:
            qemu.kill()
        qemu.wait()
        qemu.stdout.close()


def prepare_vm(workdir: Path) -> str | None:
    """Kernel and initramfs into workdir; None, or why the VM rows skip."""
    if platform.machine() != "x86_64":
        return "the VM rows are set up for x86_64 only"
    if not shutil.which("qemu-system-x86_64"):
        return "qemu-system-x86_64 is not installed"
    try:
        kernel = get(KERNEL)
    except OSError as exc:
        return f"cannot download the kernel ({getattr(exc, 'reason', exc)})"
    vmlinuz = deb_file(kernel, r"\./boot/vmlinuz-.*")
    (workdir / "vmlinuz").write_bytes(vmlinuz)
    files = [
        ("bin", 0o40755, b""),
        (
            "bin/busybox",
            0o100755,
            (workdir / "rootfs/bin/busybox").read_bytes(),
        ),
        ("init", 0o100755, INIT.encode()),
        ("proc", 0o40755, b""),
    ]
    (workdir / "initrd").write_bytes(cpio(files))
    return None


def accelerator(workdir: Path) -> tuple[str, str]:
    """KVM if a guest really runs on it here, else TCG; and why."""
    forced = os.environ.get("VM_LAB_ACCEL")
    if forced:
        return forced, f"chosen with VM_LAB_ACCEL={forced}"
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        return "tcg", "no usable /dev/kvm"
    if boot(workdir, "kvm", KVM_WAIT).init is not None:
        return "kvm", "/dev/kvm runs guests"
    return "tcg", f"/dev/kvm opened, but no guest /init within {KVM_WAIT:.0f} s"


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


def row(label: str, times: list[float]) -> str:
    median, low, high = statistics.median(times), min(times), max(times)
    n = len(times)
    return f"{label:<{LABEL}} {n:>5} {median:>9.2f} {low:>9.2f} {high:>9.2f}"


def vm_rows(workdir: Path, runs: int) -> float | None:
    """Print the VM rows; return the median to /init, or None if skipped."""
    why = prepare_vm(workdir)
    labels = ["VM: QEMU start to /init", "VM: ... to a command's output"]
    labels += ["VM: ... to power-off"]
    if why:
        for label in labels:
            print(f"{label:<{LABEL}} skipped: {why}")
        return None
    accel, reason = accelerator(workdir)
    # No warm-up boot: the probe or writing the files warmed the page cache.
    boots = [boot(workdir, accel) for _ in range(runs)]
    checkpoint("measured")
    for label, key in zip(labels, ("init", "out", "off"), strict=True):
        print(row(label, [getattr(b, key) for b in boots]))
    uptime = statistics.median(b.uptime for b in boots)  # type: ignore[misc]
    to_init = statistics.median(b.init for b in boots)  # type: ignore[misc]
    print()
    print(f"VM accelerator: {accel.upper()} ({reason}).")
    print(f"The guest's own clock at /init: {uptime:.0f} ms (median) since its")
    print("kernel started; the rest of the first VM row is QEMU, firmware and")
    print("loading the kernel.")
    if accel == "tcg":
        times = to_init / FIRECRACKER_MS
        print(
            "TCG emulates every guest instruction in software, so the VM rows"
        )
        print(
            "are far slower than on a hardware-assisted hypervisor: Firecracker"
        )
        most = f"at most {FIRECRACKER_MS} ms"
        print(f"specifies {most} to the guest's /sbin/init with KVM;")
        print(f"here the VM took about {times:.0f} times that.")
    return to_init


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    help_runs = "starts per row (default 200; the VM rows boot runs/50, >= 3)"
    parser.add_argument("--runs", type=positive, default=200, help=help_runs)
    help_vm = "leave out the VM rows (a minute or more without KVM)"
    parser.add_argument("--skip-vm", action="store_true", help=help_vm)
    args = parser.parse_args()
    runs = args.runs
    if not privileged():
        return refuse(
            "needs Linux and root (CAP_SYS_ADMIN) to create namespaces"
        )
    workdir = Path(tempfile.mkdtemp(prefix="startup-cost-"))
    try:
        rootfs = workdir / "rootfs"
        (rootfs / "bin").mkdir(parents=True)
        (rootfs / "proc").mkdir()
        try:
            deb = get(BUSYBOX)
        except OSError as exc:
            why = getattr(exc, "reason", exc)
            return refuse(f"needs busybox-static from {MIRROR} ({why})")
        busybox = deb_file(deb, r"\./bin/busybox")
        (rootfs / "bin/busybox").write_bytes(busybox)
        (rootfs / "bin/busybox").chmod(0o755)
        ways: list[tuple[str, Callable[[], None] | str, int]] = [
            ("plain process (fork, exec, wait)", plain, runs),
            ("6 new namespaces, as a container", in_namespaces, runs),
            ("container: + pivot_root, own /proc", in_container(rootfs), runs),
            ("docker run --rm busybox true", docker(), max(3, runs // 20)),
        ]
        print(f"Time to start a trivial command and see it end ({TRUE}), in ms")
        print(f"date     {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
        print(f"machine  {machine()}")
        print(f"system   {system()}")
        load = os.getloadavg()[0]  # others' work on the machine slows us too
        print(f"load     {load:.2f} (runnable processes, 1-minute average)")
        print()
        columns = ("how it starts", "runs", "median", "min", "max")
        print(f"{{:<{LABEL}}} {{:>5}} {{:>9}} {{:>9}} {{:>9}}".format(*columns))
        medians = {}
        for label, way, n in ways:
            if isinstance(way, str):
                print(f"{label:<{LABEL}} skipped: {way}")
                continue
            times = measure(way, n)
            checkpoint("measured")
            medians[label] = statistics.median(times)
            print(row(label, times), flush=True)
        to_init = None
        if not args.skip_vm:
            to_init = vm_rows(workdir, max(3, runs // 50))
    finally:  # on success, failure, Ctrl-C or SIGTERM
        shutil.rmtree(workdir)
    plain_ms, ns_ms = medians[ways[0][0]], medians[ways[1][0]]
    print()
    print(
        f"New namespaces add {ns_ms - plain_ms:.2f} ms to a process start here."
    )
    print("The kernel's part of a container start is that bookkeeping (an")
    print("engine adds image, network and its own work on top);")
    if to_init is None:
        print("starting a VM is booting a kernel.")
    else:
        times = to_init / plain_ms
        print(f"this VM took {times:,.0f} times a process start to reach its")
        print("first process: it boots a kernel.")
    return 0


if __name__ == "__main__":
    # Clean up on `kill` (SIGTERM) as on Ctrl-C: both raise KeyboardInterrupt.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print(f"{LAB}: interrupted; cleaned up", file=sys.stderr)
        sys.exit(130)
