"""Build a small Linux guest (kernel + initramfs) from Debian packages pinned in a lock.

The VM labs (x86_64 under QEMU) and the VM in the browser (i386 under v86) need the same thing:
Debian's kernel and a tiny root filesystem made of a few Debian packages. The recipe is one:

    lock (name, version, architecture, sha256, sha1)  --fetch + verify-->  CACHE/debs/
    --> kernel image  +  initramfs (newc cpio: sorted entries, fixed owner and mtime)

A pinned package is fetched from Debian's mirror and, once the mirror has dropped that version
(it keeps only the newest of each suite), from Debian's snapshot archive, which keeps every file
ever published under its SHA-1. Either way the file must match the locked sha256.

API (stable; other modules build on it):

    packages(arch) -> list[Package]              what the lock pins for a Debian arch
    fetch(arch, names=None) -> dict[str, Path]   verified .deb files, downloaded once
    kernel(arch) -> Path                         the locked kernel's vmlinuz, extracted once
    initramfs(arch, names, files, init, keep=keep_all) -> Path
        a reproducible initramfs of packages `names`, extra `files` {path: bytes} and an
        /init script, cached by the hash of everything that went in
    cpio(entries) -> bytes                       the newc writer itself (Entry list)
    read_cpio(data) -> list[Entry]               and its reader

Command line:
    python -m sitebuild.vm.guest --fetch [ARCH...]     fetch and verify (make setup-test)
    python -m sitebuild.vm.guest --refresh [ARCH...]   re-pin the lock to the archive's newest
                                                   (make guest-lock)

Nothing here is committed but the lock. Everything lands in one cache outside the clone, so a
second clone on the same machine downloads nothing: $GUEST_CACHE when set, else
$XDG_CACHE_HOME/containers-vs-vms/guest (~/.cache/containers-vs-vms/guest). Every file in it is
named by the hash of what made it, so clones at different commits share it safely.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import io
import json
import lzma
import os
import re
import stat
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from sitebuild.files import (
    DigestMismatch,
    DownloadError,
    NotFound,
    download,
    file_digest,
    write_atomic,
)
from sitebuild.files import key as cache_key

REPO = Path(__file__).resolve().parents[2]
LOCK = Path(__file__).with_name("guest.lock.json")
# Both overridable so tests can stand a local server in for each.
MIRROR = os.environ.get("GUEST_MIRROR", "https://deb.debian.org")
SNAPSHOT = os.environ.get("GUEST_SNAPSHOT", "https://snapshot.debian.org")


def suites(release: str) -> tuple[str, ...]:
    """What a Debian machine of `release` lists in /etc/apt: security and updates carry the
    newest kernel."""
    return (f"debian/dists/{release}", f"debian/dists/{release}-updates",
            f"debian-security/dists/{release}-security")  # fmt: skip


REFRESH = "make guest-lock"


def cache_dir() -> Path:
    if os.environ.get("GUEST_CACHE"):
        return Path(os.environ["GUEST_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "containers-vs-vms" / "guest"


class GuestError(Exception):
    """A one-line, actionable failure (the command line prints it and exits 1)."""


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    architecture: str  # Debian's: amd64, i386, all
    sha256: str
    sha1: str  # the snapshot archive names files by it: SNAPSHOT/file/<sha1>
    size: int
    url: str  # path under MIRROR, from the Packages index: debian/pool/main/...

    @property
    def deb(self) -> Path:
        return cache_dir() / "debs" / f"{self.sha256}.deb"


def _lock() -> dict:
    try:
        return json.loads(LOCK.read_text())
    except (OSError, ValueError) as exc:
        raise GuestError(
            f"{LOCK}: unreadable ({exc}); restore it from git or run {REFRESH}"
        ) from None


def packages(arch: str) -> list[Package]:
    """What the lock pins for Debian architecture `arch` (amd64, i386)."""
    lock = _lock()
    if arch not in lock:
        raise GuestError(f"{LOCK}: no guest for architecture {arch!r}; add it, run {REFRESH}")
    return [Package(**p) for p in lock[arch]["packages"]]


# --- fetching ---------------------------------------------------------------------------------


def _download(pkg: Package, out: Callable[[str], None]) -> None:
    """From the mirror, or else from the snapshot archive; kept only if its sha256 matches."""
    mirror_url, snapshot_url = f"{MIRROR}/{pkg.url}", f"{SNAPSHOT}/file/{pkg.sha1}"
    what = f"{pkg.name} {pkg.version} ({pkg.size / 1e6:.1f} MB)"

    def started(url: str) -> None:
        out(f"guest: fetching {what} from {url}")

    try:
        try:
            download(mirror_url, pkg.deb, digest=pkg.sha256, started=started)
        except NotFound:
            out(f"guest: {pkg.name} {pkg.version} has left {MIRROR}; using the snapshot archive")
            download(snapshot_url, pkg.deb, digest=pkg.sha256, started=started)
    except NotFound:
        raise GuestError(
            f"guest: {pkg.name} {pkg.version} ({pkg.architecture}) is gone from "
            f"{mirror_url} and from {snapshot_url}; re-pin the lock with: {REFRESH}"
        ) from None
    except DigestMismatch as exc:
        raise GuestError(
            f"guest: {pkg.name} {pkg.version} from {exc.url}: sha256 {exc.got} is not the "
            f"locked {pkg.sha256}; refusing it (re-pin with {REFRESH} if the archive changed)"
        ) from None
    except DownloadError as exc:
        raise GuestError(f"guest: {exc}; check the network and try again later") from None


def fetch(
    arch: str, names: Iterable[str] | None = None, out: Callable[[str], None] = print
) -> dict[str, Path]:
    """The locked .deb files of `arch` (all, or those named), verified, by package name."""
    pinned = {p.name: p for p in packages(arch)}
    wanted = list(pinned) if names is None else list(names)
    found = {}
    for name in wanted:
        if name not in pinned:
            raise GuestError(f"{LOCK}: {name} is not pinned for {arch}; add it, run {REFRESH}")
        pkg = pinned[name]
        if not (pkg.deb.is_file() and file_digest(pkg.deb) == pkg.sha256):
            _download(pkg, out)
        found[name] = pkg.deb
    return found


# --- reading a .deb (an ar archive holding data.tar.*) ----------------------------------------


def deb_data(deb: Path) -> tarfile.TarFile:
    """The data.tar member of a .deb, opened (ar format: 8-byte magic, 60-byte headers)."""
    blob = deb.read_bytes()
    if not blob.startswith(b"!<arch>\n"):
        raise GuestError(f"{deb}: not a .deb (no ar magic)")
    offset = 8
    while offset < len(blob):
        header = blob[offset : offset + 60]
        name, size = header[:16].decode().strip().rstrip("/"), int(header[48:58])
        body = blob[offset + 60 : offset + 60 + size]
        if name.startswith("data.tar"):
            return tarfile.open(fileobj=io.BytesIO(body))  # xz, gz or plain: tarfile detects
        offset += 60 + size + size % 2
    raise GuestError(f"{deb}: no data.tar member")


# --- the kernel -------------------------------------------------------------------------------


def kernel(arch: str, out: Callable[[str], None] = print) -> Path:
    """The locked kernel's vmlinuz (the package whose name starts linux-image-), extracted once."""
    pkg = next((p for p in packages(arch) if p.name.startswith("linux-image-")), None)
    if pkg is None:
        raise GuestError(f"{LOCK}: no linux-image-* pinned for {arch}; run {REFRESH}")
    target = cache_dir() / "kernels" / f"{pkg.sha256}.vmlinuz"
    if not target.is_file():
        deb = fetch(arch, [pkg.name], out)[pkg.name]
        with deb_data(deb) as tar:
            member = next(m for m in tar if m.name.startswith("./boot/vmlinuz-"))
            data = tar.extractfile(member).read()  # type: ignore[union-attr]
        write_atomic(target, data)
    return target


