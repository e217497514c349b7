#!/usr/bin/env python3
"""A container in one file: a root filesystem, namespaces, pivot_root, /proc and cgroups.

This is what a container runtime does, minus the polish: unpack a root filesystem (here
Debian's static busybox), make a cgroup with limits, start a process in new namespaces,
swap its root for ours, mount a /proc, and run a command. Read it top to bottom.

Run it: sudo python3 scripts/mini_container.py   (needs busybox-static: apt install busybox-static)
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

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWPID, CLONE_NEWNET = 0x20000000, 0x40000000
MS_BIND, MS_REC, MS_PRIVATE, MNT_DETACH, PR_SET_PDEATHSIG = 0x1000, 0x4000, 0x40000, 2, 1
SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41}.get(platform.machine(), 155)  # no libc wrapper
libc = ctypes.CDLL(None, use_errno=True)
INSIDE = """\
echo "hostname    $(hostname)"
echo "my PID      $$"
echo "kernel      $(uname -r)  (the host's: there is no other)"
echo "files in /  $(cd / && echo *)"
echo "network     $(awk -F: 'NR > 2 { sub(/ +/, "", $1); print $1 }' /proc/net/dev)  (loopback)"
echo "cgroup      $(grep mini-container /proc/self/cgroup | xargs)"
ps -o pid,user,comm
"""


def call(name: str, *args: object) -> None:
    if getattr(libc, name)(*args) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{name}: {os.strerror(err)}")


def checkpoint(name: str) -> None:
    """Tests set LAB_FAIL_AT or LAB_PAUSE_AT to break or pause the lab here, then check cleanup."""
    if os.environ.get("LAB_FAIL_AT") == name:
        raise RuntimeError(f"failing on purpose at {name!r} (LAB_FAIL_AT)")
    if os.environ.get("LAB_PAUSE_AT") == name:
        print(f"paused at {name!r} (LAB_PAUSE_AT)", file=sys.stderr, flush=True)
        time.sleep(60)


def is_static(path: Path) -> bool:
    """A static ELF binary has no PT_INTERP (dynamic loader) header, so it runs in an empty root."""
    data = path.read_bytes()
    if data[:5] != b"\x7fELF\x02":  # not a 64-bit ELF binary
        return False
    (phoff,) = struct.unpack_from("<Q", data, 32)  # where the program headers start
    size, count = struct.unpack_from("<HH", data, 54)
    return all(struct.unpack_from("<I", data, phoff + i * size)[0] != 3 for i in range(count))


def make_rootfs(busybox: Path, rootfs: Path) -> None:
    """The "image": busybox, a link per command it provides, a user, and our script."""
    for d in ("bin", "etc", "proc", "tmp"):
        (rootfs / d).mkdir(parents=True)
    shutil.copy2(busybox, rootfs / "bin/busybox")
    applets = subprocess.run([busybox, "--list"], capture_output=True, text=True).stdout.split()
    for applet in applets:
        if applet != "busybox":
            (rootfs / "bin" / applet).symlink_to("busybox")
    (rootfs / "etc/passwd").write_text("root:x:0:0:root:/:/bin/sh\n")
    (rootfs / "etc/inside.sh").write_text(INSIDE)


def cgroup_limits(name: str) -> dict[Path, str]:
    """Limit files to write: one cgroup on v2; on v1 one per controller, under our own cgroup."""
    root = Path("/sys/fs/cgroup")
    v2 = root / "cgroup.controllers"
    if v2.exists() and "memory" in v2.read_text().split():
        return {root / name / "memory.max": "64M", root / name / "pids.max": "32"}
    own = {}
    for line in Path("/proc/self/cgroup").read_text().splitlines():  # "4:memory:/user.slice"
        _, controllers, path = line.split(":", 2)
        own.update(dict.fromkeys(controllers.split(","), path.strip("/")))
    return {
        root / "memory" / own["memory"] / name / "memory.limit_in_bytes": "64M",
        root / "pids" / own["pids"] / name / "pids.max": "32",
    }


def container(rootfs: Path, cgroup: list[Path]) -> None:
    """The child: join the cgroup, new namespaces, then PID 1 swaps root and runs the command."""
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # if the lab dies, the kernel kills us too
    for path in cgroup:
        (path / "cgroup.procs").write_text(str(os.getpid()))  # our children are born in it
    call("unshare", CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWPID)
    init = os.fork()  # the first child in the new PID namespace is its PID 1
    if init:
        os._exit(os.waitstatus_to_exitcode(os.waitpid(init, 0)[1]))
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    socket.sethostname("mini")
    call("mount", None, b"/", None, MS_REC | MS_PRIVATE, None)  # nothing we mount reaches the host
    call("mount", bytes(rootfs), bytes(rootfs), None, MS_BIND | MS_REC, None)  # a mount point
    os.chdir(rootfs)
    call("syscall", SYS_PIVOT_ROOT, b".", b".")  # rootfs becomes /, the old root stacks on it...
    call("umount2", b".", MNT_DETACH)  # ...and we detach it: the host's files are out of reach
    os.chdir("/")
    call("mount", b"proc", b"/proc", b"proc", 0, None)
    checkpoint("inside")
    os.execve("/bin/sh", ["sh", "/etc/inside.sh"], {"PATH": "/bin", "HOME": "/"})


def remove_cgroup(path: Path) -> None:
    """Kill what is left in the cgroup, then remove it (rmdir fails with EBUSY until empty)."""
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
    needs = {
        "Linux": sys.platform == "linux",
        "root": os.geteuid() == 0,
        "a static busybox (apt install busybox-static)": busybox.exists() and is_static(busybox),
    }
    if missing := [what for what, ok in needs.items() if not ok]:
        print(
            f"mini_container: needs {' and '.join(missing)}; "
            "run: sudo python3 scripts/mini_container.py",
            file=sys.stderr,
        )
        return 2
    workdir = Path(tempfile.mkdtemp(prefix="mini-container-"))
    limits = cgroup_limits(f"mini-container-{os.getpid()}")
    cgroup = sorted({file.parent for file in limits})
    try:
        make_rootfs(busybox, workdir / "rootfs")
        for file, value in limits.items():  # mkdir makes a cgroup; writing a file sets a limit
            file.parent.mkdir(exist_ok=True)
            file.write_text(value)
        print(f"Root filesystem: {len(os.listdir(workdir / 'rootfs/bin'))} commands from busybox.")
        print("cgroup: memory limit 64 MiB, at most 32 processes.")
        print("Starting /etc/inside.sh in new mount, UTS, IPC, network and PID namespaces:")
        print("--- inside the container ---", flush=True)  # flush before fork, or it prints twice
        pid = os.fork()
        if pid == 0:
            try:
                container(workdir / "rootfs", cgroup)
            except Exception as exc:
                print(f"mini_container: {exc}", file=sys.stderr)
            finally:
                os._exit(1)  # only reached if exec failed
        try:
            code = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
        except BaseException:  # Ctrl-C: stop the container (if still there) before cleaning up
            with contextlib.suppress(ProcessLookupError, ChildProcessError):
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            raise
        print("--- back on the host ---")
        print(f"The container exited with code {code}; removing its cgroup and root filesystem.")
        return 0 if code == 0 else 1
    finally:  # on success, failure or Ctrl-C
        for path in cgroup:
            remove_cgroup(path)
        shutil.rmtree(workdir)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # clean up on `kill` as on Ctrl-C
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("mini_container: interrupted; cleaned up", file=sys.stderr)
        sys.exit(130)
