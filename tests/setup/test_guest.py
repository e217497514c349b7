"""sitebuild/guest.py: pinned Debian packages, verified, into a reproducible kernel + initramfs."""

from __future__ import annotations

import hashlib
import json
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from sitebuild import guest
from tests.support import REPO


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty private cache, so a test may corrupt or miss files without touching setup's."""
    monkeypatch.setenv("GUEST_CACHE", str(tmp_path))
    return tmp_path


def test_lock_pins_every_wanted_package_by_version_and_sha256() -> None:
    lock = json.loads(guest.LOCK.read_text())
    for arch in (k for k in lock if not k.startswith("_")):
        pinned = guest.packages(arch)
        assert [p.name for p in pinned][1:] == lock[arch]["want"][1:]
        for p in pinned:
            assert re.fullmatch(r"[0-9a-f]{64}", p.sha256), p
            assert p.url.startswith(("debian/pool/", "debian-security/pool/")), p
            assert p.architecture in (arch, "all") and p.version and p.size > 0
        assert any(p.name.startswith("linux-image-") for p in pinned)


def test_setup_fetched_and_verified_every_package() -> None:
    for p in guest.packages("amd64"):
        assert p.deb.is_file(), f"{p.name}: not fetched; run make setup-test"
        assert hashlib.sha256(p.deb.read_bytes()).hexdigest() == p.sha256


def test_a_corrupt_cached_deb_is_fetched_again(cache: Path) -> None:
    pkg = next(p for p in guest.packages("amd64") if p.name == "libffi8")  # the smallest
    pkg.deb.parent.mkdir(parents=True)
    pkg.deb.write_bytes(b"not the package")
    lines: list[str] = []
    path = guest.fetch("amd64", ["libffi8"], out=lines.append)["libffi8"]
    assert hashlib.sha256(path.read_bytes()).hexdigest() == pkg.sha256
    assert len(lines) == 1 and "fetching libffi8" in lines[0]


def test_a_vanished_package_fails_in_one_line_naming_it_and_the_fix(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lock = json.loads(guest.LOCK.read_text())
    gone = dict(lock["amd64"]["packages"][1], version="0.0-vanished")
    gone["url"] = gone["url"].replace(".deb", "-vanished.deb")
    lock["amd64"]["packages"] = [gone]
    fake = tmp_path / "guest.lock.json"
    fake.write_text(json.dumps(lock))
    monkeypatch.setattr(guest, "LOCK", fake)
    with pytest.raises(guest.GuestError) as err:
        guest.fetch("amd64", out=lambda _: None)
    message = str(err.value)
    assert "\n" not in message
    assert f"{gone['name']} 0.0-vanished (amd64) is gone" in message
    assert "make guest-lock" in message


def test_command_line_failure_is_one_line_and_exit_1(tmp_path: Path) -> None:
    bad = tmp_path / "cache"
    result = subprocess.run(
        [sys.executable, "-m", "sitebuild.guest", "--fetch", "sparc"],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={"GUEST_CACHE": str(bad), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "no guest for architecture 'sparc'" in result.stderr


def test_cpio_is_sorted_and_reproducible() -> None:
    a = guest.Entry("init", stat.S_IFREG | 0o755, b"#!/bin/sh\n")
    b = guest.Entry("bin", stat.S_IFDIR | 0o755)
    one, two = guest.cpio([a, b], mtime=1700000000), guest.cpio([b, a], mtime=1700000000)
    assert one == two
    assert one.index(b"bin\0") < one.index(b"init\0") < one.index(b"TRAILER!!!")
    assert b"%08X" % 1700000000 in one and len(one) % 4 == 0


def test_initramfs_holds_the_package_files_and_is_cached_by_its_inputs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")

    def keep(path: str) -> bool:
        return path.startswith("bin/")

    first = guest.initramfs("amd64", ["busybox-static"], {"etc/x": b"1"}, "#!/bin/sh\n", keep)
    again = guest.initramfs("amd64", ["busybox-static"], {"etc/x": b"1"}, "#!/bin/sh\n", keep)
    other = guest.initramfs("amd64", ["busybox-static"], {"etc/x": b"2"}, "#!/bin/sh\n", keep)
    assert first == again and first != other
    listing = subprocess.run(
        ["cpio", "-t", "-v", "--quiet"], input=first.read_bytes(), capture_output=True
    ).stdout.decode()
    names = [line.split()[-1] for line in listing.splitlines()]
    assert names == sorted(names)
    assert {"bin/busybox", "init", "etc/x", "proc", "dev"} <= set(names)
    assert "usr/share/doc" not in names  # filtered by keep


def test_kernel_is_the_locked_vmlinuz() -> None:
    vmlinuz = guest.kernel("amd64", out=lambda _: None)
    assert vmlinuz.read_bytes()[0x202:0x206] == b"HdrS"  # the x86 boot protocol's magic


def test_initramfs_bytes_are_the_same_when_built_again_from_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reproducible, not only cached: two empty caches build byte-identical archives."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    debs = guest.cache_dir() / "debs"
    built = []
    for name in ("one", "two"):
        cache = tmp_path / name
        (cache / "debs").mkdir(parents=True)
        busybox = next(p for p in guest.packages("amd64") if p.name == "busybox-static")
        (cache / "debs" / busybox.deb.name).write_bytes((debs / busybox.deb.name).read_bytes())
        monkeypatch.setenv("GUEST_CACHE", str(cache))
        built.append(guest.initramfs("amd64", ["busybox-static"], {}, "#!/bin/sh\n").read_bytes())
    assert built[0] == built[1] and len(built[0]) > 1_000_000
