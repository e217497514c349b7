#!/usr/bin/env python3
"""Limits are cgroups: a container's limits are files the kernel enforces.

We make a cgroup with a memory limit and a pids limit, put two children in it
and let the kernel act: the memory-hungry one is killed by the OOM killer, the
fork bomb is stopped at the limit. The kernel's own counters say what
happened. Works on cgroup v2 (one tree: most current distributions) and v1
(a tree per controller: older systems and some CI machines).

Run it: sudo python3 scripts/cgroup_limits.py
(Linux, Python 3.11+, standard library only)
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path

LAB = "cgroup_limits"

MIB = 1024 * 1024
MEMORY_LIMIT_MIB = 32
PIDS_LIMIT = 16
PR_SET_PDEATHSIG = 1
libc = ctypes.CDLL(None, use_errno=True)


def checkpoint(name: str) -> None:
    """Tests set LAB_FAIL_AT or LAB_PAUSE_AT to break or pause the lab here,
    then check that it cleaned up."""
    if os.environ.get("LAB_FAIL_AT") == name:
        raise RuntimeError(f"failing on purpose at {name!r} (LAB_FAIL_AT)")
    if os.environ.get("LAB_PAUSE_AT") == name:
        print(f"paused at {name!r} (LAB_PAUSE_AT)", file=sys.stderr, flush=True)
        time.sleep(60)


# --8<-- [start:find]
@dataclass
class Cgroup:
    """Our cgroup: one directory on v2; on v1, one in each controller's tree."""

    version: int
    memory: Path  # the directory holding memory.* files
    pids: Path  # the directory holding pids.* files (the same one on v2)

    @property
    def dirs(self) -> list[Path]:
        return sorted({self.memory, self.pids})


def find_cgroup(mountinfo: str, self_cgroup: str, name: str) -> Cgroup | str:
    """Where to make cgroup `name`, or why we cannot. Reads the text of
    /proc/self/mountinfo and /proc/self/cgroup."""
    v2, v1 = None, {}
    for line in mountinfo.splitlines():
        fields = line.split()
        # After the "-": filesystem type, source, super options.
        fstype, _, options = fields[fields.index("-") + 1 :][:3]
        if fstype == "cgroup2":
            v2 = Path(fields[4])
        elif fstype == "cgroup":
            for controller in {"memory", "pids"} & set(options.split(",")):
                v1[controller] = Path(fields[4])
    wanted = {"memory", "pids"}
    if v2 and wanted <= set((v2 / "cgroup.controllers").read_text().split()):
        # v2 forbids processes in a cgroup whose children use controllers,
        # so we cannot nest under our own cgroup. Container runtimes start
        # from the root of the tree, and so do we.
        enabled = v2 / "cgroup.subtree_control"
        if not wanted <= set(enabled.read_text().split()):
            return f"memory and pids are not enabled in {enabled}"
        return Cgroup(2, v2 / name, v2 / name)
    if wanted <= v1.keys():
        # v1 lets a cgroup hold processes and children, so we nest under our
        # own cgroup in each tree: limits we already run under still apply.
        own = {}
        for line in self_cgroup.splitlines():  # e.g. "4:memory:/user.slice"
            _, controllers, path = line.split(":", 2)
            for controller in controllers.split(","):
                own[controller] = path.lstrip("/")
        memory = v1["memory"] / own["memory"] / name
        return Cgroup(1, memory, v1["pids"] / own["pids"] / name)
    return "no cgroup memory and pids controllers are mounted (v2 or v1)"


# --8<-- [end:find]


# --8<-- [start:limits]
def create(cgroup: Cgroup) -> None:
    """mkdir makes a cgroup; writing its files sets the limits."""
    for path in cgroup.dirs:
        path.mkdir()
    limit = str(MEMORY_LIMIT_MIB * MIB)
    if cgroup.version == 2:
        (cgroup.memory / "memory.max").write_text(limit)
        swap = cgroup.memory / "memory.swap.max"
        if swap.exists():
            swap.write_text("0")  # no escaping the limit into swap
    else:
        (cgroup.memory / "memory.limit_in_bytes").write_text(limit)
        if len(Path("/proc/swaps").read_text().splitlines()) > 1:
            # Swap is on: limit memory + swap too.
            memsw = cgroup.memory / "memory.memsw.limit_in_bytes"
            memsw.write_text(limit)
    (cgroup.pids / "pids.max").write_text(str(PIDS_LIMIT))


