#!/usr/bin/env python3
"""A container in one file: root filesystem, namespaces, pivot_root, cgroups.

This is what a container runtime does, minus the polish: unpack a root
filesystem (here Debian's static busybox), make a cgroup with limits, start
a process in new namespaces, swap its root directory for ours, mount /proc
and run a command. Read it top to bottom.

Run it: sudo python3 scripts/mini_container.py
(Linux, Python 3.11+, standard library; sudo apt install busybox-static)
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import platform
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LAB = "mini_container"

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWPID, CLONE_NEWNET = 0x20000000, 0x40000000
MS_BIND, MS_REC, MS_PRIVATE, MNT_DETACH = 0x1000, 0x4000, 0x40000, 2
PR_SET_PDEATHSIG = 1
# pivot_root has no C library wrapper: we make the system call by number.
SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41}.get(platform.machine(), 155)
libc = ctypes.CDLL(None, use_errno=True)
# The command the container runs: a busybox shell script.
INSIDE = r"""
echo "hostname    $(hostname)"
echo "my PID      $$"
echo "kernel      $(uname -r)  (the host's: there is no other)"
echo "files in /  $(cd / && echo *)"
echo "network     $(sed -n 's/^ *\([^:]*\):.*/\1/p' /proc/net/dev)  (loopback)"
grep mini-container /proc/self/cgroup | sed 's/^/cgroup      /'
ps -o pid,user,comm
"""


def call(name: str, *args: object) -> None:
    """Call a libc function; turn its -1 and errno into an OSError naming it."""
    if getattr(libc, name)(*args) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{name}: {os.strerror(err)}")


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


def is_static(path: Path) -> bool:
    """A static program needs no dynamic loader (no PT_INTERP header in the
    ELF file), so it runs in an otherwise empty root filesystem."""
    data = path.read_bytes()
    if data[:5] != b"\x7fELF\x02":  # not a 64-bit ELF program
        return False
    (start,) = struct.unpack_from("<Q", data, 32)  # the program headers
    size, count = struct.unpack_from("<HH", data, 54)
    types = [
        struct.unpack_from("<I", data, start + i * size)[0]
        for i in range(count)
    ]
    return 3 not in types  # 3 is PT_INTERP


def make_rootfs(busybox: Path, rootfs: Path) -> None:
    """The "image": busybox, a link per busybox command, a user, a script."""
    for d in ("bin", "etc", "proc", "tmp"):
        (rootfs / d).mkdir(parents=True)
    shutil.copy2(busybox, rootfs / "bin/busybox")
    listing = subprocess.run(
        [busybox, "--list"], capture_output=True, text=True
    )
    for command in listing.stdout.split():
        if command != "busybox":
            (rootfs / "bin" / command).symlink_to("busybox")
    (rootfs / "etc/passwd").write_text("root:x:0:0:root:/:/bin/sh\n")
    (rootfs / "etc/inside.sh").write_text(INSIDE)


def cgroup_limits(name: str) -> dict[Path, str]:
    """The limit files to write: one cgroup on cgroup v2; on v1, one in each
    controller's tree, under our own cgroup there."""
    root = Path("/sys/fs/cgroup")
    v2 = root / "cgroup.controllers"
    if v2.exists() and "memory" in v2.read_text().split():
        return {
            root / name / "memory.max": "64M",
            root / name / "pids.max": "32",
        }
    own = {}  # controller -> our cgroup, from lines like "4:memory:/user.slice"
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        own.update(dict.fromkeys(controllers.split(","), path.strip("/")))
    memory = root / "memory" / own["memory"] / name
    pids = root / "pids" / own["pids"] / name
    return {memory / "memory.limit_in_bytes": "64M", pids / "pids.max": "32"}


