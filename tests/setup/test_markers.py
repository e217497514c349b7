"""Markers tell the truth: a test that starts QEMU, Chromium, a whole-site build or a lab needing
root without its marker fails (tests/markers.py, held by tests/conftest.py), and a run that
leaves tests out says how many of each kind. A program that is not installed is named with its
Debian package.

Proven on a tiny project that uses our conftest.py, with stand-ins for QEMU and Chromium on PATH.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests import markers
from tests.support import REPO

INI = """\
[pytest]
testpaths = tests
addopts = --strict-markers -p no:cacheprovider
markers =
    root: r
    vm: v
    browser: b
    slow: s
"""

TESTS = """\
import subprocess

import pytest


def test_unmarked_starts_qemu():
    subprocess.run(["qemu-system-x86_64", "--version"], check=True)


@pytest.mark.vm
def test_marked_starts_qemu():
    subprocess.run(["qemu-system-x86_64", "--version"], check=True)


def test_unmarked_hides_the_error():
    try:
        subprocess.run(["chromium", "--version"])
    except Exception:
        pass


def test_unmarked_uses_the_strict_build(built_site):
    raise AssertionError("the guard should stop this test before its fixtures start")


def test_unmarked_runs_a_lab_that_needs_root():
    subprocess.run(["true", "scripts/same_kernel.py"], check=True)


def test_unmarked_runs_a_lab_as_nobody():
    from tests.scripts.labkit import Lab, scratch_dir

    with scratch_dir() as scratch:
        Lab("immutable_layers", scratch).run(as_nobody=True)


def test_runs_a_program_that_is_not_installed():
    subprocess.run(["pgrep", "-x", "init"], env={"PATH": "/nonexistent"})
"""


def _project(tmp_path: Path) -> Path:
    tests = tmp_path / "tests"
    tests.mkdir()
    for name in ("__init__.py", "conftest.py", "support.py", "markers.py", "scripts/labkit.py"):
        (tests / name).parent.mkdir(exist_ok=True)
        shutil.copy2(REPO / "tests" / name, tests / name)
    (tests / "scripts" / "__init__.py").touch()
    (tmp_path / "pytest.ini").write_text(INI)
    (tests / "test_guarded.py").write_text(TESTS)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for program in ("qemu-system-x86_64", "chromium"):
        (bin_dir / program).write_text("#!/bin/sh\necho stand-in\n")
        (bin_dir / program).chmod(0o755)
    return tmp_path


def _pytest(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    path = f"{project / 'bin'}{os.pathsep}{os.environ['PATH']}"
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-rA", *args],
        cwd=project,
        env={**os.environ, "PATH": path},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_test_without_the_marker_for_what_it_starts_fails_naming_the_marker(
    tmp_path: Path,
) -> None:
    proc = _pytest(_project(tmp_path))
    out = proc.stdout
    assert proc.returncode == 1, out + proc.stderr
    assert "PASSED tests/test_guarded.py::test_marked_starts_qemu" in out, out
    expected = {
        "test_unmarked_starts_qemu": "needs @pytest.mark.vm: it starts qemu-system-x86_64",
        "test_unmarked_hides_the_error": "needs @pytest.mark.browser: it starts chromium",
        "test_unmarked_uses_the_strict_build": "needs @pytest.mark.slow: it uses the `built_site`",
        "test_unmarked_runs_a_lab_that_needs_root": "needs @pytest.mark.root: it runs "
        "scripts/same_kernel.py, which needs root",
        "test_unmarked_runs_a_lab_as_nobody": "needs @pytest.mark.root: it runs a lab as nobody",
    }
    for test, message in expected.items():
        assert f"tests/test_guarded.py::{test} {message}" in out, (test, out)
    assert "the guard should stop this test" not in out, out
    assert "5 failed, 1 passed, 1 error" in out, out
    assert "left out" not in out, out  # nothing was left out, so no line says so
    assert (
        "pgrep is not installed; install the Debian package procps (`make setup-test` does)" in out
    ), out


def test_a_marker_expression_says_what_it_left_out(tmp_path: Path) -> None:
    project = _project(tmp_path)
    proc = _pytest(project, "-m", "not vm")
    assert "left out: 1 test (1 vm; a test may count under several)" in proc.stdout, proc.stdout
    proc = _pytest(project, "-m", "vm")
    assert proc.returncode == 0, proc.stdout
    assert "left out: 6 tests (6 other; a test may count under several)" in proc.stdout, proc.stdout


@pytest.mark.parametrize(
    ("command", "needs"),
    [
        (["qemu-system-x86_64", "-M", "pc"], {"vm"}),
        ("/usr/bin/qemu-system-i386 -version", {"vm"}),
        (["/usr/bin/chromium", "--headless"], {"browser"}),
        ([".venv/bin/mkdocs", "build", "--strict"], {"slow"}),
        ([sys.executable, "-m", "mkdocs", "serve"], {"slow"}),
        ([sys.executable, "-m", "zensical", "build", "--strict", "-f", "z.yml"], {"slow"}),
        ([sys.executable, "-m", "sitebuild.zensical.build"], {"slow"}),
        ([sys.executable, "-m", "zensical", "--version"], set()),
        (["/usr/bin/python3", str(REPO / "scripts" / "same_kernel.py")], {"root"}),
        (["/usr/bin/python3", str(REPO / "scripts" / "startup_cost.py")], {"root", "vm"}),
        (["/usr/bin/python3", "/tmp/x/scripts/vm_own_kernel.py"], {"vm"}),
        (["/usr/bin/python3", str(REPO / "scripts" / "immutable_layers.py")], set()),
        (["unshare", "--mount", "--", "sh", "-c", "true"], {"root"}),
        (["ip", "netns", "add", "x"], {"root"}),
        (["ip", "-V"], set()),
        (["git", "log", "-1"], set()),
        (["make", "-n", "labs"], set()),
        ([Path("/usr/bin/java"), "-jar", "vnu.jar"], set()),
    ],
)
def test_what_each_command_needs(command: list[object] | str, needs: set[str]) -> None:
    assert set(markers.command_needs(command)) == needs


def test_every_lab_that_checks_for_root_needs_the_root_marker() -> None:
    labs = {p.stem for p in (REPO / "scripts").glob("*.py")}
    root = {lab for lab in labs if "root" in markers.lab_needs(lab)}
    assert root and root < labs, root  # some labs run unprivileged (immutable_layers...)
    assert "immutable_layers" not in root and "same_kernel" in root, root
