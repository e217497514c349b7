"""The "Try it in your browser" VM in Firefox (Debian's firefox-esr), driven by puppeteer-core over
WebDriver BiDi: it resumes from the saved state and two steps of the walk do what the page says.
Chromium runs the whole walk (test_vm.py); this proves the page is not Chromium-only."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.browser]
SCRIPT = Path(__file__).with_name("firefox_vm.mjs")
# Debian's firefox-esr (make setup-test installs it), or Mozilla's firefox where that is installed.
FIREFOX = shutil.which("firefox-esr") or shutil.which("firefox") or "/usr/bin/firefox-esr"


@pytest.mark.timeout(600)
def test_firefox_resumes_the_vm_and_runs_two_steps(site_url: str, tmp_path: Path) -> None:
    assert Path(FIREFOX).exists(), "firefox-esr is missing; run make setup-test"
    proc = subprocess.run(
        ["node", str(SCRIPT), site_url + "try-it/", FIREFOX],
        capture_output=True,
        text=True,
        timeout=540,
        cwd=SCRIPT.parents[2],  # node_modules/ (puppeteer-core) is at the repository's root
        env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert "Firefox/" in out["agent"], out["agent"]
    assert out["times"]["mode"] == "resume"
    assert out["steps"]["vm"].splitlines()[0].startswith("6.12."), out["steps"]["vm"]
    assert "inside: ctr1" in out["steps"]["uts"] and "outside: vm" in out["steps"]["uts"]
