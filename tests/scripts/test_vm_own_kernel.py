"""scripts/vm_own_kernel.py: a VM boots a kernel of its own, not the host's."""

from __future__ import annotations

import hashlib
import http.server
import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from sitebuild.vm import guest
from tests.scripts.labkit import (
    ON_KVM,
    WHY,
    Lab,
    assert_one_line_refusal,
    assert_qemu_running,
    lab_fixture,
    load,
    page_output,
    stand_in_qemu,
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
    (r"^  \((/dev/kvm|KVM failed|on KVM).*\)$", "  (<why>)"),
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
    assert "] Linux version 6.12.118+deb13-cloud-amd64" in console[2]
    assert "Run /init as init process" in console[-1]
    assert re.search(r"accelerator (TCG|KVM)$", out, re.MULTILINE)
    shown, expected = page_output(LAB, out, RULES)
    assert shown == expected, "the page shows other output: see labkit.page_output"


def test_the_labs_pins_are_the_repositorys_lock() -> None:
    """The same packages as the lock; and each sha1, the file's name in Debian's snapshot archive,
    is the sha1 of the very file the sha256 pins (setup fetched and verified it)."""
    locked = {p.name: p for p in guest.packages("amd64")}
    for deb in (vm_own_kernel.KERNEL, vm_own_kernel.BUSYBOX):
        p = locked[deb.name]
        assert (deb.name, deb.version, deb.sha256, deb.size, deb.url) == (
            p.name, p.version, p.sha256, p.size, p.url
        )  # fmt: skip
        assert deb.sha1 == hashlib.sha1(p.deb.read_bytes()).hexdigest()
        assert deb.sha1 == p.sha1


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


# --- the KVM probe: every way KVM fails means TCG, and the lab says why -------------------------


@pytest.mark.vm
@pytest.mark.parametrize("how", list(ON_KVM))
def test_kvm_that_fails_in_any_way_means_tcg_and_says_why(
    how: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", stand_in_qemu(tmp_path / "bin", ON_KVM[how])["PATH"])
    monkeypatch.setattr(vm_own_kernel, "KVM_WAIT", 1.0)
    assert vm_own_kernel.kvm_or_tcg(tmp_path) == ("tcg", WHY[how])


@pytest.mark.vm
def test_a_kvm_that_aborts_still_boots_the_vm_on_tcg(lab: Lab) -> None:
    """The whole lab, with QEMU aborting on KVM as on the AMD EPYC host: it boots on TCG and prints
    why on one line, in QEMU's own words."""
    result = lab.run(env=stand_in_qemu(lab.cwd.parent / "bin", ON_KVM["aborts"]), timeout=280)
    assert result.returncode == 0, result.stderr
    assert "accelerator TCG\n" in result.stdout
    assert f"\n  ({WHY['aborts']})\n" in result.stdout
    assert re.search(r"^  PID +1 +<- first process of that kernel", result.stdout, re.MULTILINE)


# --- the download: the mirror, else Debian's snapshot archive; sha256 checked either way ---------


@pytest.fixture
def server() -> Iterator[tuple[str, dict[str, bytes]]]:
    """A local stand-in for deb.debian.org and snapshot.debian.org: serves the bytes in `files`
    by URL path, and 404 for any other path, as the mirror does for a version it dropped."""
    files: dict[str, bytes] = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = files.get(self.path)
            if body is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}", files
    finally:
        httpd.shutdown()
        httpd.server_close()


BODY = os.urandom(3 << 20)
PKG = vm_own_kernel.Deb(
    "pkg", "1", hashlib.sha256(BODY).hexdigest(), hashlib.sha1(BODY).hexdigest(), len(BODY),
    "debian/pool/main/p/pkg/pkg_1_amd64.deb",
)  # fmt: skip


@pytest.fixture
def lab_module(
    server: tuple[str, dict[str, bytes]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> ModuleType:
    """The lab's module, its cache empty, its mirror and snapshot archive the local server."""
    url, _ = server
    monkeypatch.setenv("VM_LAB_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("VM_LAB_MIRROR", f"{url}/mirror")
    monkeypatch.setenv("VM_LAB_SNAPSHOT", f"{url}/snapshot")
    return vm_own_kernel


def test_a_download_from_the_mirror_shows_progress_and_is_cached(
    lab_module: ModuleType, server: tuple[str, dict[str, bytes]], capsys: pytest.CaptureFixture[str]
) -> None:
    url, files = server
    files[f"/mirror/{PKG.url}"] = BODY
    path = lab_module.get(PKG)
    assert path.read_bytes() == BODY
    err = capsys.readouterr().err
    assert f"fetching pkg 1 (3.1 MB) from {url}/mirror/{PKG.url}\n" in err and "100%" in err
    assert "snapshot" not in err
    assert lab_module.get(PKG) == path and capsys.readouterr().err == ""  # cached


def test_a_version_gone_from_the_mirror_comes_from_the_snapshot_archive_by_sha1(
    lab_module: ModuleType, server: tuple[str, dict[str, bytes]], capsys: pytest.CaptureFixture[str]
) -> None:
    url, files = server
    files[f"/snapshot/file/{PKG.sha1}"] = BODY
    assert lab_module.get(PKG).read_bytes() == BODY
    err = capsys.readouterr().err.splitlines()
    assert err[0].endswith(f"from {url}/mirror/{PKG.url}")
    assert err[1] == "  failed: HTTP Error 404: Not Found"
    assert err[2].endswith(f"from {url}/snapshot/file/{PKG.sha1}") and err[-1] == "  100%"


@pytest.mark.parametrize("snapshot_has", ["nothing", "other bytes"])
def test_when_both_fail_one_line_names_both_urls_and_nothing_is_cached(
    snapshot_has: str, lab_module: ModuleType, server: tuple[str, dict[str, bytes]], tmp_path: Path
) -> None:
    url, files = server
    if snapshot_has == "other bytes":  # as if the archive, or something between, changed it
        files[f"/snapshot/file/{PKG.sha1}"] = BODY[:-1] + b"!"
    with pytest.raises(lab_module.Missing) as raised:
        lab_module.get(PKG)
    why = "its sha256 is not the pinned one" if snapshot_has == "other bytes" else "HTTP Error 404"
    message = str(raised.value)
    assert message.startswith("cannot get pkg 1: ") and "\n" not in message
    assert f"{url}/mirror/{PKG.url}: HTTP Error 404: Not Found; " in message
    assert f"; {url}/snapshot/file/{PKG.sha1}: {why}" in message
    assert not (tmp_path / "cache").exists() or not any((tmp_path / "cache").iterdir())


@pytest.mark.vm
def test_the_lab_fetches_its_real_pins_from_the_snapshot_archive(
    lab: Lab, server: tuple[str, dict[str, bytes]], tmp_path: Path
) -> None:
    """The lab as a reader runs it, on the day the mirror has dropped both pinned versions: each
    comes from the snapshot archive by its sha1, verified, into an empty cache."""
    url, files = server
    for deb in (vm_own_kernel.KERNEL, vm_own_kernel.BUSYBOX):
        files[f"/file/{deb.sha1}"] = (guest.cache_dir() / "debs" / f"{deb.sha256}.deb").read_bytes()
    cache = tmp_path / "cache"
    env = {"VM_LAB_CACHE": str(cache), "VM_LAB_MIRROR": url, "VM_LAB_SNAPSHOT": url}
    result = lab.run(env={**env, "LAB_FAIL_AT": "fetched"})
    assert "failing on purpose at 'fetched'" in result.stderr, result.stderr
    assert result.stderr.count("  failed: HTTP Error 404: Not Found") == 2
    for deb in (vm_own_kernel.KERNEL, vm_own_kernel.BUSYBOX):
        assert f"from {url}/file/{deb.sha1}\n" in result.stderr
        assert hashlib.sha256((cache / f"{deb.sha256}.deb").read_bytes()).hexdigest() == deb.sha256
