#!/usr/bin/env python3
"""What a container sees: the host's totals, not its own limits.

We put a process in a cgroup with a memory limit and a CPU quota, the two
limits `docker run --memory 64m --cpus 0.5` sets. Asked the usual way
(/proc/meminfo, which `free` and `top` read; os.cpu_count(); its CPU
affinity), it still sees the whole host. Its limits are in its cgroup's own
files, which a program must look up to size itself to the container. The
quota still acts: a busy loop gets half a CPU. Works on cgroup v2 and v1.

Run it: sudo python3 scripts/what_it_sees.py
(Linux, Python 3.11+, standard library only)
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

LAB = "what_it_sees"

MIB = 1024 * 1024
MEMORY_LIMIT = 64 * MIB
QUOTA_US, PERIOD_US = 50_000, 100_000  # 50 ms of CPU time per 100 ms
BUSY_SECONDS = 1.0
PR_SET_PDEATHSIG = 1
libc = ctypes.CDLL(None, use_errno=True)


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


# --8<-- [start:find]
def own_cgroups(mountinfo: str, self_cgroup: str) -> tuple[int, dict] | str:
    """(cgroup version, {controller: (where its tree is mounted, our own
    cgroup's directory)}), or why not. Reads the text of /proc/self/mountinfo
    and /proc/self/cgroup: this is how a program finds its own limits."""
    # /proc/self/cgroup: "0::/path" on v2; "4:memory:/path" per v1 tree.
    paths = {}
    for line in self_cgroup.splitlines():
        _, controllers, path = line.split(":", 2)
        for controller in controllers.split(",") if controllers else [""]:
            paths[controller] = path
    v1, v2 = {}, None
    for line in mountinfo.splitlines():
        fields = line.split()
        fstype, _, options = fields[fields.index("-") + 1 :][:3]
        # The part of the tree mounted (not all of it in a container), and
        # where: fields 4 and 5.
        mount = (fields[3], Path(fields[4]))
        if fstype == "cgroup2":
            v2 = mount
        elif fstype == "cgroup":
            for controller in {"memory", "cpu"} & set(options.split(",")):
                v1[controller] = mount
    wanted = {"memory", "cpu"}
    if v2 and wanted <= set((v2[1] / "cgroup.controllers").read_text().split()):
        enabled = v2[1] / "cgroup.subtree_control"
        if not wanted <= set(enabled.read_text().split()):
            return f"memory and cpu are not enabled in {enabled}"
        root, point = v2
        own = point / os.path.relpath(paths[""], root)
        return 2, dict.fromkeys(wanted, (point, own))
    if wanted <= v1.keys():
        found = {}
        for controller, (root, point) in v1.items():
            own = point / os.path.relpath(paths[controller], root)
            found[controller] = (point, own)
        return 1, found
    return "no cgroup memory and cpu controllers are mounted (v2 or v1)"


def read_limits(version: int, dirs: dict[str, Path]) -> dict[str, str]:
    """The limit files a runtime reads, as they are named in each version."""
    names = {
        2: {"memory": ["memory.max"], "cpu": ["cpu.max"]},
        1: {
            "memory": ["memory.limit_in_bytes"],
            "cpu": ["cpu.cfs_quota_us", "cpu.cfs_period_us"],
        },
    }[version]
    return {
        name: (dirs[controller] / name).read_text().strip()
        for controller, files in names.items()
        for name in files
    }


def meaning(limits: dict[str, str]) -> tuple[float | None, float | None]:
    """(MiB of memory, CPUs) that the limits allow; None for no limit."""
    memory = limits.get("memory.max") or limits["memory.limit_in_bytes"]
    if "cpu.max" in limits:  # v2: "QUOTA PERIOD", QUOTA "max" for none
        quota, period = limits["cpu.max"].split()
    else:  # v1: a quota of -1 for none
        quota, period = limits["cpu.cfs_quota_us"], limits["cpu.cfs_period_us"]
    # v1 shows "no limit" as a number near 2**63.
    unlimited = memory == "max" or int(memory) >= 2**62
    mib = None if unlimited else int(memory) / MIB
    cpus = None if quota in ("max", "-1") else int(quota) / int(period)
    return mib, cpus


# --8<-- [end:find]


def where(version: int, found: dict, name: str) -> dict[str, Path]:
    """Where cgroup `name` goes. On v2 a cgroup may hold processes or
    children that use controllers, not both, so there we make ours at the
    root of the tree; on v1 we nest under our own cgroup in each tree."""
    return {
        controller: (point if version == 2 else own) / name
        for controller, (point, own) in found.items()
    }


def make_cgroup(version: int, dirs: dict[str, Path]) -> None:
    """mkdir makes a cgroup; writing its files sets the limits."""
    for path in sorted(set(dirs.values())):
        path.mkdir()
    # Besides the quota, the highest CPU weight, so that other work on a
    # busy machine cannot hide the quota: then the quota alone holds us back.
    if version == 2:
        (dirs["memory"] / "memory.max").write_text(str(MEMORY_LIMIT))
        (dirs["cpu"] / "cpu.max").write_text(f"{QUOTA_US} {PERIOD_US}")
        (dirs["cpu"] / "cpu.weight").write_text("10000")
    else:
        (dirs["memory"] / "memory.limit_in_bytes").write_text(str(MEMORY_LIMIT))
        (dirs["cpu"] / "cpu.cfs_period_us").write_text(str(PERIOD_US))
        (dirs["cpu"] / "cpu.cfs_quota_us").write_text(str(QUOTA_US))
        (dirs["cpu"] / "cpu.shares").write_text("262144")


def remove(dirs: dict[str, Path]) -> None:
    """Kill what is left in the cgroup, then rmdir it (which the kernel
    refuses with EBUSY while the cgroup has members)."""
    for _ in range(500):
        for path in set(dirs.values()):
            members = path / "cgroup.procs"
            for pid in members.read_text().split() if path.exists() else []:
                with contextlib.suppress(ProcessLookupError):  # just exited
                    os.kill(int(pid), signal.SIGKILL)
        try:
            for path in set(dirs.values()):
                if path.exists():
                    path.rmdir()
            return
        except OSError:  # EBUSY until the killed processes have left
            time.sleep(0.01)
    raise RuntimeError(f"could not remove {sorted(set(dirs.values()))}")


# --8<-- [start:inside]
def look_around() -> dict[str, object]:
    """In the cgroup: ask what a program usually asks, then find the
    limits; then spin for a second and count the CPU time we got."""
    with open("/proc/meminfo") as f:  # what `free` and `top` read
        meminfo = dict(line.split(":", 1) for line in f)
    nproc = subprocess.run(["nproc"], capture_output=True, text=True).stdout
    version, found = own_cgroups(
        Path("/proc/self/mountinfo").read_text(),
        Path("/proc/self/cgroup").read_text(),
    )
    dirs = {controller: own for controller, (_, own) in found.items()}
    seen = {
        "memtotal_kib": int(meminfo["MemTotal"].split()[0]),
        "cpu_count": os.cpu_count(),
        "affinity": len(os.sched_getaffinity(0)),
        "nproc": int(nproc),
        "limits": read_limits(version, dirs),
    }
    start, cpu = time.monotonic(), time.process_time()
    while time.monotonic() - start < BUSY_SECONDS:
        pass  # as busy as a process can be
    seen["cpu_seconds"] = time.process_time() - cpu
    stat = (dirs["cpu"] / "cpu.stat").read_text().split()
    seen["throttled"] = int(stat[stat.index("nr_throttled") + 1])
    return seen


# --8<-- [end:inside]


def child(dirs: dict[str, Path], report_fd: int, wait_fd: int) -> None:
    """Join the cgroup, report what we see, then wait until the lab is done."""
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # die if the lab dies
    for path in set(dirs.values()):
        (path / "cgroup.procs").write_text(str(os.getpid()))
    os.write(report_fd, json.dumps(look_around()).encode() + b"\n")
    os.read(wait_fd, 1)


def main() -> int:
    if not privileged():
        return refuse("needs Linux and root (CAP_SYS_ADMIN) to create cgroups")
    found = own_cgroups(
        Path("/proc/self/mountinfo").read_text(),
        Path("/proc/self/cgroup").read_text(),
    )
    if isinstance(found, str):
        return refuse(found)
    version, name = found[0], f"lab-what-it-sees-{os.getpid()}"
    dirs = where(version, found[1], name)
    wait_w, pid = None, None
    try:
        make_cgroup(version, dirs)
        report_r, report_w = os.pipe()
        wait_r, wait_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                os.close(report_r)
                os.close(wait_w)
                child(dirs, report_w, wait_r)
                code = 0
            except KeyboardInterrupt:
                code = 130
            except Exception as exc:
                print(f"{LAB}: child failed: {exc}", file=sys.stderr)
            finally:
                os._exit(code)  # never run the parent's cleanup code here
        os.close(report_w)
        os.close(wait_r)
        with os.fdopen(report_r) as pipe:
            line = pipe.readline()
        if not line:
            print(f"{LAB}: the child failed early", file=sys.stderr)
            return 1
        seen = json.loads(line)
        checkpoint("inside")
    finally:  # on success, failure or Ctrl-C: no process, no cgroup left
        if wait_w is not None:
            os.close(wait_w)
        if pid:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
        remove(dirs)
    show(version, name, seen)
    # The claim: the usual answers are the host's, the files hold the limits,
    # and the quota held (within a period or two of slack).
    host = seen["cpu_count"] == os.cpu_count()
    host = host and seen["affinity"] == len(os.sched_getaffinity(0))
    limits = meaning(seen["limits"]) == (
        MEMORY_LIMIT / MIB,
        QUOTA_US / PERIOD_US,
    )
    quota = QUOTA_US / PERIOD_US * BUSY_SECONDS + 2 * QUOTA_US / 1e6
    return 0 if host and limits and seen["cpu_seconds"] <= quota else 1


def show(version: int, name: str, seen: dict) -> None:
    gib = seen["memtotal_kib"] / 2**20
    print(f"cgroup v{version} here. Made the cgroup {name}")
    print("with the limits that `docker run --memory 64m --cpus 0.5` sets:")
    print("64 MiB of memory, 50 ms of CPU time in every 100 ms.")
    print()
    print("A process in it asks how big its machine is, the usual ways:")
    rows = [
        ("/proc/meminfo MemTotal", f"{gib:.1f} GiB", "the host's (free, top)"),
        ("os.cpu_count()", seen["cpu_count"], "the host's CPUs"),
        ("os.sched_getaffinity(0)", seen["affinity"], "CPUs it may use: all"),
        ("nproc", seen["nproc"], "its affinity; GNU nproc 9.8"),
    ]
    for label, value, why in rows:
        print(f"  {label:<24} {value:>9}  {why}")
    print(f"{'':<38}and later honour a v2 quota")
    print()
    print("Its limits are in its own cgroup, which it finds through")
    print("/proc/self/cgroup and /proc/self/mountinfo:")
    for file, value in seen["limits"].items():
        print(f"  {file:<24} {value:>9}")
    mib, cpus = meaning(seen["limits"])
    print(f"  that is {mib:.0f} MiB of memory and {cpus} CPU.")
    print()
    busy, got = BUSY_SECONDS, seen["cpu_seconds"]
    print(f"The quota acts: spinning for {busy:.1f} s got {got:.2f} s of CPU;")
    n = seen["throttled"]
    print(f"in {n} periods the kernel throttled it (cpu.stat nr_throttled).")
    print()
    print("Removed the cgroup. A program that sizes its heap, threads or")
    print("caches from the usual answers sizes itself for the host; one")
    print("that reads its cgroup's files sizes itself for its limits.")


if __name__ == "__main__":
    # Clean up on `kill` (SIGTERM) as on Ctrl-C: both raise KeyboardInterrupt.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print(f"{LAB}: interrupted; cleaned up", file=sys.stderr)
        sys.exit(130)
