"""sitebuild/vm/guest.py: pinned Debian packages, verified, into a kernel and an initramfs."""

from __future__ import annotations

import hashlib
import http.server
import json
import re
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

import pytest

from sitebuild.vm import guest
from tests.support import REPO

REPO_CACHE = guest.cache_dir()  # setup's cache, read before any test points GUEST_CACHE elsewhere


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
        # A kernel package, or (i386, the browser VM) the source it is built from.
        assert any(p.name.startswith(("linux-image-", "linux-source-")) for p in pinned)


def test_setup_fetched_and_verified_every_package() -> None:
    for p in guest.packages("amd64"):
        assert p.deb.is_file(), f"{p.name}: not fetched; run make setup-test"
        assert hashlib.sha256(p.deb.read_bytes()).hexdigest() == p.sha256


class Archive:
    """A stand-in for Debian's mirror and snapshot archive on 127.0.0.1: `mirror` maps pool
    paths and `snapshot` maps SHA-1s to bytes; anything else is a 404. `asked` logs each path."""

    def __init__(self) -> None:
        self.mirror: dict[str, bytes] = {}
        self.snapshot: dict[str, bytes] = {}
        self.asked: list[str] = []
        archive = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                archive.asked.append(self.path)
                if self.path.startswith("/mirror/"):
                    body = archive.mirror.get(self.path.removeprefix("/mirror/"))
                else:
                    body = archive.snapshot.get(self.path.removeprefix("/snapshot/file/"))
                self.send_response(404 if body is None else 200)
                self.end_headers()
                self.wfile.write(body or b"")

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"


@pytest.fixture
def archive(cache: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Archive]:
    """The stand-in archive, with guest.py pointed at it and an empty private cache."""
    stand_in = Archive()
    thread = threading.Thread(target=stand_in.httpd.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setattr(guest, "MIRROR", f"{stand_in.url}/mirror")
    monkeypatch.setattr(guest, "SNAPSHOT", f"{stand_in.url}/snapshot")
    yield stand_in
    stand_in.httpd.shutdown()
    stand_in.httpd.server_close()


def _lock_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, data: bytes) -> guest.Package:
    """A lock pinning one made-up package whose file is `data`."""
    pkg = guest.Package(
        "made-up", "1.0-1", "amd64", hashlib.sha256(data).hexdigest(),
        hashlib.sha1(data).hexdigest(), len(data), "debian/pool/main/m/made-up/made-up_1.0-1.deb",
    )  # fmt: skip
    fake = tmp_path / "guest.lock.json"
    fake.write_text(json.dumps({"amd64": {"want": ["made-up"], "packages": [asdict(pkg)]}}))
    monkeypatch.setattr(guest, "LOCK", fake)
    return pkg


def test_a_corrupt_cached_deb_is_fetched_again_from_the_mirror(archive: Archive) -> None:
    pkg = next(p for p in guest.packages("amd64") if p.name == "libffi8")  # the smallest
    real = (REPO_CACHE / "debs" / pkg.deb.name).read_bytes()
    archive.mirror[pkg.url] = real
    pkg.deb.parent.mkdir(parents=True)
    pkg.deb.write_bytes(b"not the package")
    lines: list[str] = []
    path = guest.fetch("amd64", ["libffi8"], out=lines.append)["libffi8"]
    assert path.read_bytes() == real
    assert lines == [
        f"guest: fetching libffi8 {pkg.version} (0.0 MB) from {archive.url}/mirror/{pkg.url}"
    ]
    assert archive.asked == [f"/mirror/{pkg.url}"]  # the snapshot is not asked


