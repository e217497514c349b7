"""Bench stage: Lighthouse 12.2.3 (the npm package pinned in package-lock.json) on the pages."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from bench.budgets import LIGHTHOUSE_CATEGORIES as CATEGORIES
from bench.harness import RUNS, BenchError, log
from bench.stats import summarise
from sitebuild.project import CHROMIUM, CHROMIUM_ARGS, REPO

CHROMIUM_FLAGS = ["--headless", *CHROMIUM_ARGS]  # Lighthouse starts Chromium itself
LIGHTHOUSE = REPO / "node_modules" / ".bin" / "lighthouse"


class LighthouseUnscored(BenchError):
    """A Lighthouse run that produced no score for some category; worth running again."""


def lighthouse_once(url: str, preset: str, out: Path) -> dict[str, Any]:
    command = [
        str(LIGHTHOUSE),
        url,
        "--quiet",
        "--output=json",
        f"--output-path={out}",
        f"--only-categories={','.join(CATEGORIES)}",
        f"--chrome-flags={' '.join(CHROMIUM_FLAGS)}",
        # The full-page screenshot feeds the HTML report only (no score), and costs seconds
        # on long pages.
        "--disable-full-page-screenshot",
    ]
    if preset == "desktop":
        command.append("--preset=desktop")
    out.unlink(missing_ok=True)
    env = {**os.environ, "CHROME_PATH": CHROMIUM}
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    if result.returncode != 0 or not out.exists():
        raise BenchError(f"lighthouse failed on {url} ({preset}):\n{result.stderr[-3000:]}")
    report = json.loads(out.read_text())
    if report.get("runtimeError"):
        raise BenchError(f"lighthouse could not audit {url}: {report['runtimeError']}")
    audits = report["audits"]
    unscored = [c for c in CATEGORIES if report["categories"][c]["score"] is None]
    if unscored:
        # A weighted audit errored (a trace Lighthouse could not read): no score, so run again.
        reasons = sorted(
            f"{ref['id']}: {audits[ref['id']].get('errorMessage', 'no score')}"
            for category in unscored
            for ref in report["categories"][category]["auditRefs"]
            if ref["weight"] > 0 and audits[ref["id"]].get("score") is None
        )
        raise LighthouseUnscored(f"{url} ({preset}): no {', '.join(unscored)} score: {reasons}")
    scores = {c: round(report["categories"][c]["score"] * 100) for c in CATEGORIES}
    failing = sorted(
        {
            f"{category}: {ref['id']}"
            for category in CATEGORIES
            if category != "performance"
            for ref in report["categories"][category]["auditRefs"]
            if ref["weight"] > 0
            and (audits[ref["id"]].get("score") or 0) < 1
            and audits[ref["id"]].get("scoreDisplayMode") == "binary"
        }
    )
    return {
        **scores,
        "lcp": audits["largest-contentful-paint"]["numericValue"] / 1000,
        "tbt": audits["total-blocking-time"]["numericValue"] / 1000,
        "cls": audits["cumulative-layout-shift"]["numericValue"],
        "failing": failing,
        "warnings": report.get("runWarnings", []),
        # Lighthouse 12.2.3 cannot read some trace events of a newer Chromium; such audits
        # "error". Harmless for the scores only while none of them carries weight.
        "errored": sorted(
            f"{category}: {ref['id']} (weight {ref['weight']})"
            for category in CATEGORIES
            for ref in report["categories"][category]["auditRefs"]
            if audits[ref["id"]].get("scoreDisplayMode") == "error"
        ),
    }


def lighthouse_scored(url: str, preset: str, work: Path, attempts: int = 3) -> dict[str, Any]:
    """One scored Lighthouse run; an unscored run is retried, and each retry is counted."""
    for attempt in range(1, attempts + 1):
        try:
            return {**lighthouse_once(url, preset, work / "lh.json"), "retries": attempt - 1}
        except LighthouseUnscored as error:
            log(f"lighthouse attempt {attempt} of {attempts}: {error}")
            if attempt == attempts:
                raise
    raise AssertionError("unreachable")


def summarise_runs(runs: list[dict[str, Any]]) -> dict[str, Any]:
    entry: dict[str, Any] = {
        key: summarise([r[key] for r in runs]) for key in [*CATEGORIES, "lcp", "tbt", "cls"]
    }
    entry["failing"] = sorted({a for r in runs for a in r["failing"]})
    entry["warnings"] = sorted({w for r in runs for w in r["warnings"]})
    entry["errored"] = sorted({a for r in runs for a in r["errored"]})
    entry["retries"] = sum(r["retries"] for r in runs)
    return entry


def bench_lighthouse(url: str, pages: list[str], work: Path, worst: int = 3) -> dict[str, Any]:
    """Every page once on mobile; then the home page and the `worst` lowest-scoring others (by
    performance, then blocking time) up to RUNS mobile runs each, and the home page RUNS times
    on desktop. Five runs of each of twenty pages would take most of an hour; one run finds the
    pages worth the other four."""
    mobile: dict[str, list[dict[str, Any]]] = {}
    for number, page_path in enumerate(pages, start=1):
        log(f"lighthouse mobile, every page once: {number} of {len(pages)} (/{page_path})")
        mobile[page_path] = [lighthouse_scored(url + page_path, "mobile", work)]
    ranked = sorted(pages[1:], key=lambda p: (mobile[p][0]["performance"], -mobile[p][0]["tbt"]))
    for page_path in [pages[0], *ranked[:worst]]:
        log(f"lighthouse /{page_path} mobile: {RUNS - 1} more runs")
        mobile[page_path] += [
            lighthouse_scored(url + page_path, "mobile", work) for _ in range(RUNS - 1)
        ]
    results: dict[str, Any] = {page: {"mobile": summarise_runs(mobile[page])} for page in pages}
    log(f"lighthouse /{pages[0]} desktop: {RUNS} runs")
    desktop = [lighthouse_scored(url + pages[0], "desktop", work) for _ in range(RUNS)]
    results[pages[0]]["desktop"] = summarise_runs(desktop)
    return results
