"""Build the files of the "Try it in your browser" VM: v86, firmware, kernel, initramfs, state.

The Debian packages (linux-source, busybox-static, seabios) come from sitebuild/vm/guest.lock.json
through sitebuild.vm.guest (shared with the VM labs); the kernel is built from that source for this
page (sitebuild/vm/browser_vm_kernel.py); v86 comes from npm, pinned with its integrity
hash in browser_vm.lock.toml. All is downloaded once into the guest cache (outside the clone:
sitebuild/vm/guest.py) and verified; the initramfs is built reproducibly; the saved state is made by
booting the VM headless under Node.js, once, cached by a key over its inputs, so a normal edit of
the site never pays for it. That boot runs on a virtual clock (browser_vm_state.mjs), so the saved
state is the same bytes on every machine, like every other file of the site.

    python -m sitebuild.vm.browser_vm          build (or reuse) and print the files and sizes
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import time
import tomllib
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from sitebuild.setup import programs
from sitebuild.vm import browser_vm_kernel, guest

HERE = Path(__file__).resolve().parent
LOCK = HERE / "browser_vm.lock.toml"  # v86 (npm); the Debian packages are in guest.lock.json
INIT = HERE / "browser_vm_init.sh"
STATE_SCRIPT = HERE / "browser_vm_state.mjs"
# The page's V86 options and the shell's prompt, which the state script imports: the one place
# both emulators take them from.
VM_CONFIG = HERE.parents[1] / "docs" / "javascripts" / "vm-config.js"
ARCH = "i386"
# Guest RAM: v86 loads the initrd at the 64 MB mark, so 64 MB is not enough. At 96 MB and up the
# compressed state is the same size (2.35 MB: the kernel and BusyBox; free pages are zero and
# compress to nothing), at 72-80 MB it grows to 3.4 MB; a smaller guest costs the reader's
# device less memory.
MEMORY_MB = 96
# Video memory: the page talks to the VM over the serial port only, and v86 saves video memory
# whole, zero or not (2 MB of it were 1.8 MB of the raw state). 64 KB holds the BIOS's text screen.
VGA_MEMORY_KB = 64
# console on the first serial port (the page's terminal). init_on_free zeroes freed pages, and
# zero pages compress to nothing in the saved state. The page's kernel has no crypto self-tests,
# ISA plug-and-play or CPU mitigations to switch off (browser_vm_kernel.config).
CMDLINE = "console=ttyS0 rdinit=/init init_on_free=1 tsc=reliable"
# Served files: name in the site -> what it is. The page reads this list from manifest.json.
PUBLIC = ("libv86.js", "v86.wasm.gz", "bios.bin", "vgabios.bin", "bzImage", "initrd.cpio")
# Published beside the kernel, for the GPL: the exact configuration it was built with.
CONFIG_NAME = "kernel.config"


@dataclass(frozen=True)
class Built:
    files: dict[str, Path]  # name in the site -> file on disk
    manifest: dict


def cache_dir() -> Path:
    return guest.cache_dir() / "browser-vm"


def _download(url: str, dest: Path, what: str) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_suffix(dest.suffix + ".part")
    try:
        with urllib.request.urlopen(url, timeout=60) as r, tmp.open("wb") as f:
            shutil.copyfileobj(r, f, 1 << 20)
    except OSError as e:
        raise guest.GuestError(f"{what}: download failed ({url}: {e}); check {LOCK.name}") from None
    tmp.replace(dest)


def _v86(cache: Path) -> Path:
    """The pinned npm v86 package, downloaded once, verified by its integrity hash, unpacked."""
    try:
        v = tomllib.loads(LOCK.read_text())["v86"]
    except (OSError, KeyError, tomllib.TOMLDecodeError) as e:
        raise guest.GuestError(f"{LOCK}: unreadable ({e}); restore it from git") from None
    out = cache / f"v86-{v['version']}"
    if (out / ".extracted").exists():
        return out / "package" / "build"
    tgz = cache / f"v86-{v['version']}.tgz"
    if not tgz.exists():
        _download(v["url"], tgz, f"npm v86 {v['version']}")
    algo, _, digest = v["integrity"].partition("-")
    if base64.b64encode(hashlib.new(algo, tgz.read_bytes()).digest()).decode() != digest:
        tgz.unlink()
        raise guest.GuestError(
            f"npm v86 {v['version']}: integrity mismatch with {LOCK.name} (removed)"
        )
    shutil.rmtree(out, ignore_errors=True)
    with tarfile.open(tgz) as t:
        if hasattr(tarfile, "data_filter"):
            t.extractall(out, filter="data")
        else:  # `filter` came in Python 3.11.4; Debian 12's python3 is 3.11.2
            for m in t.getmembers():
                if m.name.startswith("/") or ".." in Path(m.name).parts or m.issym() or m.islnk():
                    raise guest.GuestError(f"npm v86 {v['version']}: unexpected member {m.name}")
            t.extractall(out)
    (out / ".extracted").touch()
    return out / "package" / "build"


def _keep(path: str) -> bool:
    # From busybox-static only the binary (/init links its applets at boot); Debian 13 ships it
    # in /usr/bin (merged /usr: the initramfs links /bin to it).
    return path in ("bin/busybox", "usr/bin/busybox")


def _key(*parts: bytes | str) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p.encode() if isinstance(p, str) else p)
        h.update(b"\0")
    return h.hexdigest()[:16]


def build(log=print) -> Built:
    cache = cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    pinned = {p.name: p for p in guest.packages(ARCH)}
    # Each piece fetches (and verifies) only the packages it is built from, and only on a cache
    # miss: a warm build re-hashes none of the 53 MB of packages.
    firmware = cache / "seabios"
    if not (firmware / pinned["seabios"].sha256).exists():
        firmware.mkdir(exist_ok=True)
        seabios = guest.fetch(ARCH, ["seabios"], log)["seabios"]
        with guest.deb_data(seabios) as tar:
            for name, member in (("bios.bin", "bios.bin"), ("vgabios.bin", "vgabios-stdvga.bin")):
                data = tar.extractfile(f"./usr/share/seabios/{member}").read()  # type: ignore[union-attr]
                (firmware / name).write_bytes(data)
        (firmware / pinned["seabios"].sha256).touch()
    build_dir = _v86(cache)
    files = {
        "libv86.js": build_dir / "libv86.js",
        # Gzipped here, unpacked by the page (DecompressionStream): 2.1 MB become 0.4 MB on the
        # wire whatever the host does with application/wasm (GitHub does not document it).
        "v86.wasm.gz": _gzipped(build_dir / "v86.wasm"),
        "bios.bin": firmware / "bios.bin",
        "vgabios.bin": firmware / "vgabios.bin",
    }
    kernel = browser_vm_kernel.build(log)
    files["bzImage"] = kernel.bzimage
    # One fixed file time for the guest, not the last commit's (SOURCE_DATE_EPOCH): any fixed time
    # is as reproducible, and a new commit must not mean a new initramfs, so a new one-minute boot.
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = "0"
    try:
        cpio = guest.initramfs(ARCH, ["busybox-static"], {}, init_script(), _keep, log)
    finally:
        if epoch is None:
            del os.environ["SOURCE_DATE_EPOCH"]
        else:
            os.environ["SOURCE_DATE_EPOCH"] = epoch
    # Uncompressed: the kernel would unpack a gzipped one in the emulated CPU, half of a cold
    # boot's instructions (110 M to the prompt, 58 M without), to save 1.1 MB of a cold boot's
    # download; a resume never downloads it.
    files["initrd.cpio"] = cpio

    # The saved state: boot once under Node.js, zero the free memory, save, compress.
    # Keyed by the pins and paths (not by hashing 10 MB of files on every site build).
    state_key = _key(
        *(str(files[n]) for n in PUBLIC),
        LOCK.read_bytes(),
        CMDLINE,
        str(MEMORY_MB),
        str(VGA_MEMORY_KB),
        STATE_SCRIPT.read_bytes(),
        VM_CONFIG.read_bytes(),
    )
    state = cache / f"state-{state_key}.bin.zst"
    boot_log = cache / f"state-{state_key}.json"
    if not state.exists():
        log("browser VM: booting the guest under Node.js to save its state (once, seconds)")
        started = time.monotonic()
        boot_log.write_text(save_state(build_dir, files, state))
        size = state.stat().st_size
        log(f"browser VM: state saved in {time.monotonic() - started:.0f} s ({size:,} bytes)")
    files["state.bin.zst"] = state
    files[CONFIG_NAME] = kernel.config

    manifest = {
        "v86": build_dir.parent.parent.name,
        "memory_mb": MEMORY_MB,
        "vga_memory_kb": VGA_MEMORY_KB,
        "cmdline": CMDLINE,
        "files": {n: p.stat().st_size for n, p in files.items()},
        "packages": [
            {"package": p.name, "version": p.version, "url": guest.MIRROR + "/" + p.url}
            for p in pinned.values()
        ],
    }
    return Built(files, manifest)


def save_state(build_dir: Path, files: dict[str, Path], state: Path) -> str:
    """Boot the VM under Node.js, save its state compressed into `state`; the script's output."""
    raw = state.with_suffix(".raw")
    proc = subprocess.run(
        [programs.require("node"), STATE_SCRIPT, build_dir, json.dumps(_config(files)), raw],
        capture_output=True,
        text=True,
        timeout=900,
    )
    if proc.returncode != 0:
        raise guest.GuestError(f"saving the VM state failed: {proc.stderr.strip()[-300:]}")
    # -19: --ultra -22 saves 0.01 % more, and needs a larger window to decompress.
    zstd = programs.require("zstd")
    subprocess.run([zstd, "-q", "-19", "-f", "--rm", raw, "-o", state], check=True)
    return proc.stdout


