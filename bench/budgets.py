"""Every budget of the project, in one table: `make bench` reports against it, and the figure test
(tests/figures/test_figures.py) asserts the figure size from it. Change a limit here only.

Pure (no I/O): tests/bench/test_bench.py checks the verdicts without building anything.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from bench.stats import KB, Budget, at_least, at_most

LIGHTHOUSE_CATEGORIES = ["performance", "accessibility", "best-practices", "seo"]


@dataclass(frozen=True)
class Limit:
    """One budget: what it limits, the limit, its unit ("score", "KB", "s", "x")."""

    name: str
    limit: float
    unit: str
    before: str = ""  # what it measured before the work that set this budget, for comparison

    @property
    def higher_is_better(self) -> bool:
        return self.unit == "score"


# The table (medians of BENCH_RUNS runs, Lighthouse 12.2.3 mobile, gzip, as make bench runs).
LIMITS: dict[str, Limit] = {
    **{
        f"lighthouse_{category}": Limit(f"Lighthouse {category} (worst page)", 100, "score")
        for category in LIGHTHOUSE_CATEGORIES
    },
    "first_visit": Limit("first visit, gzip, without figures (heaviest page)", 150 * KB, "KB"),
    "figure": Limit("each figure, gzip (largest)", 40 * KB, "KB"),
    # The figure cache should make figures free: a warm build within 5 % of one without them.
    "warm_build": Limit("warm build / build without figures (medians)", 1.05, "x"),
    "markdown_edit": Limit("Markdown edit to browser (median)", 1.0, "s"),
    # The "Try it in your browser" VM: what a reader waits for and downloads after "Start" (issue
    # 24; `before`: its measurements with Debian 12's generic 686 kernel, 128 MB, no slowdown runs).
    "vm_resume_bytes": Limit(
        "Try it: bytes for a resume, on the wire", 3_000 * KB, "KB", "10.7-10.9 MB"
    ),
    "vm_resume": Limit("Try it: resume to a prompt", 0.5, "s", "0.34-0.56 s"),
    "vm_resume_slow": Limit(
        "Try it: resume to a prompt, 4x CPU slowdown", 2.0, "s", "not measured"
    ),
    "vm_cold_boot": Limit("Try it: cold boot to a prompt", 3.0, "s", "9.3-12.5 s"),
    "vm_step_slow": Limit("Try it: slowest step, 4x CPU slowdown", 2.0, "s", "not measured"),
}

FIGURE_GZIP_BYTES = int(LIMITS["figure"].limit)


def judge(key: str, measured: float | None, where: str = "") -> Budget:
    """The verdict of budget `key` on `measured`; `where` names the worst page or figure."""
    spec = LIMITS[key]
    if spec.higher_is_better:
        budget = at_least(spec.name, measured, spec.limit)
    else:
        budget = at_most(spec.name, measured, spec.limit, spec.unit)
    if where and measured is not None:
        budget = Budget(budget.name, budget.limit, f"{budget.measured} {where}", budget.met)
    return replace(budget, before=spec.before)


def _median(entry: dict[str, Any] | None) -> float | None:
    return entry["median"] if entry else None


def check(results: dict[str, Any]) -> list[Budget]:
    """Every budget against what a bench run measured; a stage that did not run reads
    "not measured"."""
    found: list[Budget] = []
    lighthouse = results.get("lighthouse") or {}
    for category in LIGHTHOUSE_CATEGORIES:
        medians = [
            (entry[category]["median"], f"on /{page} {preset}")
            for page, presets in lighthouse.items()
            for preset, entry in presets.items()
        ]
        worst = min(medians, default=(None, ""))
        found.append(judge(f"lighthouse_{category}", *worst))
    pages = results.get("pages") or {}
    heaviest = max(pages.items(), key=lambda item: item[1]["gzip_without_figures"], default=None)
    found.append(
        judge("first_visit", heaviest[1]["gzip_without_figures"], f"on /{heaviest[0]}")
        if heaviest
        else judge("first_visit", None)
    )
    figures = results.get("figures") or {}
    largest = max(figures.items(), key=lambda item: item[1]["gzip"], default=None)
    found.append(
        judge("figure", largest[1]["gzip"], f"({largest[0]})") if largest else judge("figure", None)
    )
    wall = (results.get("builds") or {}).get("wall") or {}
    warm, bare = _median(wall.get("warm")), _median(wall.get("no_figures"))
    found.append(judge("warm_build", warm / bare if warm and bare else None))
    found.append(judge("markdown_edit", _median((results.get("edits") or {}).get("markdown"))))
    vm = {row["name"]: row["value"] for row in results.get("vm") or []}
    # Results from before the wire was measured count the files' own bytes.
    found.append(
        judge("vm_resume_bytes", vm.get("resume bytes on the wire", vm.get("resume bytes")))
    )
    found.append(judge("vm_resume", vm.get("resume to prompt")))
    found.append(judge("vm_resume_slow", vm.get("resume to prompt, 4x slowdown")))
    found.append(judge("vm_cold_boot", vm.get("cold boot")))
    found.append(judge("vm_step_slow", vm.get("slowest step, 4x slowdown")))
    return found
