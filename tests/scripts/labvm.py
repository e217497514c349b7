"""Run the labs inside a VM whose only cgroup hierarchy is cgroup v2.

This machine (and so CI's host) mounts cgroup v1, where the labs' v2 code path cannot run. So
we boot Debian's kernel under QEMU with an initramfs holding the repository's scripts/, busybox
and Debian's Python (all pinned in sitebuild/vm/guest.lock.json), mount cgroup2 alone on
/sys/fs/cgroup, run every lab in turn, and read each one's output back from the serial console.
One boot serves every test (about a minute under TCG).

To re-record the v2 outputs the pages show (scripts/output/NAME_v2.txt):
    .venv/bin/python tests/scripts/labvm.py --record
"""

from __future__ import annotations

import lzma
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
from sitebuild.vm import guest  # noqa: E402

ARCH = "amd64"
PYTHON = ["python3.13-minimal", "libpython3.13-minimal", "libpython3.13-stdlib"]
LIBS = ["libc6", "libgcc-s1", "libffi8", "zlib1g", "libexpat1", "liblzma5", "libbz2-1.0"]
PACKAGES = ["busybox-static", *PYTHON, *LIBS]
# Labs and their arguments in the VM. vm_own_kernel is left out: it would need QEMU inside the VM.
LABS = {
    "same_kernel": "",
    "just_a_process": "",
    "cgroup_limits": "",
    "mini_container": "",
    "volumes_outlive": "",
    "immutable_layers": "",
    "user_namespace": "",
    "capabilities": "",
    "seccomp_filter": "",
    # No HTTPS in the guest (no libssl): busybox-static comes from a cache in the initramfs.
    # No QEMU either: the VM rows say they were skipped, and why.
    "startup_cost": "--runs 5",
}
ENV = {"startup_cost": "VM_LAB_CACHE=/cache "}
RECORDED = ("cgroup_limits", "mini_container")  # the labs whose output differs on v2
# pivot_root(2) refuses to move the initramfs itself (EINVAL), and the container labs need it,
# as runtimes do. So /init copies the files into a tmpfs and switches root to it, then runs STAGE2.
INIT = """#!/bin/busybox sh
/bin/busybox mkdir /newroot
/bin/busybox mount -t tmpfs -o size=400m tmpfs /newroot
for d in /*; do
  case $d in /proc|/sys|/dev|/newroot) ;; *) /bin/busybox cp -a $d /newroot/ ;; esac
done
/bin/busybox mkdir -p /newroot/proc /newroot/sys /newroot/dev
exec /bin/busybox switch_root /newroot /bin/busybox sh /stage2
"""
STAGE2 = """
/bin/busybox mount -t proc proc /proc
/bin/busybox --install -s /bin
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
mount -t sysfs sysfs /sys
mount -t cgroup2 cgroup2 /sys/fs/cgroup
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
# A root-only /etc/shadow, as on any distribution, for user_namespace to be refused.
echo 'root:*:20000:0:99999:7:::' > /etc/shadow && chmod 600 /etc/shadow
insmod /usr/lib/modules/overlay.ko
echo "@@@ controllers $(cat /sys/fs/cgroup/cgroup.controllers)"
echo "@@@ mounts $(grep cgroup /proc/mounts | cut -d' ' -f3 | tr '\\n' ' ')"
cd /tmp
{runs}
poweroff -f
"""
RUN = """echo "@@@ begin {lab}"
{env}/usr/bin/python3.13 /scripts/{lab}.py {args} 2>/tmp/err
echo "@@@ end {lab} $?"
sed 's/^/@@@ err /' /tmp/err
"""


def keep(path: str) -> bool:
    """Package files the guest needs: no docs, no manuals, no translations."""
    return not path.startswith(("usr/share/doc", "usr/share/man", "usr/share/locale"))


@dataclass
class LabRun:
    code: int | None = None
    out: list[str] = field(default_factory=list)
    err: list[str] = field(default_factory=list)

    @property
    def stdout(self) -> str:
        return "".join(f"{line}\n" for line in self.out)


@dataclass
class GuestRun:
    controllers: list[str]
    mounts: list[str]
    labs: dict[str, LabRun]
    seconds: float
    console: str


