#!/usr/bin/env python3
"""Just a process: a container is a process the kernel shows a smaller world.

A child starts in new UTS, PID and mount namespaces. Inside, it is PID 1 with
its own hostname and its own /proc. From the host it is a plain entry in
/proc with a normal PID: its NSpid line shows both numbers, its /proc/PID/ns
links differ from the host's, and the host stops it with a signal like any
other process.

Run it: sudo python3 scripts/just_a_process.py
(Linux, Python 3.11+, standard library only)
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import socket
import sys
import time

LAB = "just_a_process"

# From <sched.h> and <sys/mount.h>. Python 3.11 has no os.unshare (3.12 has),
# so we call the C library directly.
CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWPID = 0x00020000, 0x04000000, 0x20000000
MS_REC, MS_PRIVATE = 0x4000, 0x40000
PR_SET_PDEATHSIG = 1
NAMESPACES = ["mnt", "pid", "uts", "cgroup", "ipc", "net", "time", "user"]
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


# --8<-- [start:inside]
def child(report_fd: int, wait_fd: int) -> None:
    """Inside: own hostname, own /proc; report, then wait for the host."""
    # If the lab dies, the kernel kills us too.
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    # Forget the SIGTERM handler inherited from the lab: the host's SIGTERM
    # below must meet a PID 1 with no handler of its own.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    call("unshare", CLONE_NEWUTS | CLONE_NEWNS)
    socket.sethostname("just-a-process")
    # Make every mount private, so what we mount never reaches the host...
    call("mount", None, b"/", None, MS_REC | MS_PRIVATE, None)
    # ...then mount a /proc that lists our own PID namespace only.
    call("mount", b"proc", b"/proc", b"proc", 0, None)
    pids = sorted(int(name) for name in os.listdir("/proc") if name.isdigit())
    seen = {"pid": os.getpid(), "hostname": socket.gethostname(), "pids": pids}
    os.write(report_fd, json.dumps(seen).encode() + b"\n")
    # Block until the host is done with us (SIGTERM will not end this).
    os.read(wait_fd, 1)


# --8<-- [end:inside]


# --8<-- [start:outside]
def look_from_host(pid: int) -> None:
    """Outside: the same process, seen through the host's /proc."""
    with open(f"/proc/{pid}/status") as f:
        status = dict(line.split(":", 1) for line in f)
    parent, nspid = status["PPid"].strip(), " ".join(status["NSpid"].split())
    print("Outside, the host sees an ordinary process:")
    print(f"  /proc/{pid}  exists: PID {pid}, child of PID {parent} (the lab)")
    print(f"  NSpid        {nspid}  (its PID on the host, then inside)")
    print(f"  hostname     {socket.gethostname()}  (the host's, unchanged)")
    print(f"  namespaces, /proc/{pid}/ns/* against the host's /proc/self/ns/*:")
    for ns in NAMESPACES:
        if not os.path.exists(f"/proc/self/ns/{ns}"):
            continue  # an older kernel without this kind of namespace
        theirs = os.readlink(f"/proc/{pid}/ns/{ns}")
        ours = os.readlink(f"/proc/self/ns/{ns}")
        verdict = "NEW" if theirs != ours else "shared with the host"
        print(f"    {ns:<7} {theirs:<20} {verdict}")


# --8<-- [end:outside]


def main() -> int:
    if not privileged():
        return refuse(
            "needs Linux and root (CAP_SYS_ADMIN) to create namespaces"
        )
    report_r, report_w = os.pipe()
    wait_r, wait_w = os.pipe()
    # unshare(CLONE_NEWPID) moves no one: it makes our next child PID 1 of
    # a new PID namespace.
    call("unshare", CLONE_NEWPID)
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.close(report_r)
            os.close(wait_w)
            child(report_w, wait_r)
            code = 0
        except KeyboardInterrupt:
            code = 130
        except Exception as exc:
            print(f"just_a_process: child failed: {exc}", file=sys.stderr)
        finally:
            os._exit(code)  # never run the parent's cleanup code in the child
    os.close(report_w)
    os.close(wait_r)
    reaped = False
    try:
        with os.fdopen(report_r) as pipe:
            line = pipe.readline()
        if not line:
            print("just_a_process: the child failed early", file=sys.stderr)
            return 1
        inside = json.loads(line)
        pids = " ".join(map(str, inside["pids"]))
        print("Started a child in new UTS, PID and mount namespaces;")
        print("it mounted a /proc of its own.")
        print()
        print("Inside, the child sees:")
        print(f"  its PID            {inside['pid']}")
        print(f"  its hostname       {inside['hostname']}")
        print(f"  PIDs in its /proc  {pids}  (only itself)")
        print()
        look_from_host(pid)
        checkpoint("outside")
        print()
        # --8<-- [start:stop]
        print("The host stops it as it would stop any process:")
        os.kill(pid, signal.SIGTERM)
        time.sleep(0.5)  # plenty: a signal that kills does so at once
        exited, status = os.waitpid(pid, os.WNOHANG)
        ignored_term = exited == 0
        if ignored_term:
            print("  SIGTERM  still running: the kernel drops signals sent to")
            print("           a namespace's PID 1 unless it has a handler,")
            print("           which is why `docker stop` waits 10 s")
            os.kill(pid, signal.SIGKILL)
            _, status = os.waitpid(pid, 0)
            print("  SIGKILL  gone: no process can ignore it, PID 1 included")
        reaped = True
        # --8<-- [end:stop]
        killed = os.WIFSIGNALED(status)
        killed = killed and os.WTERMSIG(status) == signal.SIGKILL
        inside_ok = inside["pid"] == 1 and inside["pids"] == [1]
        print()
        print("One process, two views: a container is a process that the host")
        print("can list, inspect and kill.")
        return 0 if ignored_term and killed and inside_ok else 1
    finally:  # on success, failure or Ctrl-C: no child outlives the lab
        os.close(wait_w)
        if not reaped:
            with contextlib.suppress(ProcessLookupError, ChildProcessError):
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)


if __name__ == "__main__":
    # Clean up on `kill` (SIGTERM) as on Ctrl-C: both raise KeyboardInterrupt.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print(f"{LAB}: interrupted; cleaned up", file=sys.stderr)
        sys.exit(130)