# --- the initramfs ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    path: str  # relative, no leading slash: "bin/busybox"
    mode: int  # type and permission bits, as stat's st_mode
    data: bytes = b""  # file contents, or a symlink's target


def cpio(entries: Iterable[Entry], mtime: int = 0) -> bytes:
    """A newc cpio archive as the kernel unpacks an initramfs: sorted by path, owner root,
    one fixed mtime, inode numbers in order. The same entries always give the same bytes."""
    out = bytearray()
    ordered = sorted(entries, key=lambda e: e.path)
    for ino, e in enumerate([*ordered, Entry("TRAILER!!!", 0)], start=1):
        name = e.path.encode() + b"\0"
        nlink = 2 if stat.S_ISDIR(e.mode) else 1
        fields = (ino, e.mode, 0, 0, nlink, mtime, len(e.data), 0, 0, 0, 0, len(name), 0)
        out += b"070701" + b"".join(b"%08X" % f for f in fields) + name
        out += b"\0" * (-len(out) % 4) + e.data
        out += b"\0" * (-len(out) % 4)
    return bytes(out)


def read_cpio(data: bytes) -> list[Entry]:
    """The entries of a newc archive, in archive order, up to its trailer (no external `cpio`:
    not every machine has it)."""
    entries, offset = [], 0
    while True:
        header = data[offset : offset + 110]
        if header[:6] != b"070701" or len(header) < 110:
            raise ValueError(f"not a newc cpio archive at byte {offset}")
        fields = [int(header[6 + 8 * i : 14 + 8 * i], 16) for i in range(13)]
        mode, size, namesize = fields[1], fields[6], fields[11]
        name_end = offset + 110 + namesize
        name = data[offset + 110 : name_end - 1].decode()
        body = name_end + (-name_end % 4)
        if name == "TRAILER!!!":
            return entries
        entries.append(Entry(name, mode, data[body : body + size]))
        offset = body + size + (-(body + size) % 4)


