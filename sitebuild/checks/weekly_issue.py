"""File the weekly check's report as ONE GitHub issue, kept up to date with the GitHub CLI (`gh`).

The weekly job runs `make linkcheck REPORT=FILE` (links, quoted words, checked dates), then this:

* the check found something: the open issue titled TITLE gets the new report as its body, or is
  created when there is none, so a problem that lasts weeks is one issue, not one a week;
* the check passed: an open issue gets a comment saying so and is closed;
* the check crashed before writing a report: the body says so and links the run.

Standard library only, and every GitHub call goes through `gh` (GH_TOKEN and GH_REPO come from
the workflow), so a test can put a fake `gh` on PATH and watch what would be done.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

TITLE = "Weekly check: broken links, moved sources, stale pages"
BODY_LIMIT = 60_000  # GitHub refuses an issue body over 65,536 characters


def gh(*args: str) -> str:
    proc = subprocess.run(["gh", *args], capture_output=True, text=True, timeout=120)
    if proc.returncode:
        raise SystemExit(f"weekly_issue: `gh {' '.join(args[:2])}` failed: {proc.stderr.strip()}")
    return proc.stdout


def run_url() -> str:
    """This workflow run's page (GitHub Actions sets the three variables), or "" elsewhere."""
    parts = [os.environ.get(k) for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID")]
    if not all(parts):
        return ""
    server, repository, run_id = parts
    return f"{server}/{repository}/actions/runs/{run_id}"


def body(report: Path) -> str:
    url = run_url()
    run = f"\n\nFrom [this run]({url})." if url else ""
    if not report.is_file():
        return f"The weekly check stopped before writing its report ({report}); see its log.{run}"
    text = report.read_text(encoding="utf-8").rstrip()
    if len(text) > BODY_LIMIT:
        text = (
            text[:BODY_LIMIT].rsplit("\n", 1)[0]
            + "\n\n(Cut short: the whole report is in the run's log.)"
        )
    return text + run + "\n"


def open_issue(title: str) -> int | None:
    """The number of the open issue with exactly this title that a workflow filed, if any."""
    listed = gh(
        # --app: issues the workflow's own token filed are authored by the GitHub Actions app
        # (gh manual, `gh issue list --app`).
        *("issue", "list", "--state", "open", "--app", "github-actions"),
        *("--limit", "100", "--json", "number,title"),
    )
    numbers = [i["number"] for i in json.loads(listed or "[]") if i["title"] == title]
    return min(numbers) if numbers else None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="weekly_issue", description=__doc__.split("\n\n")[0])
    parser.add_argument("report", type=Path, help="the Markdown report `make linkcheck` wrote")
    parser.add_argument(
        "--outcome",
        required=True,
        choices=["success", "failure"],
        help="how the check ended (the workflow's steps.<id>.outcome)",
    )
    parser.add_argument("--title", default=TITLE)
    args = parser.parse_args(argv)

    number = open_issue(args.title)
    if args.outcome == "success":
        if number is not None:
            note = "The weekly check found nothing wrong this time; closing." + (
                f" ([run]({run_url()}))" if run_url() else ""
            )
            gh("issue", "comment", str(number), "--body", note)
            gh("issue", "close", str(number))
            print(f"weekly_issue: closed #{number}")
        else:
            print("weekly_issue: nothing to report")
        return 0

    text = body(args.report)
    if number is None:
        created = gh("issue", "create", "--title", args.title, "--body", text)
        print(f"weekly_issue: filed {created.strip()}")
    else:
        gh("issue", "edit", str(number), "--body", text)
        print(f"weekly_issue: updated #{number}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
