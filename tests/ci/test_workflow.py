"""The GitHub workflow is valid and safe, checked here because GitHub only checks it on push.

action-validator checks it against the workflow schema (a misspelt key fails), zizmor audits it
offline (actions pinned by commit, no credentials left in the checkout, no template injection).
Each check is also shown failing on a planted mistake, so a tool that checks nothing fails here.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
WORKFLOW = REPO / ".github" / "workflows" / "deploy.yml"
ACTION_VALIDATOR = REPO / "node_modules" / ".bin" / "action-validator"
ZIZMOR = Path(sys.executable).with_name("zizmor")
PINNED_CHECKOUT = "actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1"
WORKFLOW_PERMISSIONS = "permissions:\n  contents: read\n"


def validate(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ACTION_VALIDATOR), str(path)], capture_output=True, text=True, timeout=60
    )


def audit(path: Path) -> subprocess.CompletedProcess[str]:
    # --offline: no GitHub API calls (CI has a token, this machine has no network to GitHub).
    return subprocess.run(
        [str(ZIZMOR), "--offline", "--no-progress", "--color=never", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )


def planted(tmp_path: Path, old: str, new: str) -> Path:
    text = WORKFLOW.read_text(encoding="utf-8")
    assert old in text, f"{WORKFLOW} no longer holds {old!r}: update this test"
    path = tmp_path / "deploy.yml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_the_workflow_matches_the_schema() -> None:
    result = validate(WORKFLOW)
    assert result.returncode == 0, f"{WORKFLOW}:\n{result.stdout}{result.stderr}"


def test_a_misspelt_key_fails_the_schema(tmp_path: Path) -> None:
    result = validate(planted(tmp_path, "runs-on: ubuntu-24.04", "runs_on: ubuntu-24.04"))
    assert result.returncode != 0
    assert "Additional property 'runs_on' is not allowed" in result.stdout + result.stderr


def test_zizmor_finds_nothing_in_the_workflow() -> None:
    result = audit(WORKFLOW)
    assert result.returncode == 0, f"{WORKFLOW}:\n{result.stdout}{result.stderr}"
    assert "No findings to report" in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("old", "new", "finding"),
    [
        (PINNED_CHECKOUT, "actions/checkout@v7", "unpinned-uses"),
        ("persist-credentials: false", "fetch-depth: 1", "artipacked"),
        (WORKFLOW_PERMISSIONS, WORKFLOW_PERMISSIONS + "  issues: write\n", "excessive-permissions"),
        (
            '--outcome "$OUTCOME"',
            '--outcome "${{ github.event.head_commit.message }}"',
            "template-injection",
        ),
    ],
    ids=[
        "action-pinned-by-tag",
        "checkout-keeps-credentials",
        "issue-write-for-every-job",
        "commit-message-in-a-shell",
    ],
)
def test_zizmor_fails_on_a_planted_risk(tmp_path: Path, old: str, new: str, finding: str) -> None:
    result = audit(planted(tmp_path, old, new))
    assert result.returncode != 0
    assert f"[{finding}]" in result.stdout + result.stderr


def test_only_the_weekly_job_may_write_issues_and_it_files_the_report() -> None:
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    assert workflow["permissions"] == {"contents": "read"}, "the default stays read-only"
    writers = {
        name for name, job in workflow["jobs"].items() if "issues" in job.get("permissions", {})
    }
    assert writers == {"linkcheck"}, writers
    weekly = workflow["jobs"]["linkcheck"]
    assert weekly["permissions"] == {"contents": "read", "issues": "write"}
    check, filing = weekly["steps"][-2:]
    assert "make linkcheck REPORT=weekly-report.md" in check["run"]
    assert filing["run"].startswith("python3 -m sitebuild.checks.weekly_issue weekly-report.md")
    assert filing["env"]["GH_TOKEN"] == "${{ github.token }}", "the workflow's own token"
    assert filing["env"]["OUTCOME"] == f"${{{{ steps.{check['id']}.outcome }}}}"
    assert filing["if"] == "${{ !cancelled() }}", "a failed check must still file its report"


def test_the_zensical_job_builds_and_compares_and_publishes_nothing() -> None:
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    job = workflow["jobs"]["zensical"]
    assert "permissions" not in job, "the workflow's read-only default is all it needs"
    assert job["if"] == workflow["jobs"]["test"]["if"], "it runs whenever the tests run"
    runs = [step["run"] for step in job["steps"] if "run" in step]
    # compare-zensical depends on build-zensical (Makefile): one command builds both and compares.
    assert runs == ['sudo XDG_CACHE_HOME="$HOME/.cache" make compare-zensical'], runs
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    assert "\ncompare-zensical: build-zensical " in makefile
    uses = [step["uses"].split("@")[0] for step in job["steps"] if "uses" in step]
    assert uses == ["actions/checkout", "actions/cache"], "nothing uploaded, nothing deployed"
    # CI's own entry point stays the developer's command; it runs the comparison as a slow test.
    assert (REPO / ".ci" / "run").read_text(encoding="utf-8").rstrip().endswith("\nmake test")
