#!/usr/bin/env python3
"""Seccomp: a filter that refuses system calls before the kernel acts.

One child of the lab tries a few system calls that Docker's default
seccomp profile refuses (unshare, setns, mount, keyctl) and some ordinary
ones: all work, for root. A second child sets no_new_privs and installs a
seccomp-BPF filter, a tiny program the kernel runs on every system call:
it first checks the architecture the call was made for, then answers
EPERM for those four numbers. The same calls now fail; the ordinary ones
still work, and /proc/self/status says "Seccomp: 2". The lab's own process
never has a filter: a filter lasts as long as the process.

Run it: sudo python3 scripts/seccomp_filter.py
(Linux on x86_64 or aarch64, Python 3.11+, standard library only)
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import shutil
import signal
import socket
import struct
import sys
import tempfile
import time
from pathlib import Path

LAB = "seccomp_filter"

# From <sched.h>, <sys/mount.h>, <linux/prctl.h>, <linux/seccomp.h>,
# <linux/filter.h>, <linux/audit.h> and <linux/keyctl.h>.
CLONE_NEWNS, CLONE_NEWUTS = 0x00020000, 0x04000000
MS_REC, MS_PRIVATE = 0x4000, 0x40000
PR_SET_PDEATHSIG, PR_SET_SECCOMP, PR_SET_NO_NEW_PRIVS = 1, 22, 38
SECCOMP_MODE_FILTER = 2
SECCOMP_RET_KILL_PROCESS, SECCOMP_RET_ERRNO = 0x80000000, 0x00050000
SECCOMP_RET_ALLOW = 0x7FFF0000
BPF_LD_W_ABS, BPF_JEQ_K, BPF_JGE_K, BPF_RET_K = 0x20, 0x15, 0x35, 0x06
KEYCTL_GET_KEYRING_ID, KEY_SPEC_PROCESS_KEYRING = 0, -2
# The system call numbers differ between architectures, so the filter
# must first check which one a call was made for (seccomp_data.arch).
ARCHES = {
    # machine: (AUDIT_ARCH_..., {name: number})
    "x86_64": (
        0xC000003E,
        {"unshare": 272, "setns": 308, "mount": 165, "keyctl": 250},
    ),
    "aarch64": (
        0xC00000B7,
        {"unshare": 97, "setns": 268, "mount": 40, "keyctl": 219},
    ),
}
X32_SYSCALL_BIT = 0x40000000  # x86_64's x32 ABI: same arch, other numbers
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


# --8<-- [start:filter]
def bpf(code: int, k: int, jt: int = 0, jf: int = 0) -> bytes:
    """One classic BPF instruction (struct sock_filter)."""
    return struct.pack("HBBI", code, jt, jf, k)


def program(audit_arch: int, refused: list[int], x32: bool) -> list[bytes]:
    """Kill a call made for another architecture; EPERM for `refused`."""
    deny = SECCOMP_RET_ERRNO | errno.EPERM
    prog = [
        bpf(BPF_LD_W_ABS, 4),  # A = seccomp_data.arch
        bpf(BPF_JEQ_K, audit_arch, jt=1),  # ours: skip the next line
        bpf(BPF_RET_K, SECCOMP_RET_KILL_PROCESS),
        bpf(BPF_LD_W_ABS, 0),  # A = seccomp_data.nr
    ]
    if x32:  # x32 numbers would slip past the checks below
        prog.append(bpf(BPF_JGE_K, X32_SYSCALL_BIT, jt=len(refused) + 1))
    for i, nr in enumerate(refused):  # on a match, jump to "deny"
        prog.append(bpf(BPF_JEQ_K, nr, jt=len(refused) - i))
    prog += [bpf(BPF_RET_K, SECCOMP_RET_ALLOW), bpf(BPF_RET_K, deny)]
    return prog


def install(prog: list[bytes]) -> None:
    """no_new_privs first: without CAP_SYS_ADMIN the kernel demands it, so
    that no set-user-ID program can run under a filter it did not expect."""
    call("prctl", PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    filters = ctypes.create_string_buffer(b"".join(prog))
    # struct sock_fprog: an unsigned short count, then a pointer.
    fprog = struct.pack("HP", len(prog), ctypes.addressof(filters))
    call("prctl", PR_SET_SECCOMP, SECCOMP_MODE_FILTER, fprog, 0, 0)


# --8<-- [end:filter]


def attempt(action) -> str:
    """Run an action that may be refused; name its errno, or 'ok'."""
    try:
        action()
    except OSError as exc:
        return errno.errorcode[exc.errno]
    return "ok"


def keyctl() -> None:
    """Ask for this process's keyring (made on demand, gone with us)."""
    nr = ARCHES[os.uname().machine][1]["keyctl"]  # glibc has no keyctl()
    args = (KEYCTL_GET_KEYRING_ID, KEY_SPEC_PROCESS_KEYRING, 1)
    if libc.syscall(ctypes.c_long(nr), *map(ctypes.c_long, args)) < 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


