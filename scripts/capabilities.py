#!/usr/bin/env python3
"""Capabilities: root without them is a UID of 0 and little else.

A child of the lab, still UID 0, first drops CAP_SYS_ADMIN, then every
capability outside Docker's default set, from its bounding, effective and
permitted sets. After each step it decodes CapEff from /proc/self/status
into names and tries mount(2) and sethostname(2): both fail with EPERM,
while what Docker's set allows (chown, for one) still works.

Run it: sudo python3 scripts/capabilities.py
(Linux, Python 3.11+, standard library only)
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import shutil
import signal
import socket
import sys
import tempfile
import textwrap
import time
from pathlib import Path

LAB = "capabilities"

# From <sched.h>, <sys/mount.h>, <linux/prctl.h> and <linux/capability.h>.
CLONE_NEWNS, CLONE_NEWUTS = 0x00020000, 0x04000000
MS_REC, MS_PRIVATE = 0x4000, 0x40000
PR_SET_PDEATHSIG, PR_CAPBSET_DROP = 1, 24
LINUX_CAPABILITY_VERSION_3 = 0x20080522
# Bit n of CapEff is capability n; names as in <linux/capability.h>.
# fmt: off
NAMES = [
    "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL",
    "SETGID", "SETUID", "SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE",
    "NET_BROADCAST", "NET_ADMIN", "NET_RAW", "IPC_LOCK", "IPC_OWNER",
    "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT",
    "SYS_ADMIN", "SYS_BOOT", "SYS_NICE", "SYS_RESOURCE", "SYS_TIME",
    "SYS_TTY_CONFIG", "MKNOD", "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL",
    "SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "WAKE_ALARM",
    "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF", "CHECKPOINT_RESTORE",
]
# Docker's default set, as moby lists it in daemon/pkg/oci/caps/defaults.go
# (github.com/moby/moby, commit b985e2313a8676e18072b442911fc8f64f17d440).
DOCKER_DEFAULT = [
    "CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "MKNOD", "NET_RAW", "SETGID",
    "SETUID", "SETFCAP", "SETPCAP", "NET_BIND_SERVICE", "SYS_CHROOT", "KILL",
    "AUDIT_WRITE",
]
# fmt: on
CAP_SYS_ADMIN = NAMES.index("SYS_ADMIN")
libc = ctypes.CDLL(None, use_errno=True)


def call(name: str, *args: object) -> None:
    """Call a libc function; turn its -1 and errno into an OSError naming it."""
    if getattr(libc, name)(*args) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{name}: {os.strerror(err)}")


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


def checkpoint(name: str) -> None:
    """Tests set LAB_FAIL_AT or LAB_PAUSE_AT to break or pause the lab here,
    then check that it cleaned up."""
    if os.environ.get("LAB_FAIL_AT") == name:
        raise RuntimeError(f"failing on purpose at {name!r} (LAB_FAIL_AT)")
    if os.environ.get("LAB_PAUSE_AT") == name:
        print(f"paused at {name!r} (LAB_PAUSE_AT)", file=sys.stderr, flush=True)
        time.sleep(60)


def status(field: str) -> int:
    """A capability set from /proc/self/status, as an integer."""
    with open("/proc/self/status") as f:
        return int(f.read().split(f"{field}:")[1].split()[0], 16)


def names(caps: int) -> list[str]:
    return [name for bit, name in enumerate(NAMES) if caps >> bit & 1]


# --8<-- [start:drop]
class CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class CapData(ctypes.Structure):
    _fields_ = [(n, ctypes.c_uint32) for n in ("eff", "prm", "inh")]


def keep_only(keep: set[int]) -> None:
    """Drop every capability not in `keep` from the bounding set (so no
    program we run can get it back), then from the effective, permitted
    and inheritable sets. Our UID stays 0 throughout."""
    last = int(Path("/proc/sys/kernel/cap_last_cap").read_text())
    for cap in range(last + 1):
        if cap not in keep:  # needs CAP_SETPCAP: both sets here keep it
            call("prctl", PR_CAPBSET_DROP, cap, 0, 0, 0)
    mask = sum(1 << cap for cap in keep)
    data = (CapData * 2)()  # 64 bits of each set, as two 32-bit halves
    for half in (0, 1):
        bits = mask >> (32 * half) & 0xFFFFFFFF
        data[half].eff = data[half].prm = bits
    call("capset", ctypes.byref(CapHeader(LINUX_CAPABILITY_VERSION_3)), data)


# --8<-- [end:drop]


def attempt(action) -> str:
    """Run an action that may be refused; name its errno, or 'ok'."""
    try:
        action()
    except OSError as exc:
        return errno.errorcode[exc.errno]
    return "ok"


def tries(workdir: Path) -> dict[str, object]:
    """What a process can still do, and who it is."""

    def mount() -> None:
        call("mount", b"tmpfs", bytes(workdir / "mnt"), b"tmpfs", 0, None)
        call("umount2", bytes(workdir / "mnt"), 0)

    return {
        "uid": os.getuid(),
        "eff": status("CapEff"),
        "bnd": status("CapBnd"),
        "mount": attempt(mount),
        "sethostname": attempt(lambda: socket.sethostname("capabilities")),
        "chown": attempt(lambda: os.chown(workdir / "file", 1000, 1000)),
    }


def child(workdir: Path) -> list[dict[str, object]]:
    """Three looks at one root process: as it starts, without
    CAP_SYS_ADMIN, and with Docker's default set only."""
    # If the lab dies, the kernel kills us too.
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    # Own UTS and mount namespaces first: whatever succeeds below changes
    # a hostname and mounts that only this process sees.
    call("unshare", CLONE_NEWUTS | CLONE_NEWNS)
    call("mount", None, b"/", None, MS_REC | MS_PRIVATE, None)
    looks = [tries(workdir)]
    # What we hold: a capset may drop capabilities, never add one.
    held = {cap for cap in range(64) if status("CapPrm") >> cap & 1}
    keep_only(held - {CAP_SYS_ADMIN})
    looks.append(tries(workdir))
    keep_only(held & {NAMES.index(name) for name in DOCKER_DEFAULT})
    checkpoint("dropped")
    looks.append(tries(workdir))
    return looks


