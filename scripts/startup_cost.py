#!/usr/bin/env python3
"""What start-up costs: a process, the same in namespaces, a container, a VM.

It times /bin/true as a process, in new namespaces and in a container (as
the mini_container lab builds one), and a QEMU VM booting Debian's kernel.
Run it: sudo python3 scripts/startup_cost.py [--runs N]
(Linux, Python 3.11+, standard library only; the VM rows need QEMU, from
sudo apt install qemu-system-x86, and download Debian's kernel once.)
"""

import argparse
import ctypes
import io
import os
import platform
import re
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
from hashlib import sha256
from pathlib import Path

LAB = "startup_cost"

CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS = 0x00020000, 0x02000000, 0x04000000
CLONE_NEWIPC, CLONE_NEWPID, CLONE_NEWNET = 0x08000000, 0x20000000, 0x40000000
NAMESPACES = CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC
NAMESPACES |= CLONE_NEWPID | CLONE_NEWNET
MS_BIND, MS_REC, MS_PRIVATE, MNT_DETACH = 0x1000, 0x4000, 0x40000, 2
# pivot_root has no libc wrapper; its number differs by architecture.
SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41}.get(platform.machine(), 155)
TRUE = shutil.which("true") or "/bin/true"
libc = ctypes.CDLL(None, use_errno=True)
LABEL = 36  # width of the first column
FIRECRACKER_MS = 125  # its SPECIFICATION.md: InstanceStart to /sbin/init, KVM
VM_ROWS = ("VM: QEMU start to /init", "VM: ... to a command's output")
VM_ROWS += ("VM: ... to power-off",)
MIRROR = "https://deb.debian.org"
# Every file Debian ever published, by SHA-1: the mirror drops old versions.
SNAPSHOT = "https://snapshot.debian.org"
KVM_WAIT = 10.0  # seconds for the VM to boot and power off on KVM, or TCG


@dataclass(frozen=True)
class Deb:
    name: str
    version: str
    sha256: str
    sha1: str  # its name in the snapshot archive
    size: int
    url: str  # under MIRROR


# Pinned as in the repository's sitebuild/vm/guest.lock.json (a test checks).
KERNEL = Deb(
    "linux-image-6.12.118+deb13-cloud-amd64",
    "6.12.118-1",
    "07f23ba1de88377d700e1e2f5b2ee495ff89b0d0bb73fdbd3eac8f6b27609b9a",
    "337e9b3532c48526ffd63d020bbb64701beb1f02",
    34699820,
    "debian-security/pool/updates/main/l/linux-signed-amd64/"
    "linux-image-6.12.118+deb13-cloud-amd64_6.12.118-1_amd64.deb",
)
BUSYBOX = Deb(
    "busybox-static",
    "1:1.37.0-6+b9",
    "598a3fd92bdafc34cd81196b2952ad36e910e47a4ecf162f8ce5e8e262598e53",
    "3827ed7fbd1b3928d5cb45bbe390c27862193e70",
    955316,
    "debian/pool/main/b/busybox/busybox-static_1.37.0-6+b9_amd64.deb",
)
# The VM's /init: "here" (a builtin: no new process), its uptime, a command.
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


def in_namespaces(rootfs: Path | None = None) -> None:
    """The same in six new namespaces, as a runtime adds them. Given a root
    filesystem, a container: mini_container's pivot_root and /proc too."""
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            call("unshare", NAMESPACES)
            inner = os.fork()  # PID 1 of the new PID namespace
            if inner == 0:
                try:
                    if rootfs:  # its own files, and its own /proc
                        enter(rootfs)
                        os.execv("/bin/busybox", ["true"])
                    os.execv(TRUE, [TRUE])
                finally:
                    os._exit(1)  # only if exec failed
            code = os.waitstatus_to_exitcode(os.waitpid(inner, 0)[1])
        finally:
            os._exit(code)
    check(os.waitpid(pid, 0)[1])


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
    if code := os.waitstatus_to_exitcode(status):
        raise RuntimeError(f"the child failed (exit code {code})")


