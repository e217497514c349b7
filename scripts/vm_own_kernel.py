#!/usr/bin/env python3
"""A VM brings its own kernel: boot one and ask it what it runs on.

The mirror image of the same_kernel lab. There, a process in new namespaces
found the host's kernel. Here QEMU boots a virtual machine: its firmware
starts, then a kernel starts from nothing (Debian 13's cloud kernel, not the
host's), then a tiny /init asks that kernel what it is. Two kernels, one
machine.

On first run it downloads two pinned Debian packages (the kernel, 27 MB, and
busybox-static, 1 MB) from deb.debian.org (or, once Debian has replaced that
version, from snapshot.debian.org), checks their sha256 and keeps them in
~/.cache/containers-vs-vms/ (or $VM_LAB_CACHE). Nothing else is written
outside a temporary directory that it removes.

Run it: python3 scripts/vm_own_kernel.py  (no root needed)
(Linux with qemu-system-x86_64: sudo apt install qemu-system-x86;
Python 3.11+, standard library only)
"""

from __future__ import annotations

import io
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from hashlib import sha256
from pathlib import Path

LAB = "vm_own_kernel"
MEMORY_MIB = 256
BOOT_TIMEOUT = 180.0  # TCG on a busy machine is slow, but not this slow
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


# --8<-- [start:init]
# The VM's first and only process: print what its kernel says, power off.
INIT = """#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc
echo "@@ uptime $(/bin/busybox cut -d' ' -f1 /proc/uptime)"
echo "@@ release $(/bin/busybox uname -r)"
echo "@@ version $(/bin/busybox cat /proc/version)"
echo "@@ pid $$"
/bin/busybox poweroff -f
"""
# --8<-- [end:init]


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


def checkpoint(name: str) -> None:
    """Tests set LAB_FAIL_AT or LAB_PAUSE_AT to break or pause the lab here,
    then check that it cleaned up."""
    if os.environ.get("LAB_FAIL_AT") == name:
        raise RuntimeError(f"failing on purpose at {name!r} (LAB_FAIL_AT)")
    if os.environ.get("LAB_PAUSE_AT") == name:
        print(f"paused at {name!r} (LAB_PAUSE_AT)", file=sys.stderr, flush=True)
        time.sleep(60)


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


# --- booting ----------------------------------------------------------------

ANSI = re.compile(rb"\x1b(?:\[[0-9;?]*[A-Za-z]|[A-Za-z])")
# Where a kernel log line starts ("[    0.000000] "), even mid-line.
PRINTK = re.compile(r"(?=\[ *\d+\.\d{6}\] )")


@dataclass
class Boot:
    accel: str
    lines: list[tuple[float, str]]  # (seconds since QEMU started, console line)
    returncode: int | None


def boot(workdir: Path, accel: str) -> Boot:
    """Start QEMU on our kernel and initramfs; collect its console until it
    powers off."""
    argv = ["qemu-system-x86_64", "-M", "pc", "-accel", accel]
    argv += ["-cpu", "host" if accel != "tcg" else "max", "-m", str(MEMORY_MIB)]
    argv += ["-nographic", "-net", "none", "-no-reboot"]  # console on stdout
    argv += ["-kernel", f"{workdir}/vmlinuz", "-initrd", f"{workdir}/initrd"]
    argv += ["-append", "console=ttyS0 panic=-1"]
    start = time.monotonic()
    qemu = subprocess.Popen(
        argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE
    )
    assert qemu.stdout is not None
    lines: list[tuple[float, str]] = []
    pending = b""
    try:
        checkpoint("booting")
        while True:
            if time.monotonic() - start > BOOT_TIMEOUT:
                raise RuntimeError(
                    f"the VM did not power off within {BOOT_TIMEOUT:.0f} s"
                )
            ready, _, _ = select.select([qemu.stdout], [], [], 0.2)
            if not ready:
                continue
            chunk = os.read(qemu.stdout.fileno(), 65536)
            if not chunk:
                break
            pending += chunk
            *done, pending = pending.split(b"\n")
            stamp = time.monotonic() - start
            for raw in done:
                text = ANSI.sub(b"", raw).decode(errors="replace").strip()
                parts = [
                    p for chunk in text.split("\r") for p in PRINTK.split(chunk)
                ]
                lines += [
                    (stamp, part.strip()) for part in parts if part.strip()
                ]
        return Boot(accel, lines, qemu.wait())
    finally:  # success, failure, Ctrl-C or SIGTERM: no QEMU outlives the lab
        if qemu.poll() is None:
            qemu.kill()
        qemu.wait()
        qemu.stdout.close()


def facts(lines: list[tuple[float, str]]) -> dict[str, tuple[float, str]]:
    """The @@ lines /init printed: {key: (host seconds, value)}."""
    found = {}
    for stamp, line in lines:
        if m := re.match(r"@@ (\w+) (.*)", line):
            found[m[1]] = (stamp, m[2])
    return found


