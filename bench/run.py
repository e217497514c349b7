"""`make bench`: how fast the site builds and reloads, how much a first visit costs, Lighthouse,
and how build time grows with the site, each reported against bench/budgets.py. Prints tables
and writes bench/results.json.

Everything runs in a scratch copy of the project under a temporary directory; the repository is
only read. BENCH_RUNS (default 5) sets how many times each timing and each Lighthouse audit runs;
each line reports the median with min and max, beside its baseline measured in the same run.
BENCH (default: all) picks stages, comma-separated: builds, edits, figures, pages, lighthouse,
vm, scale (`make bench BENCH=scale`). Budgets are reported, never enforced: the exit status is 0
unless something failed to run.

The stages live in their own modules: builds.py (builds and figure renders), edits.py (serve),
pages.py (nginx and first visits), lighthouse.py, vm.py (the browser VM), scale.py; report.py
draws the tables.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.budgets import check
from bench.builds import bench_builds, bench_figures
from bench.edits import bench_edits
from bench.harness import RUNS, BenchError, log, timed_build
from bench.lighthouse import LIGHTHOUSE, bench_lighthouse
from bench.pages import first_visits, nginx_serving, site_pages
from bench.report import tables
from bench.scale import bench_scale
from bench.vm import measure as bench_vm
from bench.vm import write_record as write_vm_record
from sitebuild.project import CHROMIUM, REPO, SITE_PATH, copy_project

RESULTS = REPO / "bench" / "results.json"
STAGES = ["builds", "edits", "figures", "pages", "lighthouse", "vm", "scale"]


def chosen_stages(value: str | None) -> list[str]:
    """The stages named in BENCH (all when unset or empty), in the order they run."""
    if not value:
        return list(STAGES)
    wanted = {name.strip() for name in value.split(",") if name.strip()}
    unknown = sorted(wanted - set(STAGES))
    if unknown:
        raise BenchError(
            f"BENCH={value}: no stage {', '.join(unknown)}; stages: {', '.join(STAGES)}"
        )
    return [name for name in STAGES if name in wanted]


def versions() -> dict[str, str]:
    def first_line(command: list[str]) -> str:
        result = subprocess.run(command, capture_output=True, text=True)
        return (result.stdout or result.stderr).strip().splitlines()[0]

    return {
        "python": platform.python_version(),
        "cpus": str(os.cpu_count()),
        "chromium": first_line([CHROMIUM, "--version"]),
        "nginx": first_line([shutil.which("nginx") or "/usr/sbin/nginx", "-v"]),
        "lighthouse": first_line([str(LIGHTHOUSE), "--version"]),
        "graphviz": first_line(["dot", "-V"]),
    }


def save(results: dict[str, Any]) -> None:
    """Write what has been measured so far, so a failure late in the run keeps the rest."""
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")


@contextlib.contextmanager
def stage(results: dict[str, Any], name: str) -> Iterator[None]:
    """Time one stage of the bench, then save everything measured so far."""
    start = time.perf_counter()
    yield
    results.setdefault("stage_seconds", {})[name] = round(time.perf_counter() - start, 1)
    save(results)


def main() -> int:
    started = time.perf_counter()
    chosen = chosen_stages(os.environ.get("BENCH"))
    # Every build here (copies included) reuses the browser VM's kernel, saved state and guest
    # packages from the guest cache, which lives outside any clone (sitebuild/vm/guest.py): keyed by
    # their inputs, they are no part of what a page or figure costs.
    # Other work on the machine skews timings; the load average says how busy it was.
    results: dict[str, Any] = {
        "complete": False,
        "runs": RUNS,
        "stages": chosen,
        "versions": versions(),
        "load": [os.getloadavg()],
    }
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        work = Path(tmp)
        project = copy_project(work / "project")
        (project / ".cache").unlink(missing_ok=True)  # never share the repository's figure cache
        warm_cache = work / "warm-cache"
        warm_cache.mkdir()

        if "builds" in chosen:
            with stage(results, "builds"):
                results["builds"] = bench_builds(project, work, warm_cache)
        if "edits" in chosen:
            with stage(results, "edits"):
                results["edits"] = bench_edits(project, work, warm_cache, SITE_PATH)
        if {"figures", "pages", "lighthouse", "vm"} & set(chosen):
            site = work / "site"
            timed_build(project, site, warm_cache)
            with nginx_serving(site, work, SITE_PATH) as url:
                pages = site_pages(site)
                if "figures" in chosen:
                    with stage(results, "figures"):
                        results["figures"] = bench_figures(project, work, url)
                if "pages" in chosen:
                    log(f"first visits to {len(pages)} pages in Chromium")
                    with stage(results, "first visits"):
                        results["pages"] = first_visits(url, pages, SITE_PATH)
                if "lighthouse" in chosen:
                    with stage(results, "lighthouse"):
                        results["lighthouse"] = bench_lighthouse(url, pages, work)
                if "vm" in chosen:
                    log("the Try it in your browser VM: resume with every step, then a cold boot")
                    with stage(results, "vm"):
                        results["vm"] = bench_vm(url + "try-it/")
                    write_vm_record(results["vm"])
        if "scale" in chosen:
            with stage(results, "scale"):
                results["scale"] = bench_scale(project, work)
    results["load"].append(os.getloadavg())
    results["budgets"] = [b.as_dict() for b in check(results)]
    results["seconds"] = round(time.perf_counter() - started, 1)
    results["complete"] = True
    save(results)
    print(tables(results))
    stages = ", ".join(f"{name} {sec:.0f} s" for name, sec in results["stage_seconds"].items())
    print(f"\nbench took {results['seconds']:.0f} s ({stages}); results in bench/results.json")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as error:
        print(f"bench: {error}", file=sys.stderr)
        sys.exit(1)