def join(cgroup: Cgroup) -> None:
    """Move the calling process into the cgroup; its children start in it."""
    for path in cgroup.dirs:
        (path / "cgroup.procs").write_text(str(os.getpid()))


# --8<-- [end:limits]

# The counters we show, as each version names them:
# (file, the key of a "key value" line in it or None, what it counts).
COUNTERS = {
    2: {
        "memory": [
            ("memory.events", "oom_kill", "processes the OOM killer killed"),
            ("memory.events", "max", "times usage reached the limit"),
            ("memory.peak", None, "highest usage in bytes"),
        ],
        "pids": [
            ("pids.current", None, "processes in the cgroup"),
            ("pids.events", "max", "times fork() was refused"),
        ],
    },
    1: {
        "memory": [
            (
                "memory.oom_control",
                "oom_kill",
                "processes the OOM killer killed",
            ),
            ("memory.failcnt", None, "times usage reached the limit"),
            ("memory.max_usage_in_bytes", None, "highest usage in bytes"),
        ],
        "pids": [
            ("pids.current", None, "processes in the cgroup"),
            ("pids.events", "max", "times fork() was refused"),
        ],
    },
}


def counter(path: Path, key: str | None) -> int | None:
    """A number from a cgroup file: the whole file, or one "key value" line."""
    if not path.exists():
        return None  # older kernels lack some (memory.peak came in 5.19)
    text = path.read_text()
    if key is None:
        return int(text)
    lines = (line.split() for line in text.splitlines())
    return next(int(value) for name, value in lines if name == key)


def show_counters(cgroup: Cgroup, controller: str) -> dict[str, int | None]:
    print("   The kernel's own counters:")
    directory = cgroup.memory if controller == "memory" else cgroup.pids
    values = {}
    for file, key, meaning in COUNTERS[cgroup.version][controller]:
        value = values[key or file] = counter(directory / file, key)
        label = f"{file} {key}" if key else file
        shown = "n/a" if value is None else value
        print(f"     {label:<29} {shown:<10} {meaning}")
    return values


def remove(cgroup: Cgroup) -> None:
    """Kill what is left in the cgroup, then rmdir it (which the kernel
    refuses with EBUSY while the cgroup has members)."""
    for _ in range(200):
        for path in cgroup.dirs:
            members = path / "cgroup.procs"
            for pid in members.read_text().split() if path.exists() else []:
                with contextlib.suppress(ProcessLookupError):  # just exited
                    os.kill(int(pid), signal.SIGKILL)
        try:
            for path in cgroup.dirs:
                if path.exists():
                    path.rmdir()
            return
        except OSError:  # EBUSY until the killed processes have left
            time.sleep(0.01)
    raise RuntimeError(f"could not remove {cgroup.dirs}")


def in_child(work, *args: object, close: tuple[int, ...] = ()) -> int:
    """Fork; the child closes `close`, runs work(*args) and exits."""
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            # A pipe reports end-of-file only once every copy of its write
            # end is closed, including the copies a fork hands out.
            for fd in close:
                os.close(fd)
            # If the lab dies, the kernel kills us too.
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
            work(*args)
            code = 0
        except KeyboardInterrupt:
            code = 130
        except Exception as exc:
            print(f"cgroup_limits: child failed: {exc}", file=sys.stderr)
        finally:
            os._exit(code)  # never run the parent's cleanup code in the child
    return pid


# --8<-- [start:children]
def eat_memory(cgroup: Cgroup, report_fd: int) -> None:
    join(cgroup)
    hoard = []
    for _ in range(4 * MEMORY_LIMIT_MIB):  # stop if the limit failed to act
        # b"x" * n writes every byte, so the memory is really used.
        hoard.append(b"x" * MIB)
        os.write(report_fd, b".")  # one byte per MiB, for the parent


