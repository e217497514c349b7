"""The browser VM's saved state is a build product like any other: the same bytes from every boot
(sitebuild/vm/browser_vm_state.mjs runs the guest on a virtual clock), so two clean builds of a
commit serve the same vm/state.bin.zst and vm/manifest.json, and the state the browser tests resume
(tests/browser/test_vm.py) is the one any clean build makes."""

from __future__ import annotations

import dataclasses
import gzip
import json
import os
from pathlib import Path

import pytest

from sitebuild.vm import browser_vm, browser_vm_kernel, guest


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_a_second_boot_saves_the_same_state_bytes(tmp_path: Path) -> None:
    built = browser_vm.build(log=lambda line: None)
    again = tmp_path / "state.bin.zst"
    out = json.loads(browser_vm.save_state(built.files["libv86.js"].parent, built.files, again))
    assert browser_vm.prompt() in out["boot_log"] and out["boot_seconds"] > 0
    first = built.files["state.bin.zst"].read_bytes()
    assert again.read_bytes() == first, (
        f"the state differs from the cached one ({again.stat().st_size:,} vs {len(first):,} "
        "bytes): something in the boot reads the host's clock or randomness"
    )


def test_the_manifest_says_nothing_that_differs_between_machines() -> None:
    built = browser_vm.build(log=lambda line: None)
    text = json.dumps(built.manifest)
    assert str(browser_vm.cache_dir()) not in text and "/root" not in text
    assert built.manifest["files"]["state.bin.zst"] == built.files["state.bin.zst"].stat().st_size


def test_the_page_states_the_memory_the_vm_takes() -> None:
    """Before the reader downloads anything, the page says how much memory the VM takes."""
    page = " ".join((Path(__file__).parents[2] / "docs" / "try-it.md").read_text().split())
    assert f"the VM takes {browser_vm.MEMORY_MB} MB of your device's memory" in page


def test_the_guest_shell_sets_the_prompt_both_emulators_wait_for() -> None:
    """The prompt is written once, in docs/javascripts/vm-config.js (the page and the state
    script import it); the guest's /init is a shell script, so the build checks it sets the same."""
    assert browser_vm.prompt() == "vm# "
    assert f"PS1='{browser_vm.prompt()}'" in browser_vm.init_script()


def test_an_init_with_another_prompt_fails_naming_both_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    init = tmp_path / "browser_vm_init.sh"
    init.write_text(browser_vm.INIT.read_text().replace("PS1='vm# '", "PS1='$ '"))
    monkeypatch.setattr(browser_vm, "INIT", init)
    with pytest.raises(browser_vm.guest.GuestError, match=r"browser_vm_init\.sh.*vm-config\.js"):
        browser_vm.init_script()


def test_the_saved_state_is_a_new_one_when_only_the_seabios_pin_moves(tmp_path: Path) -> None:
    """The state holds the BIOS's memory: firmware of another pin lives at another path, so the
    state's key (over the paths of the files it boots from) moves with the pin."""
    pin = next(p for p in guest.packages(browser_vm.ARCH) if p.name == "seabios")
    moved = dataclasses.replace(pin, sha256="0" * 64)
    keys = []
    for seabios in (pin, moved):
        folder = tmp_path / "seabios" / seabios.sha256[:16]  # as if extracted: no download
        folder.mkdir(parents=True)
        for name in ("bios.bin", "vgabios.bin"):
            (folder / name).write_bytes(seabios.sha256.encode())
        firmware = browser_vm.firmware(tmp_path, seabios)
        assert set(firmware) == {"bios.bin", "vgabios.bin"}
        boots_from = {name: tmp_path / name for name in browser_vm.PUBLIC} | firmware
        keys.append(browser_vm.state_key(boots_from, {"node": "v20", "zstd": "v1.5"}))
    assert keys[0] != keys[1]
    boots_from = {name: tmp_path / name for name in browser_vm.PUBLIC}
    assert browser_vm.state_key(boots_from, {"zstd": "v1.5"}) != browser_vm.state_key(
        boots_from, {"zstd": "v1.6"}
    )  # another zstd may pack the same state into other bytes


def test_the_build_leaves_the_environment_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """The guest's files get one fixed time without SOURCE_DATE_EPOCH being changed for the rest
    of the process (a build runs beside other generators, in threads). Stopped at the initramfs:
    what comes before is cached (the kernel is not built: its own test builds it)."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1234")
    kernel = browser_vm_kernel.Kernel(Path("bzImage"), Path("kernel.config"), None)  # type: ignore[arg-type]
    monkeypatch.setattr(browser_vm_kernel, "build", lambda log: kernel)
    seen = {}

    class Stop(Exception):
        pass

    def initramfs(*args: object, mtime: int | None = None, **kwargs: object) -> Path:
        seen.update(environ=dict(os.environ), mtime=mtime)
        raise Stop

    monkeypatch.setattr(guest, "initramfs", initramfs)
    before = dict(os.environ)
    with pytest.raises(Stop):
        browser_vm.build(log=lambda line: None)
    assert seen == {"environ": before, "mtime": 0}
    assert dict(os.environ) == before


def test_the_gzipped_wasm_header_names_no_file_time_or_system(tmp_path: Path) -> None:
    """Flags 0 (no file name), time 0, OS 255 (unknown): the same bytes from every machine and
    Python, whatever the temporary file was called."""
    wasm = tmp_path / "v86.wasm"
    wasm.write_bytes(b"\0asm" * 1000)
    gz = browser_vm._gzipped(wasm).read_bytes()
    assert gz[:10] == b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    assert gzip.decompress(gz) == wasm.read_bytes()