def timed(label: str, start: Callable[[], None], runs: int) -> float:
    """Print the row of `runs` starts after a warm-up; return the median."""
    start()
    times = []
    for _ in range(runs):
        begin = time.perf_counter()
        start()
        times.append((time.perf_counter() - begin) * 1000)
    checkpoint("measured")
    print(row(label, times), flush=True)
    return statistics.median(times)


def row(label: str, times: list[float]) -> str:
    median, low, high = statistics.median(times), min(times), max(times)
    n = len(times)
    return f"{label:<{LABEL}} {n:>5} {median:>9.2f} {low:>9.2f} {high:>9.2f}"


# --- the VM: pinned Debian packages, and QEMU ---------------------------------
class Missing(Exception):
    """Something the lab needs and cannot get: one line, exit 2."""


def get(deb: Deb) -> Path:
    """The package, cached, else from the mirror, else the snapshot archive;
    its sha256 checked. The environment can name each of the three."""
    home = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    cache = os.environ.get("VM_LAB_CACHE") or Path(home) / "containers-vs-vms"
    path = Path(cache) / f"{deb.sha256}.deb"
    if path.is_file() and sha256(path.read_bytes()).hexdigest() == deb.sha256:
        return path
    mirror = os.environ.get("VM_LAB_MIRROR") or MIRROR
    snapshot = os.environ.get("VM_LAB_SNAPSHOT") or SNAPSHOT
    failed = []
    for url in (f"{mirror}/{deb.url}", f"{snapshot}/file/{deb.sha1}"):
        what = f"{deb.name} {deb.version} ({deb.size / 1e6:.1f} MB)"
        print(f"{LAB}: fetching {what} from {url}", file=sys.stderr, flush=True)
        try:
            data = bytearray()
            with urllib.request.urlopen(url, timeout=60) as response:
                while chunk := response.read(deb.size // 10 + 1):
                    data += chunk
                    print(f"  {len(data) * 100 // deb.size}%", file=sys.stderr)
            if sha256(data).hexdigest() == deb.sha256:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)  # half-written, its hash fails: no harm
                return path
            why = "its sha256 is not the pinned one"
        except OSError as exc:  # HTTP errors too: "HTTP Error 404: Not Found"
            why = str(exc)
        print(f"  failed: {why}", file=sys.stderr, flush=True)
        failed.append(f"{url}: {why}")
    raise Missing(f"cannot get {deb.name} {deb.version}: {'; '.join(failed)}")


def deb_file(deb: Path, wanted: str) -> bytes:
    """One file out of a .deb: an `ar` archive holding data.tar.xz."""
    blob, at = deb.read_bytes(), 8
    while not blob[at : at + 16].startswith(b"data.tar"):
        at += 60 + int(blob[at + 48 : at + 58])
        at += at % 2  # members start at even offsets
    size = int(blob[at + 48 : at + 58])
    body = io.BytesIO(blob[at + 60 : at + 60 + size])
    with tarfile.open(fileobj=body) as tar:
        member = next(m for m in tar if m.name.startswith(wanted))
        return tar.extractfile(member).read()  # type: ignore[union-attr]


def cpio(entries: list[tuple[str, int, bytes]]) -> bytes:
    """An initramfs: a cpio archive in the kernel's "newc" format."""
    out = b""
    trailer = ("TRAILER!!!", 0, b"")
    for ino, (name, mode, data) in enumerate([*entries, trailer], start=1):
        size, namesize = len(data), len(name) + 1
        fields = (ino, mode, 0, 0, 1, 0, size, 0, 0, 0, 0, namesize, 0)
        out += b"070701" + b"".join(b"%08X" % f for f in fields)
        out += name.encode() + b"\0"
        out += b"\0" * (-len(out) % 4) + data + b"\0" * (-len(data) % 4)
    return out


