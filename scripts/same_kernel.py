#!/usr/bin/env python3
"""Same kernel: a process in new namespaces still runs on the host's kernel.

A child gets its own hostname, PID numbering, mounts and network, then asks
the kernel what it runs on: the answer is the host's kernel, byte for byte.
A container has no kernel of its own; a virtual machine boots one.

Run it: sudo python3 scripts/same_kernel.py
(Linux, Python 3.11+, standard library only)
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import socket
import sys
import time

LAB = "same_kernel"

# From <sched.h> and <sys/mount.h>. Python 3.11 has no os.unshare (3.12 has),
# so we call the C library directly.
CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWPID, CLONE_NEWNET = 0x20000000, 0x40000000
MS_REC, MS_PRIVATE = 0x4000, 0x40000
PR_SET_PDEATHSIG = 1
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


def kernel_facts() -> dict[str, object]:
    with open("/proc/version") as f:
        version = f.read().strip()
    return {
        "hostname": socket.gethostname(),
        "pid": os.getpid(),
        "release": os.uname().release,
        "version": version,
    }


# --8<-- [start:child]
def child(report_fd: int) -> None:
    """In the child: new namespaces, own hostname, own /proc; then report."""
    # If the lab dies, the kernel kills us too.
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    call("unshare", CLONE_NEWUTS | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWNET)
    # Only our new UTS namespace sees this name.
    socket.sethostname("same-kernel-lab")
    # Make every mount private, so what we mount never reaches the host...
    call("mount", None, b"/", None, MS_REC | MS_PRIVATE, None)
    # ...then mount a /proc that belongs to our own PID namespace.
    call("mount", b"proc", b"/proc", b"proc", 0, None)
    checkpoint("inside")
    os.write(report_fd, json.dumps(kernel_facts()).encode())


# --8<-- [end:child]


def main() -> int:
    if not privileged():
        return refuse(
            "needs Linux and root (CAP_SYS_ADMIN) to create namespaces"
        )
    host = kernel_facts()
    read_fd, write_fd = os.pipe()
    # unshare(CLONE_NEWPID) moves no one: it makes our next child PID 1 of
    # a new PID namespace.
    call("unshare", CLONE_NEWPID)
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.close(read_fd)
            child(write_fd)
            code = 0
        except KeyboardInterrupt:
            code = 130
        except Exception as exc:
            print(f"same_kernel: child failed: {exc}", file=sys.stderr)
        finally:
            os._exit(code)  # never run the parent's cleanup code in the child
    os.close(write_fd)
    try:
        with os.fdopen(read_fd) as pipe:
            report = pipe.read()
    finally:  # on success, failure or Ctrl-C: no child outlives the lab
        os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
    if not report:
        code = os.waitstatus_to_exitcode(status)
        print(f"same_kernel: the child failed (code {code})", file=sys.stderr)
        return 1
    inside = json.loads(report)

    print("On the host:")
    print(f"  hostname        {host['hostname']}")
    print(f"  PID             {host['pid']}")
    print(f"  kernel release  {host['release']}")
    print(f"  /proc/version   {host['version']}")
    print()
    print("In a child with new UTS, PID, mount, IPC and network namespaces")
    print("(what runc and crun give a container; on cgroup v2, Docker and")
    print("Podman add a cgroup namespace), after mounting its own /proc:")
    print(f"  hostname        {inside['hostname']:<18} <- its own")
    print(f"  PID             {inside['pid']:<18} <- its own numbering")
    print(f"  kernel release  {inside['release']:<18} <- the host's")
    same_version = inside["version"] == host["version"]
    same = "the same text as the host's" if same_version else "DIFFERENT"
    print(f"  /proc/version   {same}")
    print()
    if inside["release"] != host["release"] or not same_version:
        print("FAILED: the child saw a different kernel.")
        return 1
    print("The namespaces changed what the child sees, not what it runs on:")
    print("one kernel, the host's. A runc or crun container has no kernel")
    print("of its own; a VM (and Kata, which puts one around it) boots one.")
    return 0


if __name__ == "__main__":
    # Clean up on `kill` (SIGTERM) as on Ctrl-C: both raise KeyboardInterrupt.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print(f"{LAB}: interrupted; cleaned up", file=sys.stderr)
        sys.exit(130)
