"""sitebuild/checks/weekly_issue.py files the weekly report as one issue, without GitHub: a fake
`gh` on PATH records each call and answers `gh issue list` with the open issues the test gives."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sitebuild.checks import weekly_issue
from sitebuild.project import REPO

# Python through /bin/sh: a #! line cannot hold an interpreter path with a space in it, and the
# venv's python is under the clone, which may have one. The script comes on standard input.
FAKE_GH = """#!/bin/sh
exec "{python}" - "$@" <<'GH'
import json, os, sys
with open(os.environ["FAKE_GH_LOG"], "a") as log:
    log.write(json.dumps(sys.argv[1:]) + "\\n")
if sys.argv[1:3] == ["issue", "list"]:
    print(os.environ["FAKE_GH_OPEN"])
elif sys.argv[1:3] == ["issue", "create"]:
    print("https://github.com/o/r/issues/7")
GH
"""


def run(
    tmp_path: Path, outcome: str, open_issues: list[dict[str, object]], report: str | None
) -> tuple[subprocess.CompletedProcess[str], list[list[str]]]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    gh = bin_dir / "gh"
    gh.write_text(FAKE_GH.format(python=sys.executable))
    gh.chmod(0o755)
    log = tmp_path / "gh.log"
    log.unlink(missing_ok=True)
    path = tmp_path / "weekly-report.md"
    path.unlink(missing_ok=True)
    if report is not None:
        path.write_text(report)
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "FAKE_GH_LOG": str(log),
        "FAKE_GH_OPEN": json.dumps(open_issues),
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_REPOSITORY": "o/r",
        "GITHUB_RUN_ID": "42",
    }
    proc = subprocess.run(
        [sys.executable, "-m", "sitebuild.checks.weekly_issue", str(path), "--outcome", outcome],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    calls = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    return proc, calls


REPORT = "# Weekly check of the site's sources\n\n## Quoted words\n\n| a | b |\n"
OURS = {"number": 5, "title": weekly_issue.TITLE}
OTHER = {"number": 3, "title": "Something else"}


def test_a_failed_check_files_a_new_issue_with_the_report_and_the_run(tmp_path: Path) -> None:
    proc, calls = run(tmp_path, "failure", [OTHER], REPORT)
    assert proc.returncode == 0, proc.stderr
    listing = calls[0]
    assert (
        listing[:2] == ["issue", "list"] and listing[listing.index("--app") + 1] == "github-actions"
    )
    create = calls[1]
    assert create[:2] == ["issue", "create"] and len(calls) == 2
    assert create[create.index("--title") + 1] == weekly_issue.TITLE
    body = create[create.index("--body") + 1]
    assert body.startswith(REPORT.rstrip()) and "https://github.com/o/r/actions/runs/42" in body
    assert "filed https://github.com/o/r/issues/7" in proc.stdout


def test_a_failed_check_updates_the_open_issue_rather_than_filing_another(tmp_path: Path) -> None:
    proc, calls = run(tmp_path, "failure", [OTHER, OURS], REPORT)
    assert proc.returncode == 0, proc.stderr
    assert [c[:3] for c in calls[1:]] == [["issue", "edit", "5"]]
    assert calls[1][calls[1].index("--body") + 1].startswith(REPORT.rstrip())


def test_a_check_that_crashed_before_its_report_still_says_so(tmp_path: Path) -> None:
    proc, calls = run(tmp_path, "failure", [], None)
    assert proc.returncode == 0, proc.stderr
    body = calls[1][calls[1].index("--body") + 1]
    assert "stopped before writing its report" in body and "runs/42" in body


@pytest.mark.parametrize(("open_issues", "closed"), [([OURS], True), ([OTHER], False)])
def test_a_clean_check_closes_the_open_issue_and_files_nothing(
    tmp_path: Path, open_issues: list[dict[str, object]], closed: bool
) -> None:
    proc, calls = run(tmp_path, "success", open_issues, "# all fine\n")
    assert proc.returncode == 0, proc.stderr
    expected = [["issue", "comment", "5"], ["issue", "close", "5"]] if closed else []
    assert [c[:3] for c in calls[1:]] == expected


def test_a_failing_gh_is_one_clear_line(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "gh").write_text("#!/bin/sh\necho 'HTTP 401: Bad credentials' >&2\nexit 1\n")
    (bin_dir / "gh").chmod(0o755)
    proc = subprocess.run(
        [sys.executable, "-m", "sitebuild.checks.weekly_issue", "r.md", "--outcome", "failure"],
        cwd=REPO,
        env={**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1
    assert proc.stderr.strip() == (
        "weekly_issue: `gh issue list` failed: HTTP 401: Bad credentials"
    )