def keep_all(path: str) -> bool:
    return True


def package_entries(deb: Path, keep: Callable[[str], bool] = keep_all) -> dict[str, Entry]:
    """A package's files, directories and symlinks as initramfs entries (hard links become
    copies), at the paths the package ships."""
    found: dict[str, Entry] = {}
    with deb_data(deb) as tar:
        members = tar.getmembers()
        for m in members:
            path = m.name.removeprefix("./").rstrip("/")
            if not path or not keep(path):
                continue
            if m.isdir():
                found[path] = Entry(path, stat.S_IFDIR | 0o755)
            elif m.issym():
                found[path] = Entry(path, stat.S_IFLNK | 0o777, m.linkname.encode())
            elif m.isfile() or m.islnk():
                src = tar.getmember(m.linkname) if m.islnk() else m
                data = tar.extractfile(src).read()  # type: ignore[union-attr]
                found[path] = Entry(path, stat.S_IFREG | (m.mode & 0o7777), data)
    return found


def _usr_merge(entries: dict[str, Entry]) -> None:
    """Since Debian 13 packages ship /usr/bin, /usr/lib... only, and a merged system links
    /bin, /sbin, /lib and /lib64 to them (the dynamic loader is /lib64/ld-linux-x86-64.so.2,
    scripts start #!/bin/sh). Older packages ship the top-level folders themselves: left alone."""
    for top in ("bin", "sbin", "lib", "lib64"):
        shipped = any(path == top or path.startswith(f"{top}/") for path in entries)
        if f"usr/{top}" in entries and not shipped:  # _parents() has made usr/bin if needed
            entries[top] = Entry(top, stat.S_IFLNK | 0o777, f"usr/{top}".encode())


def _parents(entries: dict[str, Entry]) -> None:
    for path in list(entries):
        parts = path.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            parent = "/".join(parts[:i])
            entries.setdefault(parent, Entry(parent, stat.S_IFDIR | 0o755))


def source_date_epoch() -> int:
    return int(os.environ.get("SOURCE_DATE_EPOCH") or 0)


def initramfs(
    arch: str,
    names: Iterable[str],
    files: Mapping[str, bytes],
    init: str,
    keep: Callable[[str], bool] = keep_all,
    out: Callable[[str], None] = print,
    mtime: int | None = None,
) -> Path:
    """An initramfs holding packages `names` (files filtered by `keep`), `files` (path ->
    bytes, mode 0755) and `init` as /init. Cached under the hash of every input, so a second
    call with the same inputs costs a hash. `keep` must be a plain function of the path; its
    source is part of the hash. Every file's time is `mtime`, by default $SOURCE_DATE_EPOCH."""
    names = sorted(names)
    pinned = {p.name: p for p in packages(arch)}
    missing = [n for n in names if n not in pinned]
    if missing:
        raise GuestError(f"{LOCK}: {', '.join(missing)} not pinned for {arch}; run {REFRESH}")
    mtime = source_date_epoch() if mtime is None else mtime
    key = cache_key(
        json.dumps([pinned[n].sha256 for n in names]),
        json.dumps(sorted((p, hashlib.sha256(d).hexdigest()) for p, d in files.items())),
        init,
        _source_of(keep),
        str(mtime),
        Path(__file__).read_bytes(),  # a change to this recipe is a new initramfs
    )
    target = cache_dir() / "initramfs" / f"{key[:32]}.cpio"
    if target.is_file():
        return target
    debs = fetch(arch, names, out)
    entries: dict[str, Entry] = {}
    for name in names:
        entries.update(package_entries(debs[name], keep))
    for path, data in files.items():
        path = path.lstrip("/")
        entries[path] = Entry(path, stat.S_IFREG | 0o755, data)
    entries["init"] = Entry("init", stat.S_IFREG | 0o755, init.encode())
    for d in ("dev", "proc", "sys", "tmp", "run"):
        entries.setdefault(d, Entry(d, stat.S_IFDIR | 0o755))
    _parents(entries)
    _usr_merge(entries)
    write_atomic(target, cpio(entries.values(), mtime))
    return target


