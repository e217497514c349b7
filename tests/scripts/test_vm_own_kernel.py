"""scripts/vm_own_kernel.py: a VM boots a kernel of its own, not the host's."""

from __future__ import annotations

import hashlib
import http.server
import os
import re
import threading
from collections.abc import Iterator
from dataclasses import astuple
from pathlib import Path

import pytest

from sitebuild import guest
from tests.scripts.labkit import (
    Lab,
    assert_one_line_refusal,
    assert_qemu_running,
    lab_fixture,
    load,
    page_output,
)

LAB = "vm_own_kernel"
lab = lab_fixture(LAB)
pytestmark = pytest.mark.timeout(300)
vm_own_kernel = load(LAB)
# The debs `make setup-test` fetched and verified; the lab checks their sha256 again itself.
CACHE = {"VM_LAB_CACHE": str(guest.cache_dir() / "debs")}

# What varies between machines and runs: the host's kernel, QEMU's build, the accelerator and
# why, timings, how many lines the kernel printed.
RULES = [
    (r"^(  kernel release  )\S+$", r"\1<host release>"),
    (r"^(  /proc/version   )Linux version (?!6\.1\.0-57-cloud-amd64 ).*$", r"\1<host version>"),
    (r"^A VM: QEMU \S+, PC,", "A VM: QEMU <version>, PC,"),
    (r"accelerator \w+$", "accelerator <accel>"),
    (r"^  \((/dev/kvm|no usable|chosen with).*\)$", "  (<why>)"),
    (r"^  \.\.\. \d+ more lines", "  ... <n> more lines"),
    (r"^  \[ *\d+\.\d+\] Run /init", "  [<t>] Run /init"),
    (r"^(  up for +)\d+\.\d+ s", r"\1<t> s"),
    (r"\d+\.\d\d s from starting QEMU", "<t> s from starting QEMU"),
]


@pytest.fixture(autouse=True)
def debs_from_setup(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every run of the lab here, including labkit's Ctrl-C and failure runs, uses setup's cache."""
    for key, value in CACHE.items():
        monkeypatch.setenv(key, value)


@pytest.mark.vm
def test_the_vm_runs_its_own_kernel_and_output_matches_page(lab: Lab) -> None:
    result = lab.run(timeout=280)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    releases = re.findall(r"^  kernel release  (\S+)", out, re.MULTILINE)
    # The host's release as the test sees it; the VM's from the pinned package's name.
    assert releases[0] == os.uname().release
    assert releases[1] == vm_own_kernel.KERNEL.name.removeprefix("linux-image-")
    assert releases[0] != releases[1]
    host_version = Path("/proc/version").read_text().strip()
    assert f"  /proc/version   {host_version}\n" in out
    assert re.search(r"^  PID +1 +<- first process of that kernel", out, re.MULTILINE)
    # The console shows the firmware first, then the kernel from its first line to /init.
    console = out.split("a kernel from nothing:\n")[1].split("\n\n")[0].splitlines()
    assert console[0].startswith("  SeaBIOS (version ")
    assert "] Linux version 6.1.0-57-cloud-amd64" in console[2]
    assert "Run /init as init process" in console[-1]
    assert re.search(r"accelerator (TCG|KVM)$", out, re.MULTILINE)
    shown, expected = page_output(LAB, out, RULES)
    assert shown == expected, "the page shows other output: see labkit.page_output"


def test_the_labs_pins_are_the_repositorys_lock() -> None:
    locked = {p.name: p for p in guest.packages("amd64")}
    for deb in (vm_own_kernel.KERNEL, vm_own_kernel.BUSYBOX):
        p = locked[deb.name]
        assert astuple(deb) == (p.name, p.version, p.sha256, p.size, p.url)


@pytest.mark.vm
def test_ctrl_c_while_the_vm_boots_leaves_no_qemu_or_file(lab: Lab) -> None:
    lab.interrupt_at("booting")


@pytest.mark.vm
def test_injected_failure_while_the_vm_boots_leaves_no_qemu_or_file(lab: Lab) -> None:
    lab.fail_at("booting")


@pytest.mark.vm
def test_sigterm_to_the_lab_alone_stops_its_qemu_too(lab: Lab) -> None:
    """`kill PID` reaches only the lab, not QEMU: the lab must stop QEMU itself."""
    lab.terminate_at("booting", on_pause=assert_qemu_running)


@pytest.mark.vm
def test_without_qemu_it_says_what_to_install_in_one_line(lab: Lab) -> None:
    result = lab.run(env={"PATH": str(lab.cwd.parent)})  # a PATH with no qemu on it
    assert_one_line_refusal(result, LAB)
    assert "qemu-system-x86" in result.stderr


@pytest.fixture
def mirror(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A tiny local stand-in for deb.debian.org, on a free port."""
    root = tmp_path / "mirror"
    root.mkdir()

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, directory=str(root), **kwargs)  # type: ignore[arg-type]

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", root
    finally:
        server.shutdown()
        server.server_close()


def test_first_run_downloads_shows_progress_and_checks_sha256(
    mirror: tuple[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url, root = mirror
    body = os.urandom(3 << 20)
    (root / "good.deb").write_bytes(body)
    (root / "bad.deb").write_bytes(body[:-1] + b"!")
    digest = hashlib.sha256(body).hexdigest()
    monkeypatch.setattr(vm_own_kernel, "MIRROR", url)
    monkeypatch.setenv("VM_LAB_CACHE", str(tmp_path / "cache"))
    good = vm_own_kernel.Deb("pkg", "1", digest, len(body), "good.deb")
    path = vm_own_kernel.get(good)
    assert path.read_bytes() == body
    err = capsys.readouterr().err
    assert "fetching pkg 1 (3.1 MB)" in err and "100%" in err
    assert vm_own_kernel.get(good) == path and capsys.readouterr().err == ""  # cached
    path.unlink()
    bad = vm_own_kernel.Deb("pkg", "1", digest, len(body), "bad.deb")
    with pytest.raises(RuntimeError, match="sha256 is not the pinned one"):
        vm_own_kernel.get(bad)
    assert list((tmp_path / "cache").iterdir()) == []  # no partial file left
    gone = vm_own_kernel.Deb("pkg", "1", digest, len(body), "gone.deb")
    with pytest.raises(vm_own_kernel.Missing, match="cannot download pkg"):
        vm_own_kernel.get(gone)