def fork_bomb(cgroup: Cgroup, report_fd: int, wait_fd: int) -> None:
    join(cgroup)
    forked, error = 0, "none"
    try:
        while forked < 10 * PIDS_LIMIT:  # stop if the limit failed to act
            if os.fork() == 0:
                # A new process: it waits until the lab closes the pipe.
                try:
                    os.close(report_fd)
                    os.read(wait_fd, 1)
                finally:
                    os._exit(0)
            forked += 1
    except BlockingIOError as exc:  # fork() failed with EAGAIN: the limit
        error = exc.strerror
    os.write(report_fd, f"{forked} {error}\n".encode())
    os.read(wait_fd, 1)  # stay alive while the parent reads the counters


# --8<-- [end:children]


def read_all(fd: int) -> bytes:
    with os.fdopen(fd, "rb") as pipe:
        return pipe.read()


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


def main() -> int:
    if not privileged():
        return refuse("needs Linux and root (CAP_SYS_ADMIN) to create cgroups")
    name = f"lab-cgroup-limits-{os.getpid()}"
    mountinfo = Path("/proc/self/mountinfo").read_text()
    cgroup = find_cgroup(mountinfo, Path("/proc/self/cgroup").read_text(), name)
    if isinstance(cgroup, str):
        return refuse(cgroup)
    if cgroup.version == 2:
        print(f"cgroup v2 here: one tree at {cgroup.memory.parent}.")
    else:
        print("cgroup v1 here: a tree per controller (memory, pids, ...).")
    mib, most = MEMORY_LIMIT_MIB, PIDS_LIMIT
    print(f"Made the cgroup {name}.")
    print(f"Its limits: {mib} MiB of memory (no swap), {most} processes.")
    print()
    create(cgroup)
    wait_w = None
    try:
        checkpoint("created")
        print("1. A child in the cgroup allocates memory, 1 MiB at a time.")
        report_r, report_w = os.pipe()
        pid = in_child(eat_memory, cgroup, report_w, close=(report_r,))
        os.close(report_w)
        allocated = len(read_all(report_r))
        _, status = os.waitpid(pid, 0)
        killed = os.WIFSIGNALED(status)
        killed = killed and os.WTERMSIG(status) == signal.SIGKILL
        how = "killed by SIGKILL" if killed else f"not killed ({status})"
        print(f"   It was {how} after allocating about {allocated} MiB.")
        memory = show_counters(cgroup, "memory")
        print()

        print("2. A child in the cgroup forks as fast as it can: a fork bomb.")
        report_r, report_w = os.pipe()
        wait_r, wait_w = os.pipe()
        close = (report_r, wait_w)
        pid = in_child(fork_bomb, cgroup, report_w, wait_r, close=close)
        os.close(report_w)
        os.close(wait_r)
        with os.fdopen(report_r) as pipe:
            forked, error = pipe.readline().strip().split(" ", 1)
        print(f"   fork() failed after {forked} new processes: {error}.")
        checkpoint("forked")
        pids = show_counters(cgroup, "pids")
        # Every process of the bomb waits on this pipe: closing it ends them.
        os.close(wait_w)
        wait_w = None
        os.waitpid(pid, 0)
    finally:  # on success, failure or Ctrl-C: no process, no cgroup left
        if wait_w is not None:
            os.close(wait_w)
        remove(cgroup)
    print()
    print("Removed the cgroup. The limits were never part of a container:")
    print("they are cgroup files that the kernel enforces on whatever")
    print("processes you put in the cgroup.")
    oom_killed = (memory["oom_kill"] or 0) >= 1
    # The bomb itself is the 16th process in the cgroup.
    stopped = (pids["max"] or 0) >= 1 and int(forked) == PIDS_LIMIT - 1
    return 0 if killed and oom_killed and stopped else 1


if __name__ == "__main__":
    # Clean up on `kill` (SIGTERM) as on Ctrl-C: both raise KeyboardInterrupt.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print(f"{LAB}: interrupted; cleaned up", file=sys.stderr)
        sys.exit(130)