def _source_of(func: Callable[[str], bool]) -> str:
    import inspect

    try:
        return inspect.getsource(func)
    except (OSError, TypeError):
        return repr(func)


# --- refreshing the lock ----------------------------------------------------------------------


def _index(arch: str) -> list[dict[str, str]]:
    """Every stanza of the Packages indices of the lock's release for `arch` (with arch:all)."""
    stanzas = []
    for suite in suites(_lock()[arch]["release"]):
        url = f"{MIRROR}/{suite}/main/binary-{arch}/Packages.xz"
        print(f"guest: reading {url}", file=sys.stderr)
        with tempfile.TemporaryDirectory(prefix="guest-index-") as tmp:
            try:
                download(url, Path(tmp) / "Packages.xz", timeout=120)
            except DownloadError as exc:
                raise GuestError(f"guest: {exc}; check the network and try again later") from None
            text = lzma.decompress((Path(tmp) / "Packages.xz").read_bytes()).decode()
        archive = suite.split("/")[0]
        for block in text.split("\n\n"):
            fields = {}
            for line in block.splitlines():
                if line and not line[0].isspace() and ": " in line:
                    k, v = line.split(": ", 1)
                    fields[k] = v
            if "Package" in fields:
                fields["url"] = f"{archive}/{fields['Filename']}"
                stanzas.append(fields)
    return stanzas


def _newer(a: str, b: str) -> int:
    """Debian version order, from dpkg itself."""
    if a == b:
        return 0
    cmd = ["dpkg", "--compare-versions", a, "gt", b]
    return 1 if subprocess.run(cmd).returncode == 0 else -1


def refresh(arch: str) -> list[Package]:
    """Re-pin `arch`'s wanted packages to the newest each suite offers. A wanted name ending
    in '>' is a metapackage to follow (linux-image-cloud-amd64> pins the kernel it depends on)."""
    lock = _lock()
    newest: dict[str, dict[str, str]] = {}
    for s in _index(arch):
        old = newest.get(s["Package"])
        if old is None or _newer(s["Version"], old["Version"]) > 0:
            newest[s["Package"]] = s
    pinned = []
    for want in lock[arch]["want"]:
        name = want.rstrip(">")
        if name not in newest:
            raise GuestError(f"guest: {name} is not in the {arch} archive; fix {LOCK}")
        if want.endswith(">"):
            name = newest[name]["Depends"].split(",")[0].split()[0]
        s = newest[name]
        pkg = Package(
            name, s["Version"], s["Architecture"], s["SHA256"], "", int(s["Size"]), s["url"]
        )
        # The index gives no SHA-1, and the snapshot fallback needs one: hash the file itself
        # (the mirror has it: it is the newest).
        if not (pkg.deb.is_file() and file_digest(pkg.deb) == pkg.sha256):
            _download(pkg, lambda line: print(line, file=sys.stderr))
        pinned.append(replace(pkg, sha1=hashlib.sha1(pkg.deb.read_bytes()).hexdigest()))
    before = packages(arch)
    lock[arch]["packages"] = [asdict(p) for p in pinned]
    LOCK.write_text(json.dumps(lock, indent=2) + "\n")
    for path in repin_files(arch, before, pinned):
        print(f"guest: re-pinned {path.relative_to(REPO)}", file=sys.stderr)
    return pinned


# What names a pinned package outside the lock, by the architecture it speaks of: the VM labs'
# own pins (each lab is one file a reader copies, so it carries them), the tests that expect a
# kernel, the labs' verified outputs (their tests compare them with a real run, so a rewritten
# output that is wrong fails there) and pages; the browser VM's licence tables (i386).
# tests/setup/test_guest.py checks that they agree with the lock.
REPINNED = {
    "amd64": ("scripts/*.py", "scripts/output/*.txt", "docs/labs/*.md", "tests/scripts/*.py"),
    "i386": ("docs/try-it.md", "README.md"),
}


