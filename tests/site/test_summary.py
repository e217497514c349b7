"""One summary at the end of `make test`, with a count from every check.

Runs pytest on a tiny project that uses our conftest.py and the modules it imports, as the package
`tests` the way test modules import them, so the hook is tested as CI runs it.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from sitebuild.project import REPO
from tests.support import SUMMARY_KEYS


def _run(tmp_path: Path, keys: list[str], *args: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "tests").mkdir()
    for name in ("__init__.py", "conftest.py", "support.py", "markers.py"):
        shutil.copy2(REPO / "tests" / name, tmp_path / "tests" / name)
    (tmp_path / "pytest.ini").write_text("[pytest]\ntestpaths = tests\n")
    calls = "".join(f"    report({key!r}, {n})\n" for n, key in enumerate(keys, start=1))
    (tmp_path / "tests" / "test_counts.py").write_text(
        f"from tests.support import report\n\n\ndef test_counts():\n{calls}    assert True\n"
    )
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_summary_is_the_last_line_and_lists_every_count(tmp_path: Path) -> None:
    proc = _run(tmp_path, SUMMARY_KEYS)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.rstrip().splitlines()
    expected = " | ".join(f"{key}: {n}" for n, key in enumerate(SUMMARY_KEYS, start=1))
    assert lines[-1] == expected, proc.stdout
    assert "site checks" in lines[-2] and "1 passed" in lines[-3], proc.stdout


def test_whole_suite_fails_when_a_check_reports_no_count(tmp_path: Path) -> None:
    proc = _run(tmp_path, [k for k in SUMMARY_KEYS if k != "figures"])
    assert proc.returncode == 1 and "Traceback" not in proc.stdout + proc.stderr, proc.stdout
    assert proc.stdout.rstrip().splitlines()[-1].startswith("no count for: figures"), proc.stdout


def test_a_chosen_subset_of_tests_may_leave_counts_out(tmp_path: Path) -> None:
    proc = _run(tmp_path, ["pages"], "tests/test_counts.py")
    assert proc.returncode == 0, proc.stdout
    assert proc.stdout.rstrip().splitlines()[-1] == "pages: 1", proc.stdout