def test_a_package_gone_from_the_mirror_comes_from_the_snapshot_archive_by_sha1(
    archive: Archive, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pkg = _lock_one(tmp_path, monkeypatch, b"the made-up package")
    archive.snapshot[pkg.sha1] = b"the made-up package"
    lines: list[str] = []
    path = guest.fetch("amd64", out=lines.append)["made-up"]
    assert path.read_bytes() == b"the made-up package"
    assert archive.asked == [f"/mirror/{pkg.url}", f"/snapshot/file/{pkg.sha1}"]
    assert "has left" in lines[0] and lines[1].endswith(f"/snapshot/file/{pkg.sha1}")


def test_the_snapshot_archive_is_trusted_no_more_than_the_mirror(
    archive: Archive, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pkg = _lock_one(tmp_path, monkeypatch, b"the made-up package")
    archive.snapshot[pkg.sha1] = b"something else"
    with pytest.raises(guest.GuestError, match=r"sha256 .* is not the locked"):
        guest.fetch("amd64", out=lambda _: None)
    assert not pkg.deb.exists() and list(pkg.deb.parent.iterdir()) == []  # no partial file left


def test_a_package_gone_from_both_fails_in_one_line_naming_both_urls_and_the_fix(
    archive: Archive, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pkg = _lock_one(tmp_path, monkeypatch, b"the made-up package")
    with pytest.raises(guest.GuestError) as err:
        guest.fetch("amd64", out=lambda _: None)
    message = str(err.value)
    assert "\n" not in message
    assert f"made-up 1.0-1 (amd64) is gone from {archive.url}/mirror/{pkg.url}" in message
    assert f"{archive.url}/snapshot/file/{pkg.sha1}" in message and "make guest-lock" in message


def test_every_locked_package_carries_the_sha1_the_snapshot_archive_needs() -> None:
    for arch in ("amd64", "i386"):
        for p in guest.packages(arch):
            assert hashlib.sha1(p.deb.read_bytes()).hexdigest() == p.sha1, p.name


def test_the_cache_lives_outside_the_clone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GUEST_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", "/somewhere/cache")
    assert guest.cache_dir() == Path("/somewhere/cache/containers-vs-vms/guest")
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert guest.cache_dir() == Path.home() / ".cache" / "containers-vs-vms" / "guest"
    assert REPO not in guest.cache_dir().parents


def test_command_line_failure_is_one_line_and_exit_1(tmp_path: Path) -> None:
    bad = tmp_path / "cache"
    result = subprocess.run(
        [sys.executable, "-m", "sitebuild.vm.guest", "--fetch", "sparc"],
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
        return path.startswith("usr/bin/")

    first = guest.initramfs("amd64", ["busybox-static"], {"etc/x": b"1"}, "#!/bin/sh\n", keep)
    again = guest.initramfs("amd64", ["busybox-static"], {"etc/x": b"1"}, "#!/bin/sh\n", keep)
    other = guest.initramfs("amd64", ["busybox-static"], {"etc/x": b"2"}, "#!/bin/sh\n", keep)
    assert first == again and first != other
    entries = guest.read_cpio(first.read_bytes())
    names = [e.path for e in entries]
    assert names == sorted(names)
    assert {"usr/bin/busybox", "init", "etc/x", "proc", "dev"} <= set(names)
    assert not any(n.startswith("usr/share/doc") for n in names)  # filtered by keep
    by_name = {e.path: e for e in entries}
    assert by_name["etc/x"].data == b"1" and by_name["init"].data == b"#!/bin/sh\n"
    assert by_name["usr/bin/busybox"].data[:4] == b"\x7fELF"
    # Debian 13's packages ship /usr only: /bin is a link, so #!/bin/busybox still works.
    assert by_name["bin"] == guest.Entry("bin", stat.S_IFLNK | 0o777, b"usr/bin")


def test_read_cpio_reads_back_what_cpio_wrote() -> None:
    written = [
        guest.Entry("bin", stat.S_IFDIR | 0o755),
        guest.Entry("bin/sh", stat.S_IFLNK | 0o777, b"busybox"),
        guest.Entry("init", stat.S_IFREG | 0o755, b"#!/bin/sh\necho odd length\n"),
    ]
    assert guest.read_cpio(guest.cpio(written)) == written
    with pytest.raises(ValueError, match="not a newc cpio archive at byte 0"):
        guest.read_cpio(b"070707" + b"0" * 200)


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


def _lines_matching(arch: str, pattern: str) -> Iterator[tuple[str, str]]:
    """("path:line", its first matching group) for each match of `pattern` in the files that
    make guest-lock rewrites for `arch`."""
    for glob in guest.REPINNED[arch]:
        for path in sorted(REPO.glob(glob)):
            for number, line in enumerate(path.read_text().splitlines(), start=1):
                for m in re.finditer(pattern, line):
                    yield f"{path.relative_to(REPO)}:{number}", next(g for g in m.groups() if g)


KERNEL_RELEASE = (
    r"\b(\d+\.\d+\.\d+(?:-\d+|\+deb\d+)-(?:cloud-amd64|amd64|686))\b"
    r"|linux-source-\d+\.\d+`? (\d[\w.+~:-]*\w)"  # the browser VM's kernel source (i386)
)
BUSYBOX_VERSION = r"busybox-static`?(?: \| | )`?(\d*:?\d[\w.+~:-]*\w)"


@pytest.mark.parametrize("arch", ["amd64", "i386"])
def test_every_kernel_and_busybox_named_outside_the_lock_is_the_locked_one(arch: str) -> None:
    """What make guest-lock rewrites must agree with the lock, or a re-pin missed a place."""
    locked = guest.packages(arch)
    releases = {guest.kernel_release(p.name) for p in locked if p.name.startswith("linux-image-")}
    releases |= {p.version for p in locked if p.name.startswith("linux-source-")}
    busybox = {p.version for p in locked if p.name == "busybox-static"}
    kernels = list(_lines_matching(arch, KERNEL_RELEASE))
    busyboxes = list(_lines_matching(arch, BUSYBOX_VERSION))
    stale = [f"{where}: kernel {release}" for where, release in kernels if release not in releases]
    stale += [f"{where}: busybox-static {v}" for where, v in busyboxes if v not in busybox]
    assert not stale, f"not the {arch} lock's version (run make guest-lock): {stale}"
    assert kernels and busyboxes, "nothing names the kernel or busybox: is the pattern right?"


def test_repin_rewrites_every_place_that_names_a_moved_pin(tmp_path: Path) -> None:
    # Made-up versions of a made-up flavour, so neither this file nor the agreement test above
    # ever takes them for a real pin.
    old = guest.Package(
        "linux-image-0.1.0-57-test", "0.1.192-3", "amd64", "a" * 64, "b" * 40, 123,
        "debian-security/pool/updates/main/l/linux-signed-amd64/linux-image-0.1.0-57-test_0.1.192-3_amd64.deb",
    )  # fmt: skip
    new = guest.Package(
        "linux-image-0.1.0-58-test", "0.1.193-1", "amd64", "c" * 64, "d" * 40, 456,
        "debian-security/pool/updates/main/l/linux-signed-amd64/linux-image-0.1.0-58-test_0.1.193-1_amd64.deb",
    )  # fmt: skip
    box = guest.Package("busybox-static", "1:0.9-1+b1", "amd64", "e" * 64, "f" * 40, 7, "b.deb")
    box2 = guest.Package("busybox-static", "1:0.9-2", "amd64", "1" * 64, "2" * 40, 8, "c.deb")
    added = guest.Package("libgcc-s1", "0.1-1", "amd64", "3" * 64, "4" * 40, 9, "d.deb")

    def deb(p: guest.Package) -> str:
        fields = (f'"{p.name}"', f'"{p.version}"', f'"{p.sha256}"', f'"{p.sha1}"', p.size)
        head, _, tail = p.url.rpartition("/")
        url = f'"{head}/"\n    "{tail}"' if len(p.url) > 80 else f'"{p.url}"'
        return "Deb(\n" + "".join(f"    {f},\n" for f in fields) + f"    {url},\n)\n"

    lab = "class Deb:\n    name: str\n    version: str\n    sha256: str\n    sha1: str\n"
    lab += "    size: int\n    url: str\n\n\n"
    files = {
        "scripts/lab.py": (
            f"{lab}K = {deb(old)}B = {deb(box)}SIZE = 123\n",
            f"{lab}K = {deb(new)}B = {deb(box2)}SIZE = 123\n",
        ),
        "docs/labs/page.md": (
            "`linux-image-0.1.0-57-test` 0.1.192-3, signed 0.1.192+3\n"
            "busybox-static 1:0.9-1+b1 from busybox 1:0.9-1\nunrelated 1:0.9-1+b1\n",
            "`linux-image-0.1.0-58-test` 0.1.193-1, signed 0.1.193+1\n"
            "busybox-static 1:0.9-2 from busybox 1:0.9-2\nunrelated 1:0.9-1+b1\n",
        ),
        "docs/try-it.md": ("i386 only: busybox-static 1:0.9-1+b1\n",) * 2,
    }  # fmt: skip
    for name, (before, _) in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(before)
    changed = guest.repin_files("amd64", [old, box], [new, box2, added], root=tmp_path)
    assert changed == [tmp_path / "scripts/lab.py", tmp_path / "docs/labs/page.md"]
    for name, (_, after) in files.items():
        assert (tmp_path / name).read_text() == after, name