def kernel_release(name: str) -> str:
    """linux-image-6.1.0-57-cloud-amd64 -> 6.1.0-57-cloud-amd64 (what `uname -r` says)."""
    return name.removeprefix("linux-image-")


def _role(p: Package) -> str:
    return "kernel" if p.name.startswith("linux-image-") else p.name


def _source_version(version: str) -> str:
    """A binNMU (+bN) is built from the source version without it; the licence tables name it."""
    return re.sub(r"\+b\d+$", "", version)


def _deb_block(text: str, old: Package, new: Package) -> str:
    """A lab's `Deb(...)` pin of `old` (found by its sha256), written anew for `new` with the
    fields in the order the lab's own `class Deb` declares them."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return text
    order = next(
        (
            [f.target.id for f in node.body if isinstance(f, ast.AnnAssign)]  # type: ignore[union-attr]
            for node in ast.walk(tree)
            if isinstance(node, ast.ClassDef) and node.name == "Deb"
        ),
        None,
    )
    if order is None:
        return text

    def literal(field: str) -> str:
        value = getattr(new, field)
        if field == "url" and len(value) > 80:  # split as the labs do, at the last '/'
            head, tail = value.rsplit("/", 1)
            return f'"{head}/"\n    "{tail}"'
        return str(value) if isinstance(value, int) else f'"{value}"'

    block = "Deb(\n" + "".join(f"    {literal(field)},\n" for field in order) + ")"
    pattern = rf"Deb\((?:[^()]|\([^()]*\))*?\"{old.sha256}\"(?:[^()]|\([^()]*\))*?\)"
    return re.sub(pattern, lambda _: block, text)


def _mentions(text: str, old: Package, new: Package) -> str:
    """Prose and outputs: a kernel's name and release anywhere; a version only on a line that
    names its package (or kernel), where it cannot be another package's."""
    names = [old.name]
    if _role(old) == "kernel":
        text = text.replace(kernel_release(old.name), kernel_release(new.name))
        names = [new.name, kernel_release(new.name)]
        versions = [(old.version.replace("-", "+"), new.version.replace("-", "+"))]
    else:
        versions = []
    versions = [(old.version, new.version), *versions]
    versions.append((_source_version(old.version), _source_version(new.version)))
    lines = text.splitlines(keepends=True)
    for i, line in enumerate(lines):
        if any(name in line for name in names):
            for before, after in versions:
                line = line.replace(before, after)
            lines[i] = line
    return "".join(lines)


def repin_files(
    arch: str, before: list[Package], after: list[Package], root: Path = REPO
) -> list[Path]:
    """Rewrite what names a moved pin of `arch` in the files of REPINNED[arch]; the files
    changed. Pins pair up by role (the kernel, or the package's name); a package added to or
    dropped from the lock names nothing to rewrite."""
    old_by_role = {_role(p): p for p in before}
    moved = [(old_by_role[_role(p)], p) for p in after if old_by_role.get(_role(p), p) != p]
    changed = []
    for pattern in REPINNED.get(arch, ()):
        for path in sorted(root.glob(pattern)):
            text = new_text = path.read_text()
            for old, new in moved:
                new_text = _mentions(_deb_block(new_text, old, new), old, new)
            if new_text != text:
                path.write_text(new_text)
                changed.append(path)
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sitebuild.vm.guest", description=__doc__)
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--fetch", action="store_true", help="fetch and verify the locked debs")
    mode.add_argument("--refresh", action="store_true", help="re-pin the lock to the archive")
    parser.add_argument("arch", nargs="*", help="Debian architectures (default: all locked)")
    args = parser.parse_args(argv)
    try:
        for arch in args.arch or sorted(k for k in _lock() if not k.startswith("_")):
            if args.refresh:
                for p in refresh(arch):
                    print(f"guest: {arch}: {p.name} {p.version}")
                print(
                    "guest: now run `sudo make labs` and `make test`: the VM labs' tests compare "
                    "their outputs with a real run, and fail where a kernel line differs",
                    file=sys.stderr,
                )
            else:
                fetch(arch, out=lambda line: print(line, file=sys.stderr))
                # i386 pins the kernel's source instead (browser_vm_kernel.py builds it)
                if any(p.name.startswith("linux-image-") for p in packages(arch)):
                    kernel(arch)
    except GuestError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