def show_console(lines: list[tuple[float, str]]) -> None:
    """The first lines of the console: firmware, then the kernel starting."""
    text = [line for _, line in lines]
    kernel_at = next(
        i for i, line in enumerate(text) if "Linux version" in line
    )
    init_at = next(i for i, line in enumerate(text) if "Run /init" in line)
    firmware = [
        line
        for line in text[:kernel_at]
        if line.startswith(("SeaBIOS", "Booting"))
    ]
    for line in firmware + text[kernel_at : kernel_at + 3]:
        print(f"  {line[:100]}")
    skipped = init_at - kernel_at - 3
    print(f"  ... {skipped} more lines: the kernel sets up the machine ...")
    print(f"  {text[init_at]}")


def main() -> int:
    """Run the lab; a Missing becomes one line on stderr and exit code 2."""
    try:
        return compare_kernels()
    except Missing as exc:
        print(f"{LAB}: {exc}; run: python3 scripts/{LAB}.py", file=sys.stderr)
        return 2


def compare_kernels() -> int:
    if sys.platform != "linux":
        raise Missing(
            "needs Linux (it compares the VM's kernel with the host's)"
        )
    qemu = shutil.which("qemu-system-x86_64")
    if not qemu:
        raise Missing("needs qemu-system-x86_64 (apt install qemu-system-x86)")
    kernel_deb, busybox_deb = get(KERNEL), get(BUSYBOX)
    checkpoint("fetched")
    host_version = Path("/proc/version").read_text().strip()
    qemu_version = subprocess.run([qemu, "--version"], capture_output=True)
    found = re.search(rb"version (\S+)", qemu_version.stdout)
    version = found[1].decode() if found else "(version unknown)"
    workdir = Path(tempfile.mkdtemp(prefix="vm-own-kernel-"))
    try:
        kernel = deb_file(kernel_deb, "./boot/vmlinuz-")
        (workdir / "vmlinuz").write_bytes(kernel)
        busybox = deb_file(busybox_deb, "./usr/bin/busybox")
        files = [
            ("bin", 0o40755, b""),
            ("bin/busybox", 0o100755, busybox),
            ("dev", 0o40755, b""),
            ("init", 0o100755, INIT.encode()),
            ("proc", 0o40755, b""),
        ]
        (workdir / "initrd").write_bytes(cpio(files))
        initrd_mb = (workdir / "initrd").stat().st_size / 1e6
        accel, why = kvm_or_tcg(workdir)
        result = boot(workdir, accel)
    finally:
        shutil.rmtree(workdir)

    inside = facts(result.lines)
    wanted = {"release", "version", "pid", "uptime"}
    if result.returncode != 0 or not wanted <= set(inside):
        tail = " | ".join(line for _, line in result.lines[-3:])
        code = result.returncode
        print(f"{LAB}: the VM did not answer (QEMU exit {code}): {tail}")
        return 1
    answered = inside["release"][0]
    accel = result.accel.upper()

    print("The host (where this lab runs):")
    print(f"  kernel release  {os.uname().release}")
    print(f"  /proc/version   {host_version}")
    print()
    print(f"A VM: QEMU {version}, PC, {MEMORY_MIB} MiB, accelerator {accel}")
    print(f"  ({why})")
    print(f"  kernel     {KERNEL.name} {KERNEL.version}")
    print(f"  initramfs  {BUSYBOX.name} {BUSYBOX.version}, our /init")
    print(f"             ({initrd_mb:.1f} MB; both Debian's, sha256 checked)")
    print()
    print("Its console from power-on: firmware, then a kernel from nothing:")
    show_console(result.lines)
    print()
    print("Inside the VM, what its /init printed:")
    release, pid = inside["release"][1], inside["pid"][1]
    print(f"  kernel release  {release:<22} <- its own")
    print(f"  /proc/version   {inside['version'][1]}")
    print(f"  PID             {pid:<22} <- first process of that kernel")
    print(f"  up for          {inside['uptime'][1]} s (the VM's own clock)")
    print()
    print(f"From the host: {answered:.2f} s from starting QEMU to that answer.")
    print()
    if inside["version"][1] == host_version:
        print("The host runs this very kernel build, so the texts match; the")
        print(
            "VM's PID 1 and uptime show a kernel of its own, booted just now."
        )
    else:
        print("Two kernels on one machine: the VM runs the kernel it booted.")
        print("In the same_kernel lab a container saw the host's kernel: a")
        print("container is processes on the host's kernel; a VM is a machine.")
    return 0


if __name__ == "__main__":
    # Clean up on `kill` (SIGTERM) as on Ctrl-C: both raise KeyboardInterrupt.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print(f"{LAB}: interrupted; cleaned up", file=sys.stderr)
        sys.exit(130)