def kvm_or_tcg(workdir: Path) -> tuple[str, str]:
    """KVM if the VM boots on it, else TCG (QEMU's emulator), and why: no
    /dev/kvm, no permission, a CPU QEMU aborts on, a guest that hangs."""
    argv = ["qemu-system-x86_64", "-accel", "kvm", "-cpu", "host", "-m", "256"]
    argv += ["-nodefaults", "-display", "none", "-serial", "stdio"]
    argv += ["-kernel", f"{workdir}/vmlinuz", "-initrd", f"{workdir}/initrd"]
    argv += ["-append", "console=ttyS0 panic=-1", "-no-reboot"]
    null = subprocess.DEVNULL
    try:  # on a timeout or Ctrl-C, run() kills QEMU
        run = subprocess.run(
            argv, stdin=null, capture_output=True, timeout=KVM_WAIT
        )
    except subprocess.TimeoutExpired:
        return "tcg", f"on KVM the VM did not power off within {KVM_WAIT:.0f} s"
    if run.returncode == 0 and b"Linux version" in run.stdout:
        return "kvm", "/dev/kvm booted the VM"
    code, err = run.returncode, run.stderr.decode(errors="replace").strip()
    how = f"exit {code}"
    if code < 0:
        how = f"killed by {signal.Signals(-code).name}"
    last = err.splitlines()[-1] if err else "no message"
    return "tcg", f"KVM failed: QEMU {how}: {last}"


def boot(workdir: Path, accel: str) -> dict[str, float]:
    """Boot the VM: ms from QEMU's start to each /init line and power-off."""
    argv = ["qemu-system-x86_64", "-accel", accel, "-m", "256", "-nodefaults"]
    argv += ["-cpu", "max" if accel == "tcg" else "host", "-no-reboot"]
    argv += ["-display", "none", "-serial", "stdio"]
    argv += ["-kernel", f"{workdir}/vmlinuz", "-initrd", f"{workdir}/initrd"]
    argv += ["-append", "console=ttyS0 quiet panic=-1"]
    seen, begin = {}, time.perf_counter()
    qemu = subprocess.Popen(
        argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE
    )
    assert qemu.stdout is not None
    try:
        checkpoint("booting")
        for line in qemu.stdout:  # each line as soon as it is complete
            ms = (time.perf_counter() - begin) * 1000
            if m := re.search(r"@@ (\w+) ?(.*)", line.decode(errors="replace")):
                seen[m[1]] = float(m[2]) * 1000 if m[1] == "uptime" else ms
        if qemu.wait() != 0 or "out" not in seen:
            raise RuntimeError(f"the VM failed (QEMU exit {qemu.returncode})")
        seen["off"] = (time.perf_counter() - begin) * 1000
        return seen
    finally:  # success, failure, Ctrl-C or SIGTERM: no QEMU outlives us
        qemu.kill()  # nothing, if it has exited
        qemu.wait()
        qemu.stdout.close()


def vm_rows(workdir: Path, busybox: bytes, runs: int, plain_ms: float) -> None:
    """Print the VM rows and what they show. Missing: they skip."""
    if not shutil.which("qemu-system-x86_64"):
        raise Missing("qemu-system-x86_64 is not installed")
    (workdir / "vmlinuz").write_bytes(deb_file(get(KERNEL), "./boot/vmlinuz-"))
    files = [("bin", 0o40755, b""), ("bin/busybox", 0o100755, busybox)]
    files += [("init", 0o100755, INIT.encode()), ("proc", 0o40755, b"")]
    (workdir / "initrd").write_bytes(cpio(files))
    accel, why = kvm_or_tcg(workdir)
    # No warm-up boot: the probe or writing the files warmed the page cache.
    boots = [boot(workdir, accel) for _ in range(runs)]
    for label, key in zip(VM_ROWS, ("init", "out", "off"), strict=True):
        print(row(label, [b[key] for b in boots]))
    to_init = statistics.median(b["init"] for b in boots)
    uptime = statistics.median(b["uptime"] for b in boots)
    print(f"""
VM accelerator: {accel.upper()} ({why}).
A VM boots a kernel: to /init, {to_init / plain_ms:,.0f} times a process start.
The guest's own uptime at /init: {uptime:.0f} ms (median); the rest is
QEMU, firmware and loading the kernel.""")
    if accel == "tcg":  # how far from a VM made to start fast, on KVM
        slower = to_init / FIRECRACKER_MS
        print(f"""TCG emulates every instruction in software: /init took about
{slower:.0f} times the {FIRECRACKER_MS} ms Firecracker specifies on KVM.""")


