#!/usr/bin/env python3
"""Root in here, nobody out there: a user namespace, made without sudo.

A child puts itself in a new user namespace and maps its own user ID to 0
there: inside it is root, with every capability; outside it is still the
reader, so a file it makes belongs to the reader. That root may change a
hostname and mount a file system in namespaces it owns itself, and nothing
the host owns: not the host's hostname, not /etc/shadow, not the kernel's
modules. Rootless Podman and Docker start their containers this way.

Run it: python3 scripts/user_namespace.py
(as yourself: no sudo. Linux, Python 3.11+, standard library only. Run as
root, it first becomes nobody, UID 65534: root's own UID mapped inside would
still be root outside.)
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
import time
from pathlib import Path

LAB = "user_namespace"

# From <sched.h> and <sys/mount.h>. Python 3.11 has no os.unshare (3.12 has),
# so we call the C library directly.
CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWUSER = 0x00020000, 0x04000000, 0x10000000
MS_REC, MS_PRIVATE = 0x4000, 0x40000
PR_SET_PDEATHSIG, PR_SET_DUMPABLE = 1, 4
NOBODY = 65534
libc = ctypes.CDLL(None, use_errno=True)


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


def blocked(why: str) -> int:
    """One line on stderr: why user namespaces are unavailable; exit code 2.
    (Not the root labs' refuse(): this lab needs no sudo.)"""
    print(f"{LAB}: {why}; then run: python3 scripts/{LAB}.py", file=sys.stderr)
    return 2


def sysctl(path: str) -> str | None:
    try:
        return Path("/proc/sys", path).read_text().strip()
    except OSError:  # this kernel has no such setting
        return None


def restriction(read=sysctl) -> str | None:
    """The setting that keeps an unprivileged user out of user namespaces,
    said with what rootless engines do about it; None if there is none."""
    if read("user/max_user_namespaces") == "0":
        return (
            "user namespaces are off (user.max_user_namespaces = 0); rootless"
            " Podman and Docker need it above 0: sysctl"
            " user.max_user_namespaces=15000"
        )
    if read("kernel/unprivileged_userns_clone") == "0":
        return (
            "Debian's switch keeps unprivileged users out of user namespaces"
            " (kernel.unprivileged_userns_clone = 0); rootless Podman and"
            " Docker need it on: sysctl kernel.unprivileged_userns_clone=1"
        )
    if read("kernel/apparmor_restrict_unprivileged_userns") == "1":
        return (
            "AppArmor restricts unprivileged user namespaces here"
            " (kernel.apparmor_restrict_unprivileged_userns = 1, Ubuntu 23.10"
            " and later); rootless Podman and Docker need an AppArmor profile"
            " with a userns rule for the program that makes the namespace"
            " (Docker's rootless guide gives one for rootlesskit), and python3"
            " has none: for this lab, sysctl"
            " kernel.apparmor_restrict_unprivileged_userns=0"
        )
    return None


def cap_eff() -> int:
    with open("/proc/self/status") as f:
        return int(f.read().split("CapEff:")[1].split()[0], 16)


def attempt(name: str, *args: object) -> str:
    """Try a libc call we expect the kernel to refuse; name its errno."""
    try:
        call(name, *args)
    except OSError as exc:
        return errno.errorcode[exc.errno]
    return "allowed"


# --8<-- [start:inside]
def enter_user_namespace() -> None:
    """Become root in a new user namespace: map our own UID and GID to 0."""
    uid, gid = os.geteuid(), os.getegid()
    call("unshare", CLONE_NEWUSER)
    # An unprivileged process may map its own IDs, one each, and nothing
    # else; for the GID, only after giving up setgroups(2).
    Path("/proc/self/uid_map").write_text(f"0 {uid} 1")
    Path("/proc/self/setgroups").write_text("deny")
    Path("/proc/self/gid_map").write_text(f"0 {gid} 1")


def inside(workdir: Path) -> dict[str, object]:
    """What root in our own user namespace may and may not do."""
    facts: dict[str, object] = {"uid": os.getuid(), "gid": os.getgid()}
    facts["uid_map"] = Path("/proc/self/uid_map").read_text().split()
    facts["caps"] = bin(cap_eff()).count("1")
    (workdir / "made-by-root").write_text("hello\n")
    facts["owner_inside"] = (workdir / "made-by-root").stat().st_uid
    # The host's UTS namespace belongs to the host's user namespace, where
    # we hold no capability, whatever CapEff says here.
    facts["host_hostname"] = attempt("sethostname", b"root-in-here", 12)
    facts["shadow"] = "opened"
    try:
        open("/etc/shadow").close()
    except OSError as exc:
        facts["shadow"] = errno.errorcode[exc.errno]
    # Loading a module needs CAP_SYS_MODULE in the host's user namespace.
    facts["module"] = attempt("init_module", None, 0, b"")
    # New UTS and mount namespaces are owned by our user namespace: there
    # our root is root.
    call("unshare", CLONE_NEWUTS | CLONE_NEWNS)
    socket.sethostname("root-in-here")
    facts["hostname"] = socket.gethostname()
    call("mount", None, b"/", None, MS_REC | MS_PRIVATE, None)
    call("mount", b"tmpfs", bytes(workdir / "mnt"), b"tmpfs", 0, None)
    (workdir / "mnt" / "on-tmpfs").write_text("only here\n")
    facts["mounted"] = sorted(os.listdir(workdir / "mnt"))
    checkpoint("inside")
    return facts


# --8<-- [end:inside]


def child(workdir: Path, report_fd: int, done_fd: int) -> None:
    """Report what we found inside, then wait while the lab looks from
    outside (our namespaces, and the tmpfs, live as long as we do)."""
    if os.geteuid() == 0:
        os.setgroups([])
        os.setgid(NOBODY)
        os.setuid(NOBODY)
        # A process that changed its UIDs is not dumpable: its /proc/self
        # files then belong to root, and nobody could write its uid_map.
        libc.prctl(PR_SET_DUMPABLE, 1)
    caps_before = bin(cap_eff()).count("1")
    try:
        enter_user_namespace()
    except OSError as exc:  # e.g. a seccomp profile refusing unshare(2)
        why = f"the kernel refused a user namespace ({exc})"
        os.write(report_fd, json.dumps({"blocked": why}).encode() + b"\n")
        return
    # If the lab dies, the kernel kills us too (set after the changes of
    # credentials above, which clear it).
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    facts = {"caps_before": caps_before, **inside(workdir)}
    os.write(report_fd, json.dumps(facts).encode() + b"\n")
    os.read(done_fd, 1)


def show(facts: dict, outside: dict) -> None:
    uid, gid = outside["uid"], outside["gid"]
    print(f"Outside: uid {uid}, gid {gid}, {facts['caps_before']} capabilities")
    print()
    print("In a new user namespace, with our own IDs mapped to 0:")
    ids = f"uid={facts['uid']} gid={facts['gid']}"
    print(f"  id                   {ids:<22} <- root, here")
    inner, outer, count = facts["uid_map"]
    uid_map = f"{inner} {outer} {count}"
    print(f"  /proc/self/uid_map   {uid_map:<22} <- 0 here is {outer} outside")
    caps = f"{facts['caps']} (CapEff)"
    print(f"  capabilities         {caps:<22} <- all, in this namespace")
    owners = f"owner {facts['owner_inside']} here, {outside['owner']} outside"
    print(f"  a file it made       {owners}")
    print()
    print("What this root may do, in namespaces its user namespace owns:")
    print(f"  sethostname in a new UTS namespace   ok, {facts['hostname']}")
    print(f"    (the host's hostname is still {outside['hostname']})")
    mounted = ", ".join(facts["mounted"])
    print(f"  mount a tmpfs in a new mount ns      ok, it holds {mounted}")
    print(f"    (outside, that directory holds: {outside['mnt'] or 'nothing'})")
    print("What it may not do, to what the host owns:")
    print(f"  sethostname in the host's UTS ns     {facts['host_hostname']}")
    print(f"  open /etc/shadow                     {facts['shadow']}")
    module = facts["module"]
    if module == "ENOSYS":
        module += " (no module support in this kernel)"
    print(f"  load a kernel module (init_module)   {module}")


def held(facts: dict, outside: dict) -> bool:
    return (
        facts["uid"] == 0
        and facts["owner_inside"] == 0
        and outside["owner"] == outside["uid"]
        and facts["hostname"] == "root-in-here"
        and outside["hostname"] != "root-in-here"
        and facts["mounted"] == ["on-tmpfs"]
        and outside["mnt"] == []
        and facts["host_hostname"] == "EPERM"
        and facts["shadow"] in ("EACCES", "EPERM")
        and facts["module"] in ("EPERM", "ENOSYS")
    )


def main() -> int:
    if sys.platform != "linux":
        return blocked("user namespaces are a Linux feature")
    if why := restriction():
        return blocked(why)
    workdir = Path(tempfile.mkdtemp(prefix="user-namespace-"))
    pid = None
    try:
        (workdir / "mnt").mkdir()
        if os.geteuid() == 0:  # nobody must be able to write here
            for path in (workdir, workdir / "mnt"):
                os.chown(path, NOBODY, NOBODY)
        report_r, report_w = os.pipe()
        done_r, done_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                os.close(report_r)
                os.close(done_w)
                child(workdir, report_w, done_r)
                code = 0
            except KeyboardInterrupt:
                code = 130
            except Exception as exc:
                print(f"{LAB}: child failed: {exc}", file=sys.stderr)
            finally:
                os._exit(code)  # never run the parent's cleanup in the child
        os.close(report_w)
        os.close(done_r)
        with os.fdopen(report_r) as pipe:
            report = pipe.readline()
        if not report:
            print(f"{LAB}: the child failed", file=sys.stderr)
            return 1
        facts = json.loads(report)
        if "blocked" in facts:
            return blocked(facts["blocked"])
        # Looked at from outside while the child still lives.
        outside = {
            "uid": NOBODY if os.geteuid() == 0 else os.geteuid(),
            "gid": NOBODY if os.geteuid() == 0 else os.getegid(),
            "owner": (workdir / "made-by-root").stat().st_uid,
            "hostname": socket.gethostname(),
            "mnt": sorted(os.listdir(workdir / "mnt")),
        }
        os.close(done_w)
    finally:  # on success, failure or Ctrl-C: no child, no files left
        if pid:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        shutil.rmtree(workdir)
    if os.geteuid() == 0:
        print(f"Running as root: the lab does its work as nobody ({NOBODY}).")
    show(facts, outside)
    print()
    if not held(facts, outside):
        print("FAILED: root in the user namespace was not what we expected.")
        return 1
    print("Root in a user namespace is root over what that namespace owns:")
    print("its own hostname, its own mounts. Over everything else it is the")
    print(f"user who made it, here UID {outside['uid']}.")
    return 0


if __name__ == "__main__":
    # Clean up on `kill` (SIGTERM) as on Ctrl-C: both raise KeyboardInterrupt.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print(f"{LAB}: interrupted; cleaned up", file=sys.stderr)
        sys.exit(130)
