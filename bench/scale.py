"""Bench stage: how build time grows with the site. The site at 1x, 4x and 16x its pages and
figures, made from copies in a scratch tree, each built cold (empty figure cache) and warm.

Copy k of the docs lives under docs/copy-k/ with its own nav section, and copy k of each diagram
script is diagrams/NAME_ck.py with one comment line more (the figure cache is keyed by content,
so an identical copy would come from the cache), and copied pages point at their own figures.
The slope between 1x and 16x is the cost of one more page and one more figure.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

import yaml

from bench.harness import BenchError, log, timed_build
from sitebuild.project import config_as_written

FACTORS = (1, 4, 16)
MARKER = re.compile(
    r"^(?P<head>[ \t]*\[\[figure[ \t]+)(?P<name>[^\]\s]+)(?P<tail>[ \t]*\]\])", re.M
)
STAGE_TIMER = Path(__file__).with_name("stage_timer.py")


def prefixed_nav(nav: Any, prefix: str) -> Any:
    """`nav` with every page path under `prefix` (titles and external links unchanged)."""
    if isinstance(nav, list):
        return [prefixed_nav(item, prefix) for item in nav]
    if isinstance(nav, dict):
        return {title: prefixed_nav(value, prefix) for title, value in nav.items()}
    if isinstance(nav, str) and "://" not in nav:
        return f"{prefix}/{nav}"
    return nav


def scale_project(source: Path, dest: Path, factor: int) -> dict[str, Any]:
    """A copy of the project at `dest` with `factor` copies of its docs and diagrams; writes
    mkdocs.scale.yml there (the site's config, its nav repeated, bench's stage timer added)."""
    shutil.copytree(source, dest, symlinks=True, ignore=shutil.ignore_patterns(".cache"))
    docs, diagrams = dest / "docs", dest / "diagrams"
    pages = sorted(p for p in docs.rglob("*.md"))
    scripts = sorted(p for p in diagrams.glob("*.py") if not p.name.startswith("_"))
    config = config_as_written(dest)
    nav = list(config.get("nav") or [])
    for k in range(2, factor + 1):
        for script in scripts:
            copy = script.with_name(f"{script.stem}_c{k}.py")
            copy.write_text(script.read_text() + f"\n# copy {k} for bench's scale run\n")
        for page in pages:
            copy = docs / f"copy-{k}" / page.relative_to(docs)
            copy.parent.mkdir(parents=True, exist_ok=True)
            copy.write_text(MARKER.sub(rf"\g<head>\g<name>-c{k}\g<tail>", page.read_text()))
        nav.append({f"Copy {k}": prefixed_nav(config.get("nav") or [], f"copy-{k}")})
    hooks = [*config.get("hooks", []), str(STAGE_TIMER)]
    scaled = {"INHERIT": "mkdocs.yml", "nav": nav, "hooks": hooks}
    (dest / "mkdocs.scale.yml").write_text(yaml.safe_dump(scaled, sort_keys=False))
    return {"pages": len(pages) * factor, "figures": len(scripts) * factor}


def timed_stages(project: Path, site: Path, cache: Path) -> dict[str, float]:
    stages = project / "stages.json"
    os.environ["BENCH_STAGES"] = str(stages)  # the stage timer hook writes here
    wall, cpu = timed_build(project, site, cache, "mkdocs.scale.yml", strict=False)
    if not stages.exists():
        raise BenchError(f"the stage timer wrote nothing; is {STAGE_TIMER} in the hooks?")
    return {"wall": wall, "cpu": cpu, "stages": json.loads(stages.read_text())}


def bench_scale(project: Path, work: Path) -> dict[str, Any]:
    """Per factor: pages, figures, one cold and one warm build with their stage times."""
    results: dict[str, Any] = {}
    for factor in FACTORS:
        tree = Path(tempfile.mkdtemp(dir=work, prefix=f"scale-{factor}x-"))
        scaled = tree / "project"
        counts = scale_project(project, scaled, factor)
        cache = tree / "cache"
        cache.mkdir()
        log(
            f"scale {factor}x: {counts['pages']} pages, {counts['figures']} figures, cold then warm"
        )
        cold = timed_stages(scaled, tree / "site", cache)
        warm = timed_stages(scaled, tree / "site", cache)
        results[str(factor)] = {**counts, "cold": cold, "warm": warm}
        shutil.rmtree(tree)
    return results


FIGURE_STAGE = "figures (gen-files)"


def slopes(scale: dict[str, Any]) -> dict[str, float] | None:
    """Seconds per extra page (warm builds' wall time: no figure is rendered) and per extra
    figure (the figure stage, cold minus warm, timed inside the build so start-up and the rest of
    the machine weigh less), between the smallest and the largest factor."""
    factors = sorted(scale, key=int)
    if len(factors) < 2:
        return None
    small, large = scale[factors[0]], scale[factors[-1]]
    pages = large["pages"] - small["pages"]
    figures = large["figures"] - small["figures"]

    def rendering(f: dict[str, Any]) -> float:
        return f["cold"]["stages"].get(FIGURE_STAGE, 0.0) - f["warm"]["stages"].get(
            FIGURE_STAGE, 0.0
        )

    return {
        "per_page": (large["warm"]["wall"] - small["warm"]["wall"]) / pages if pages else 0.0,
        "per_page_cpu": (large["warm"]["cpu"] - small["warm"]["cpu"]) / pages if pages else 0.0,
        "per_figure": (rendering(large) - rendering(small)) / figures if figures else 0.0,
    }