def header() -> None:
    """What ran where, and when: the numbers mean little without it."""
    files = ("/proc/cpuinfo", "/etc/os-release")
    text = "".join(Path(f).read_text() for f in files if Path(f).exists())
    model = re.search(r"^model name\s*: (.*)", text, re.M)
    name = re.search(r'^PRETTY_NAME="?([^"\n]*)', text, re.M)
    vm = re.search(r"^flags\s*:.* hypervisor", text, re.M)
    gib = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") / 2**30
    print(f"""Time to start a trivial command and see it end ({TRUE}), in ms
date     {time.strftime("%Y-%m-%d %H:%M", time.gmtime())} UTC
machine  {model[1] if model else platform.machine()}, {os.cpu_count()} CPUs, \
{gib:.1f} GiB RAM{", itself a VM" if vm else ""}
system   {name[1] if name else "Linux"}, kernel {os.uname().release}, \
Python {platform.python_version()}
load     {os.getloadavg()[0]:.2f} (runnable processes, 1-minute average)
""")
    print(f"{'how it starts':<{LABEL}}  runs    median       min       max")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    help_runs = "starts per row (default 200; the VM rows boot runs/50, >= 3)"
    parser.add_argument("--runs", type=int, default=200, help=help_runs)
    runs = parser.parse_args().runs
    if runs < 1:
        parser.error("--runs: at least 1")
    if not privileged():
        return refuse("needs Linux and root (CAP_SYS_ADMIN) for namespaces")
    try:
        busybox = deb_file(get(BUSYBOX), "./usr/bin/busybox")
    except Missing as exc:
        return refuse(str(exc))
    workdir = Path(tempfile.mkdtemp(prefix="startup-cost-"))
    try:
        rootfs = workdir / "rootfs"
        (rootfs / "proc").mkdir(parents=True)
        (rootfs / "bin").mkdir()
        (rootfs / "bin/busybox").write_bytes(busybox)
        (rootfs / "bin/busybox").chmod(0o755)
        header()
        plain_ms = timed("plain process (fork, exec, wait)", plain, runs)
        ns_ms = timed("6 new namespaces, as a container", in_namespaces, runs)
        container = lambda: in_namespaces(rootfs)  # noqa: E731
        timed("container: + pivot_root, own /proc", container, runs)
        try:
            vm_rows(workdir, busybox, max(3, runs // 50), plain_ms)
        except Missing as exc:
            for label in VM_ROWS:
                print(f"{label:<{LABEL}} skipped: {exc}")
    finally:  # on success, failure, Ctrl-C or SIGTERM
        shutil.rmtree(workdir)
    extra = ns_ms - plain_ms
    print(f"""
New namespaces add {extra:.2f} ms to a process start here: the kernel's part
of a container start (an engine adds image, network and its own work).""")
    return 0


if __name__ == "__main__":
    # Clean up on `kill` (SIGTERM) as on Ctrl-C: both raise KeyboardInterrupt.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print(f"{LAB}: interrupted; cleaned up", file=sys.stderr)
        sys.exit(130)