def _gzipped(path: Path) -> Path:
    """`path` gzipped beside it, without a timestamp: the same bytes every time."""
    out = path.with_name(path.name + ".gz")
    if not out.exists():
        tmp = out.with_suffix(".tmp")
        with (
            tmp.open("wb") as f,
            gzip.GzipFile(fileobj=f, mode="wb", mtime=0, compresslevel=9) as z,
        ):
            z.write(path.read_bytes())
        tmp.replace(out)
    return out


def _config(files: dict[str, Path]) -> dict:
    return {
        "memory_mb": MEMORY_MB,
        "vga_memory_kb": VGA_MEMORY_KB,
        "cmdline": CMDLINE,
        "files": {n: str(files[n]) for n in ("bios.bin", "vgabios.bin", "bzImage", "initrd.cpio")},
    }


def init_script() -> str:
    """The guest's /init, which must set the prompt both emulators wait for."""
    text = INIT.read_text()
    if f"PS1='{prompt()}'" not in text:
        raise guest.GuestError(
            f"{INIT}: sets no PS1='{prompt()}', the prompt {VM_CONFIG.name} exports and the page"
            " waits for; make them agree"
        )
    return text


def prompt() -> str:
    """The guest shell's prompt, as docs/javascripts/vm-config.js exports it."""
    text = VM_CONFIG.read_text()
    found = re.search(r'^export const PROMPT = "([^"\\]+)";$', text, re.MULTILINE)
    if not found:
        raise guest.GuestError(
            f'{VM_CONFIG}: no line `export const PROMPT = "...";` (a plain string); restore it'
        )
    return found.group(1)


def main(argv: list[str]) -> int:
    try:
        built = build()
    except guest.GuestError as e:
        print(f"browser VM: {e}", file=sys.stderr)
        return 1
    for name, path in built.files.items():
        print(f"{path.stat().st_size:>12,}  {name}  {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
