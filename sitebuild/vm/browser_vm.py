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
import io
import json
import re
import shutil
import subprocess
import sys
import tarfile
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

from sitebuild.files import DigestMismatch, DownloadError, download, write_atomic
from sitebuild.files import key as cache_key
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
    if not tgz.exists():  # only ever there verified: download() renames nothing else into place
        algorithm, _, b64 = v["integrity"].partition("-")
        try:
            download(v["url"], tgz, algorithm=algorithm, digest=base64.b64decode(b64).hex())
        except DigestMismatch:
            raise guest.GuestError(
                f"npm v86 {v['version']}: integrity mismatch with {LOCK.name} ({v['url']})"
            ) from None
        except DownloadError as e:
            raise guest.GuestError(
                f"npm v86 {v['version']}: download failed ({e}); check {LOCK.name}"
            ) from None
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


def firmware(cache: Path, seabios: guest.Package, log=print) -> dict[str, Path]:
    """bios.bin and vgabios.bin of the pinned SeaBIOS, extracted once into a folder named by the
    package's sha256: the saved state holds the BIOS's memory, so its key (which names each file
    by its path) changes with the pin, and clones pinning different SeaBIOS share the cache."""
    folder = cache / "seabios" / seabios.sha256[:16]
    found = {name: folder / name for name in ("bios.bin", "vgabios.bin")}
    if all(path.is_file() for path in found.values()):
        return found
    deb = guest.fetch(ARCH, [seabios.name], log)[seabios.name]
    with guest.deb_data(deb) as tar:
        for name, member in (("bios.bin", "bios.bin"), ("vgabios.bin", "vgabios-stdvga.bin")):
            data = tar.extractfile(f"./usr/share/seabios/{member}").read()  # type: ignore[union-attr]
            write_atomic(found[name], data)
    return found


def state_key(files: dict[str, Path], tools: dict[str, str]) -> str:
    """What the saved state is made of: every file the VM boots from, by its path (each path
    names its own inputs: a pin, a version or a hash, so no 10 MB are hashed on every site
    build), the lock, the machine's settings, the script that boots and saves it and the V86
    options it imports (vm-config.js), and the
    versions of `tools` (Node.js runs the boot, zstd compresses the state: a new zstd may pack
    the same state into other bytes)."""
    return cache_key(
        *(str(files[n]) for n in PUBLIC),
        LOCK.read_bytes(),
        CMDLINE,
        str(MEMORY_MB),
        str(VGA_MEMORY_KB),
        STATE_SCRIPT.read_bytes(),
        VM_CONFIG.read_bytes(),
        *(f"{tool} {version}" for tool, version in sorted(tools.items())),
    )[:16]


def _tool_versions() -> dict[str, str]:
    found = {}
    for tool in ("node", "zstd"):
        cmd = [programs.require(tool), "--version"]
        found[tool] = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip()
    return found


def build(log=print) -> Built:
    cache = cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    pinned = {p.name: p for p in guest.packages(ARCH)}
    # Each piece fetches (and verifies) only the packages it is built from, and only on a cache
    # miss: a warm build re-hashes none of the 53 MB of packages.
    build_dir = _v86(cache)
    files = {
        "libv86.js": build_dir / "libv86.js",
        # Gzipped here, unpacked by the page (DecompressionStream): 2.1 MB become 0.4 MB on the
        # wire whatever the host does with application/wasm (GitHub does not document it).
        "v86.wasm.gz": _gzipped(build_dir / "v86.wasm"),
        **firmware(cache, pinned["seabios"], log),
    }
    kernel = browser_vm_kernel.build(log)
    files["bzImage"] = kernel.bzimage
    # One fixed file time for the guest, not the last commit's (SOURCE_DATE_EPOCH): any fixed time
    # is as reproducible, and a new commit must not mean a new initramfs, so a new one-minute boot.
    cpio = guest.initramfs(ARCH, ["busybox-static"], {}, init_script(), _keep, log, mtime=0)
    # Uncompressed: the kernel would unpack a gzipped one in the emulated CPU, half of a cold
    # boot's instructions (110 M to the prompt, 58 M without), to save 1.1 MB of a cold boot's
    # download; a resume never downloads it.
    files["initrd.cpio"] = cpio

    # The saved state: boot once under Node.js, zero the free memory, save, compress.
    key = state_key(files, _tool_versions())
    state = cache / f"state-{key}.bin.zst"
    boot_log = cache / f"state-{key}.json"
    if not state.exists():
        log("browser VM: booting the guest under Node.js to save its state (once, seconds)")
        started = time.monotonic()
        write_atomic(boot_log, save_state(build_dir, files, state).encode())
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
    """`path` gzipped beside it, with no time and no name in the header: the same bytes every
    time. (".9.gz": caches from before this recipe hold a .gz whose header names its temporary
    file; a name of its own keeps a warm cache from serving other bytes than a cold one.)"""
    out = path.with_name(path.name + ".9.gz")
    if not out.exists():
        # GzipFile, not gzip.compress: the OS byte in the latter's header depends on the Python
        # version (3.11 lets zlib write the system's), and every machine must serve the same bytes.
        buffer = io.BytesIO()
        with gzip.GzipFile("", "wb", compresslevel=9, fileobj=buffer, mtime=0) as z:
            z.write(path.read_bytes())
        write_atomic(out, buffer.getvalue())
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
