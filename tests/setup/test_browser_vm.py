"""The browser VM's saved state is a build product like any other: the same bytes from every boot
(sitebuild/vm/browser_vm_state.mjs runs the guest on a virtual clock), so two clean builds of a
commit serve the same vm/state.bin.zst and vm/manifest.json, and the state the browser tests resume
(tests/browser/test_vm.py) is the one any clean build makes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sitebuild.vm import browser_vm


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