def image() -> tuple[Path, Path]:
    """The kernel and the initramfs (cached by guest.py under the hash of all inputs)."""
    kernel = guest.kernel(ARCH, out=_quiet)
    module = _overlay_module()
    files = {f"scripts/{p.name}": p.read_bytes() for p in sorted((REPO / "scripts").glob("*.py"))}
    files["usr/lib/modules/overlay.ko"] = module
    busybox = next(p for p in guest.packages(ARCH) if p.name == "busybox-static")
    files[f"cache/{busybox.sha256}.deb"] = busybox.deb.read_bytes()
    runs = "".join(
        RUN.format(lab=lab, args=args, env=ENV.get(lab, "")) for lab, args in LABS.items()
    )
    files["stage2"] = STAGE2.format(runs=runs).encode()
    return kernel, guest.initramfs(ARCH, PACKAGES, files, INIT, keep, out=_quiet)


def _quiet(line: str) -> None:
    print(line, file=sys.stderr)


def _overlay_module() -> bytes:
    pkg = next(p for p in guest.packages(ARCH) if p.name.startswith("linux-image-"))
    deb = guest.fetch(ARCH, [pkg.name], out=_quiet)[pkg.name]
    with guest.deb_data(deb) as tar:
        member = next(m for m in tar if "/fs/overlayfs/overlay.ko" in m.name)
        data = tar.extractfile(member).read()  # type: ignore[union-attr]
    # Debian 13 ships its modules xz-compressed; busybox's insmod loads only plain ones.
    return lzma.decompress(data) if member.name.endswith(".xz") else data


def boot(timeout: float = 600) -> GuestRun:
    """Boot once under TCG (KVM on a nested host may hang or abort; the labs' numbers are not the
    point here), run every lab, power off. QEMU never outlives this call."""
    kernel, initrd = image()
    argv = ["qemu-system-x86_64", "-M", "pc", "-accel", "tcg", "-cpu", "max", "-m", "512"]
    argv += ["-nodefaults", "-display", "none", "-serial", "stdio", "-no-reboot"]
    argv += ["-kernel", str(kernel), "-initrd", str(initrd)]
    # loglevel=1: the OOM killer's report (cgroup_limits) must not land amid a lab's output.
    argv += ["-append", "console=ttyS0 loglevel=1 panic=-1"]
    begin = time.monotonic()
    try:
        proc = subprocess.run(argv, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as exc:  # subprocess.run kills QEMU first
        raise AssertionError(f"the guest did not power off in {timeout:.0f} s") from exc
    console = proc.stdout.decode(errors="replace").replace("\r", "")
    assert proc.returncode == 0, f"QEMU exit {proc.returncode}: {proc.stderr.decode()}"
    return parse(console, time.monotonic() - begin)


def parse(console: str, seconds: float) -> GuestRun:
    labs: dict[str, LabRun] = {}
    current: LabRun | None = None
    controllers: list[str] = []
    mounts: list[str] = []
    for line in console.splitlines():
        if m := re.fullmatch(r"@@@ controllers (.*)", line):
            controllers = m[1].split()
        elif m := re.fullmatch(r"@@@ mounts (.*)", line):
            mounts = m[1].split()
        elif m := re.fullmatch(r"@@@ begin (\w+)", line):
            current = labs[m[1]] = LabRun()
        elif m := re.fullmatch(r"@@@ end (\w+) (\d+)", line):
            labs[m[1]].code, current = int(m[2]), None
        elif m := re.fullmatch(r"@@@ err (.*)", line):
            list(labs.values())[-1].err.append(m[1])
        elif current is not None:
            current.out.append(line)
    return GuestRun(controllers, mounts, labs, seconds, console)


if __name__ == "__main__":
    os.chdir(REPO)
    run = boot()
    print(f"guest: cgroup {run.mounts}, controllers {run.controllers}, {run.seconds:.0f} s")
    for name, lab in run.labs.items():
        print(f"{name}: exit {lab.code}", *lab.err[-3:], sep="\n  ")
        if "--record" in sys.argv and name in RECORDED:
            (REPO / "scripts" / "output" / f"{name}_v2.txt").write_text(lab.stdout)
