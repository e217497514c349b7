#!/usr/bin/env python3
"""Volumes outlive containers: back up the volume, not the container.

A container's filesystem is an overlay: the image's read-only layer below, a
writable layer on top that is deleted with the container. A volume is a host
directory mounted into it. We write to both, remove the container and start
a new one from the same image: only the volume's data is still there. Then
we back the volume up with tar and restore it.

Run it: sudo python3 scripts/volumes_outlive.py
(Linux, Python 3.11+, standard library only)
"""

from __future__ import annotations

import ctypes
import errno
import hashlib
import os
import shutil
import signal
import stat
import sys
import tarfile
import tempfile
import time
from pathlib import Path

LAB = "volumes_outlive"

CLONE_NEWNS, MS_BIND, MS_REC, MS_PRIVATE = 0x00020000, 0x1000, 0x4000, 0x40000
MNT_DETACH = 2
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


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --8<-- [start:containers]
class Containers:
    """Start and remove overlay "containers" of one image, with one volume."""

    def __init__(self, root: Path) -> None:
        self.root, self.mounts = root, []

    def start(self, name: str) -> Path:
        layer = self.root / name
        for part in ("upper", "work", "merged"):
            (layer / part).mkdir(parents=True)
        lower, upper = self.root / "image", layer / "upper"
        merged, work = layer / "merged", layer / "work"
        # The image below, the writable layer above: one merged view.
        options = f"lowerdir={lower},upperdir={upper},workdir={work}"
        call(
            "mount", b"overlay", bytes(merged), b"overlay", 0, options.encode()
        )
        self.mounts.append(merged)
        # The volume: a host directory, bind-mounted over /data.
        volume, data = bytes(self.root / "volume"), bytes(merged / "data")
        call("mount", volume, data, None, MS_BIND, None)
        self.mounts.append(merged / "data")
        return merged

    def remove(self, name: str) -> None:
        """What removing a container does to its files: unmount them, then
        delete its writable layer."""
        while self.mounts and self.mounts[-1].is_relative_to(self.root / name):
            call("umount2", bytes(self.mounts.pop()), 0)
        shutil.rmtree(self.root / name)


# --8<-- [end:containers]


def describe(upper: Path) -> None:
    """List a writable layer, spotting overlayfs whiteouts."""
    for path in sorted(upper.rglob("*")):
        info = path.lstat()
        if stat.S_ISCHR(info.st_mode) and info.st_rdev == 0:
            kind = 'a "whiteout": a 0,0 device hiding the image\'s file'
        elif path.is_dir():
            kind = "a directory"
        else:
            kind = f"a file, {info.st_size} bytes"
        print(f"    {path.relative_to(upper)}: {kind}")


def main() -> int:
    if not privileged():
        return refuse("needs Linux and root (CAP_SYS_ADMIN) to mount")
    # A mount namespace of our own: the host never sees our mounts, and the
    # kernel removes them if we die.
    call("unshare", CLONE_NEWNS)
    call("mount", None, b"/", None, MS_REC | MS_PRIVATE, None)
    root = Path(tempfile.mkdtemp(prefix="volumes-outlive-"))
    image, volume = root / "image", root / "volume"
    containers = Containers(root)
    try:
        (image / "etc").mkdir(parents=True)
        (image / "etc/motd").write_text("Welcome. This file is in the image.\n")
        (image / "data").mkdir()  # where the volume goes: VOLUME /data
        volume.mkdir()
        try:
            c1 = containers.start("container-1")
        except OSError as exc:
            if exc.errno == errno.ENODEV:  # no overlayfs in this kernel
                return refuse("needs overlayfs (sudo modprobe overlay)")
            raise
        print("The image (a read-only lower layer) holds etc/motd and data/.")
        print()

        # --8<-- [start:story]
        print("Container 1: image, new writable layer, the volume at /data.")
        (c1 / "data/orders.csv").write_text("1,coffee\n2,tea\n3,cake\n")
        (c1 / "tmp-cache.txt").write_text("scratch the app wrote\n")
        (c1 / "etc/motd").unlink()
        print("  wrote /data/orders.csv and /tmp-cache.txt, deleted /etc/motd")
        print("  its writable layer now holds:")
        describe(root / "container-1/upper")
        kept = (image / "etc/motd").exists()
        print(f"  the image still has etc/motd: {kept}")
        checkpoint("running")

        containers.remove("container-1")
        print("Removed container 1: unmounted, writable layer deleted.")
        print()
        c2 = containers.start("container-2")
        print("Container 2, from the same image with the same volume:")
        for name, why in [
            ("etc/motd", "from the image"),
            ("tmp-cache.txt", "it lived in container 1's layer"),
            ("data/orders.csv", "it lives in the volume"),
        ]:
            found = "present" if (c2 / name).exists() else "gone"
            print(f"  /{name:<16} {found:<8} ({why})")
        survived = (c2 / "data/orders.csv").exists()
        survived = survived and not (c2 / "tmp-cache.txt").exists()
        # --8<-- [end:story]
        print()

        # --8<-- [start:backup]
        print("Back up the volume, not the container:")
        before = {p.name: sha256(p) for p in sorted(volume.iterdir())}
        with tarfile.open(root / "volume-backup.tar", "w") as tar:
            tar.add(volume, arcname=".")
        print(f"  volume-backup.tar holds: {', '.join(before)}")
        for path in volume.iterdir():
            path.unlink()
        left = sorted(p.name for p in (c2 / "data").iterdir())
        print(f"  deleted the volume's files (a lost disk, say); /data: {left}")
        with tarfile.open(root / "volume-backup.tar") as tar:
            # filter="data" refuses odd members; Python 3.11.4+ has it.
            safe = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
            tar.extractall(volume, **safe)
        after = {p.name: sha256(p) for p in sorted(volume.iterdir())}
        for name, digest in after.items():
            same = (
                "same as before" if before.get(name) == digest else "DIFFERENT"
            )
            print(f"  restored {name}: sha256 {digest[:16]}... {same}")
        back = (c2 / "data/orders.csv").exists()
        print(f"  container 2 sees /data/orders.csv again: {back}")
        # --8<-- [end:backup]
        containers.remove("container-2")
    finally:  # on success, failure or Ctrl-C: unmount, delete everything
        for mount in reversed(containers.mounts):
            call("umount2", bytes(mount), MNT_DETACH)
        shutil.rmtree(root)
    print()
    print("The container's own changes died with it; the volume's data lived")
    print("on and came back from a plain tar file. Containers are disposable;")
    print("state belongs in volumes.")
    return 0 if survived and before == after else 1


if __name__ == "__main__":
    # Clean up on `kill` (SIGTERM) as on Ctrl-C: both raise KeyboardInterrupt.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print(f"{LAB}: interrupted; cleaned up", file=sys.stderr)
        sys.exit(130)