def container(rootfs: Path, cgroup: list[Path]) -> None:
    """The child: join the cgroup, unshare namespaces; then PID 1 of the new
    PID namespace swaps its root directory and runs the command."""
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # die if the lab dies
    for path in cgroup:  # our children will be born in the cgroup
        (path / "cgroup.procs").write_text(str(os.getpid()))
    flags = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET
    call("unshare", flags | CLONE_NEWPID)
    init = os.fork()  # the first child in a new PID namespace is its PID 1
    if init:
        os._exit(os.waitstatus_to_exitcode(os.waitpid(init, 0)[1]))
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    socket.sethostname("mini")
    # Make every mount private, so nothing we mount reaches the host.
    call("mount", None, b"/", None, MS_REC | MS_PRIVATE, None)
    # pivot_root wants the new root to be a mount point: bind it on itself.
    call("mount", bytes(rootfs), bytes(rootfs), None, MS_BIND | MS_REC, None)
    os.chdir(rootfs)
    # rootfs becomes /, and the old root is stacked on top of it...
    call("syscall", SYS_PIVOT_ROOT, b".", b".")
    # ...until we detach it: the host's files are out of reach.
    call("umount2", b".", MNT_DETACH)
    os.chdir("/")
    call("mount", b"proc", b"/proc", b"proc", 0, None)
    checkpoint("inside")
    env = {"PATH": "/bin", "HOME": "/"}
    os.execve("/bin/sh", ["sh", "/etc/inside.sh"], env)


def remove_cgroup(path: Path) -> None:
    """Kill what is left in the cgroup, then remove it: rmdir fails with
    EBUSY until the cgroup is empty."""
    for _ in range(100):
        if not path.exists():
            return
        for member in (path / "cgroup.procs").read_text().split():
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(member), signal.SIGKILL)
        with contextlib.suppress(OSError):
            path.rmdir()
        time.sleep(0.01)
    raise RuntimeError(f"could not remove the cgroup {path}")


def main() -> int:
    busybox = Path(shutil.which("busybox") or "/bin/busybox")
    static = busybox.exists() and is_static(busybox)
    needs = {
        "Linux and root (CAP_SYS_ADMIN)": privileged(),
        "a static busybox (apt install busybox-static)": static,
    }
    if missing := [what for what, ok in needs.items() if not ok]:
        return refuse(f"needs {' and '.join(missing)}")
    workdir = Path(tempfile.mkdtemp(prefix="mini-container-"))
    limits = cgroup_limits(f"mini-container-{os.getpid()}")
    cgroup = sorted({file.parent for file in limits})
    try:
        make_rootfs(busybox, workdir / "rootfs")
        for file, value in limits.items():  # mkdir makes a cgroup...
            file.parent.mkdir(exist_ok=True)
            file.write_text(value)  # ...and writing a file sets a limit
        commands = len(os.listdir(workdir / "rootfs/bin"))
        print(f"Root filesystem: {commands} commands from busybox.")
        print("cgroup: memory limit 64 MiB, at most 32 processes.")
        print("Running /etc/inside.sh in new mount, UTS, IPC, network and PID")
        print("namespaces, after pivot_root into the new root filesystem:")
        # Flush before fork, or the child prints our buffered lines again.
        print("--- inside the container ---", flush=True)
        pid = os.fork()
        if pid == 0:
            try:
                container(workdir / "rootfs", cgroup)
            except Exception as exc:
                print(f"mini_container: {exc}", file=sys.stderr)
            finally:
                os._exit(1)  # only reached if the command could not start
        try:
            code = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
        except BaseException:  # Ctrl-C: stop the container, then clean up
            with contextlib.suppress(ProcessLookupError, ChildProcessError):
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            raise
        print("--- back on the host ---")
        print(f"The container exited with code {code}.")
        print("Removed its cgroup and its root filesystem.")
        return 0 if code == 0 else 1
    finally:  # on success, failure or Ctrl-C
        for path in cgroup:
            remove_cgroup(path)
        shutil.rmtree(workdir)


if __name__ == "__main__":
    # Clean up on `kill` (SIGTERM) as on Ctrl-C: both raise KeyboardInterrupt.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print(f"{LAB}: interrupted; cleaned up", file=sys.stderr)
        sys.exit(130)
