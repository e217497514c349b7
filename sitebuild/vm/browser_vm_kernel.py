"""The "Try it in your browser" VM's kernel, built for the page from Debian's Linux source.

Debian 13 builds no i386 kernel, and a generic distribution kernel is most of what the page
downloads and most of its boot time. So the page's kernel is made here: the `linux-source-*`
package pinned in sitebuild/vm/guest.lock.json (i386), configured as `make ARCH=i386 tinyconfig`
plus the committed fragment browser_vm_kernel.config, built with the host's gcc in 32-bit mode.

Reproducible: the build's date, user, host and version number are fixed (KBUILD_BUILD_*), and
the kernel strips the build directory from the file names it embeds, so two builds of the same
inputs give the same bytes (tests/setup/test_browser_vm_kernel.py builds and compares).
Cached in the guest cache (outside the clone) under a key over every input: the source
package, the fragment, this recipe and the compiler's and linker's versions (a Debian update
of gcc is a new kernel). The first build costs minutes; every later one a hash.

    build(log) -> Kernel(bzimage, config)      build once, or reuse
    python -m sitebuild.vm.browser_vm_kernel      build (or reuse) and print the paths
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sitebuild.files import key as cache_key
from sitebuild.files import write_atomic
from sitebuild.setup import programs
from sitebuild.vm import guest

ARCH = "i386"
FRAGMENT = Path(__file__).with_name("browser_vm_kernel.config")
# The kernel records these in its version banner (uname -v); fixed so that every build says the
# same. The date is the source package's own SOURCE_DATE_EPOCH (see build()).
BUILD_ENV = {
    "KBUILD_BUILD_USER": "build",
    "KBUILD_BUILD_HOST": "containers-vs-vms",
    "KBUILD_BUILD_VERSION": "1",
    "LC_ALL": "C",
    "TZ": "UTC",
}
# Programs the build runs (sitebuild/setup/system_deps.sh installs them on Debian; tar and perl are
# Essential there). Checked only when there is a kernel to build.
TOOLS = ("gcc", "ld", "make", "flex", "bison", "bc", "tar", "xz", "perl")


@dataclass(frozen=True)
class Kernel:
    bzimage: Path
    config: Path  # the full .config it was built with (published beside it)
    source: guest.Package  # the linux-source-* package it was built from


def source_package() -> guest.Package:
    pkg = next((p for p in guest.packages(ARCH) if p.name.startswith("linux-source-")), None)
    if pkg is None:
        raise guest.GuestError(
            f"{guest.LOCK}: no linux-source-* pinned for {ARCH}; add it to 'want', run "
            f"{guest.REFRESH}"
        )
    return pkg


def fragment_options(text: str) -> dict[str, str]:
    """CONFIG_X=v and '# CONFIG_X is not set' (as 'n') lines of a .config or a fragment."""
    found = {}
    for line in text.splitlines():
        if m := re.fullmatch(r"(CONFIG_\w+)=(.*)", line.strip()):
            found[m[1]] = m[2]
        elif m := re.fullmatch(r"# (CONFIG_\w+) is not set", line.strip()):
            found[m[1]] = "n"
    return found


def check_config(config: str, fragment: str = "", where: Path = FRAGMENT) -> None:
    """Fail, naming the fragment's line, when an option it sets did not make it into the final
    .config (Kconfig drops a value whose dependencies are not met, silently)."""
    fragment = fragment or FRAGMENT.read_text()
    have = fragment_options(config)
    for number, line in enumerate(fragment.splitlines(), start=1):
        for option, want in fragment_options(line).items():
            got = have.get(option, "n")
            if got != want:
                raise guest.GuestError(
                    f"{where}:{number}: {option}={want} did not stick (the kernel's config has "
                    f"{got}); enable what it depends on in the fragment (see its Kconfig help)"
                )


def _version(tool: str) -> str:
    version = [programs.require(tool), "--version"]
    return subprocess.run(version, capture_output=True, text=True, check=True).stdout.split("\n")[0]


def key() -> str:
    return cache_key(
        source_package().sha256,
        FRAGMENT.read_bytes(),
        Path(__file__).read_bytes(),
        _version("gcc"),
        _version("ld"),
    )[:16]


def build(log: Callable[[str], None] = print, cache: Path | None = None) -> Kernel:
    """The kernel of the current inputs: from the cache, or built now (minutes) into it."""
    cache = cache or guest.cache_dir() / "browser-vm-kernel"
    pkg = source_package()
    out = cache / key()
    kernel = Kernel(out / "bzImage", out / "kernel.config", pkg)
    if kernel.bzimage.is_file() and kernel.config.is_file():
        return kernel
    for tool in TOOLS:
        programs.require(tool)
    deb = guest.fetch(ARCH, [pkg.name], log)[pkg.name]
    cache.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    log(f"browser VM: building the kernel from {pkg.name} {pkg.version} (once, minutes)")
    # Kbuild refuses a source path with a space or a colon, which a cache under a home folder
    # may have: build in the temporary folder, keep only the results in the cache.
    scratch = tempfile.gettempdir()
    if any(c in scratch for c in " :"):
        raise guest.GuestError(
            f"kernel build: the temporary folder {scratch!r} has a space or colon, which the "
            "kernel's build refuses; set TMPDIR to a folder without them"
        )
    with tempfile.TemporaryDirectory(prefix="browser-vm-kernel-") as tmp:
        work = Path(tmp)
        with guest.deb_data(deb) as tar:
            member = next(m for m in tar if m.name.endswith(".tar.xz"))
            (work / "src.tar.xz").write_bytes(tar.extractfile(member).read())  # type: ignore[union-attr]
        # Debian clamps every file's time in a package to the package's SOURCE_DATE_EPOCH (its
        # changelog's date): the kernel's build date is that of its source, not of this site's
        # last commit, so a new commit is not a new kernel.
        stamp = time.strftime("%a %b %d %H:%M:%S UTC %Y", time.gmtime(member.mtime))
        _run(["tar", "-xJf", "src.tar.xz", "--strip-components=1", "-C", "src"], work, mkdir="src")
        src = work / "src"
        # A fragment under kernel/configs/ is a make target of its own: `make tinyconfig x.config`
        # merges it (scripts/kconfig/merge_config.sh) and resolves the dependencies.
        shutil.copy(FRAGMENT, src / "kernel" / "configs" / "browser_vm.config")
        make = ["make", "-s", f"ARCH={ARCH}", "O=../out"]
        _run([*make, "tinyconfig", "browser_vm.config"], src, mkdir="../out", stamp=stamp)
        config = (work / "out" / ".config").read_text()
        check_config(config)
        _run([*make, f"-j{os.cpu_count() or 1}", "bzImage"], src, stamp=stamp)
        write_atomic(kernel.config, config.encode())
        write_atomic(kernel.bzimage, (work / "out/arch/x86/boot/bzImage").read_bytes())
    log(
        f"browser VM: kernel built in {time.monotonic() - started:.0f} s "
        f"({kernel.bzimage.stat().st_size:,} bytes)"
    )
    return kernel


def _run(cmd: list[str], cwd: Path, mkdir: str = "", stamp: str = "") -> None:
    if mkdir:
        (cwd / mkdir).mkdir(parents=True, exist_ok=True)
    env = {**os.environ, **BUILD_ENV, "KBUILD_BUILD_TIMESTAMP": stamp}
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
        raise guest.GuestError(f"kernel build: {' '.join(cmd)} failed: {' | '.join(tail)}")


def main() -> int:
    try:
        kernel = build(lambda line: print(line, file=sys.stderr))
    except (guest.GuestError, programs.ProgramMissing) as e:
        print(e, file=sys.stderr)
        return 1
    print(f"{kernel.bzimage.stat().st_size:>12,}  {kernel.bzimage}")
    print(f"{kernel.config.stat().st_size:>12,}  {kernel.config}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