def show(look: dict, title: str, listed: str) -> None:
    eff = look["eff"]
    print(title)
    print(f"  uid           {look['uid']}")
    print(f"  CapEff        {eff:016x}, {len(names(eff))} capabilities:")
    print(
        textwrap.fill(
            listed, 76, initial_indent=" " * 4, subsequent_indent=" " * 4
        )
    )
    bnd = "the same" if look["bnd"] == eff else f"{look['bnd']:016x}"
    print(f"  CapBnd        {bnd}")
    for action, label in [
        ("mount", "mount a tmpfs"),
        ("sethostname", "sethostname"),
        ("chown", "chown a file"),
    ]:
        print(f"  {label:<14}{look[action]}")
    print()


def but(caps: int) -> str:
    """The capabilities this kernel has that `caps` lacks, in words."""
    last = int(Path("/proc/sys/kernel/cap_last_cap").read_text())
    missing = [NAMES[cap] for cap in range(last + 1) if not caps >> cap & 1]
    return "all this kernel has" + (
        f" but {' '.join(missing)}" if missing else ""
    )


def main() -> int:
    if not privileged():
        return refuse("needs Linux and root (CAP_SYS_ADMIN) to drop it")
    workdir = Path(tempfile.mkdtemp(prefix="capabilities-"))
    read_fd, write_fd = os.pipe()
    pid = None
    try:
        (workdir / "mnt").mkdir()
        (workdir / "file").write_text("owned by root, for now\n")
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                os.close(read_fd)
                os.write(write_fd, json.dumps(child(workdir)).encode())
                code = 0
            except KeyboardInterrupt:
                code = 130
            except Exception as exc:
                print(f"{LAB}: child failed: {exc}", file=sys.stderr)
            finally:
                os._exit(code)  # never run the parent's cleanup in the child
        os.close(write_fd)
        with os.fdopen(read_fd) as pipe:
            report = pipe.read()
    finally:  # on success, failure or Ctrl-C: no child, no files left
        if pid:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        shutil.rmtree(workdir)
    if not report:
        print(f"{LAB}: the child failed", file=sys.stderr)
        return 1
    start, no_admin, docker = json.loads(report)
    title = "Root as the lab starts (in its own UTS and mount namespaces):"
    show(start, title, but(start["eff"]))
    title = "1. Without CAP_SYS_ADMIN (prctl PR_CAPBSET_DROP, then capset):"
    show(no_admin, title, but(no_admin["eff"]))
    listed = "Docker's: " + " ".join(names(docker["eff"]))
    show(docker, "2. With Docker's default set only:", listed)
    if not (
        start["mount"] == start["sethostname"] == "ok"
        and no_admin["mount"] == no_admin["sethostname"] == "EPERM"
        and docker["mount"] == docker["sethostname"] == "EPERM"
        and docker["chown"] == "ok"
        and names(docker["eff"]) == sorted(DOCKER_DEFAULT, key=NAMES.index)
        and start["uid"] == no_admin["uid"] == docker["uid"] == 0
    ):
        print("FAILED: the capabilities did not decide as expected.")
        return 1
    print("Still UID 0 throughout: the kernel asked for a capability, not for")
    print("root. Without CAP_SYS_ADMIN, mount and sethostname fail with EPERM;")
    print("CAP_CHOWN, in Docker's set, still lets this root chown a file.")
    return 0


if __name__ == "__main__":
    # Clean up on `kill` (SIGTERM) as on Ctrl-C: both raise KeyboardInterrupt.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print(f"{LAB}: interrupted; cleaned up", file=sys.stderr)
        sys.exit(130)