def ordinary(workdir: Path) -> None:
    os.getpid()
    os.uname()
    (workdir / "file").write_text("ordinary\n")
    (workdir / "file").read_text()


def status() -> str:
    fields = dict(
        line.split(":\t", 1)
        for line in Path("/proc/self/status").read_text().splitlines()
    )
    return f"Seccomp: {fields['Seccomp']}, NoNewPrivs: {fields['NoNewPrivs']}"


def tries(workdir: Path) -> dict[str, str]:
    uts = os.open("/proc/self/ns/uts", os.O_RDONLY)
    mnt = bytes(workdir / "mnt")
    try:
        return {
            "unshare": attempt(lambda: call("unshare", CLONE_NEWUTS)),
            "setns": attempt(lambda: call("setns", uts, CLONE_NEWUTS)),
            "mount": attempt(
                lambda: call("mount", b"tmpfs", mnt, b"tmpfs", 0, None)
            ),
            "keyctl": attempt(keyctl),
            "ordinary": attempt(lambda: ordinary(workdir)),
            "status": status(),
        }
    finally:
        os.close(uts)


def child(workdir: Path, filtered: bool) -> dict[str, str]:
    # If the lab dies, the kernel kills us too.
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    # Own UTS and mount namespaces first: whatever succeeds below changes
    # a hostname and mounts that only this process sees.
    call("unshare", CLONE_NEWUTS | CLONE_NEWNS)
    call("mount", None, b"/", None, MS_REC | MS_PRIVATE, None)
    socket.sethostname("seccomp-lab")
    if filtered:
        audit_arch, numbers = ARCHES[os.uname().machine]
        x32 = os.uname().machine == "x86_64"
        install(program(audit_arch, list(numbers.values()), x32))
        checkpoint("filtered")
    return tries(workdir)


def run_child(workdir: Path, filtered: bool) -> dict[str, str]:
    """Run `child` in a process of its own and return what it found."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.close(read_fd)
            os.write(write_fd, json.dumps(child(workdir, filtered)).encode())
            code = 0
        except KeyboardInterrupt:
            code = 130
        except Exception as exc:
            print(f"{LAB}: child failed: {exc}", file=sys.stderr)
        finally:
            os._exit(code)  # never run the parent's cleanup in the child
    os.close(write_fd)
    try:
        with os.fdopen(read_fd) as pipe:
            report = pipe.read()
    finally:  # on success, failure or Ctrl-C: no child outlives the lab
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    if not report:
        raise RuntimeError("the child failed")
    return json.loads(report)


LABELS = {
    "unshare": "unshare(CLONE_NEWUTS)",
    "setns": "setns(its own UTS ns)",
    "mount": "mount a tmpfs",
    "keyctl": "keyctl(its keyring)",
    "ordinary": "getpid, uname, a file",
}


def show(title: str, found: dict[str, str]) -> None:
    print(title)
    for key, label in LABELS.items():
        print(f"  {label:<24}{found[key]}")
    print(f"  {'/proc/self/status':<24}{found['status']}")
    print()


def main() -> int:
    if not privileged():
        return refuse("needs Linux and root (CAP_SYS_ADMIN) to compare")
    machine = os.uname().machine
    if machine not in ARCHES:
        return refuse(
            f"has system call numbers for x86_64 and aarch64, not {machine}"
        )
    workdir = Path(tempfile.mkdtemp(prefix="seccomp-filter-"))
    try:
        (workdir / "mnt").mkdir()
        before = run_child(workdir, filtered=False)
        after = run_child(workdir, filtered=True)
    finally:
        shutil.rmtree(workdir)
    show("Root, in its own UTS and mount namespaces, without a filter:", before)
    arch = f"{machine}, AUDIT_ARCH {ARCHES[machine][0]:#x}"
    show(f"The same, under the filter ({arch}):", after)
    print(f"The lab's own process:    {status()}")
    print()
    if not (
        all(before[key] == "ok" for key in LABELS)
        and all(after[key] == "EPERM" for key in LABELS if key != "ordinary")
        and after["ordinary"] == "ok"
        and after["status"].startswith("Seccomp: 2, NoNewPrivs: 1")
        and status().startswith("Seccomp: 0")
    ):
        print("FAILED: the filter did not decide as expected.")
        return 1
    print("Same root, same capabilities: the filter answered EPERM before the")
    print("kernel looked at the call. Docker's default profile filters every")
    print("container the other way round: it names the calls it allows and")
    print("answers EPERM to all the rest.")
    return 0


if __name__ == "__main__":
    # Clean up on `kill` (SIGTERM) as on Ctrl-C: both raise KeyboardInterrupt.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print(f"{LAB}: interrupted; cleaned up", file=sys.stderr)
        sys.exit(130)
