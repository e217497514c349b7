"""Bench stages on the build: cold, warm and no-figure builds, and each figure's render time."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

from bench.harness import RUNS, BenchError, fetch, log, timed_build
from bench.stats import summarise
from sitebuild.project import config_as_written, mkdocs_env


def plugin_name(entry: str | dict[str, Any]) -> str:
    return entry if isinstance(entry, str) else next(iter(entry))


FIGURE_EXTENSION = "sitebuild.figures.markdown"
NO_FIGURES_SCRIPT = "bench_generate_no_figures.py"
NO_FIGURES = """from sitebuild import generate
generate.under_gen_files(lambda root, write: (generate.chart(write), generate.browser_vm(write)))
"""


def write_no_figures_config(project: Path) -> Path:
    """A config that INHERITs mkdocs.yml with the figure pipeline switched off: gen-files
    generating all but the figures (NO_FIGURES_SCRIPT) and no FIGURE_EXTENSION (it expands
    `[[figure NAME]]`, rendering on a cache miss), so those lines stay plain text and the
    post-build pass finds no Source to fill. hooks/figures.py stays: it only spares pages
    without an image glightbox's script, which both builds should do alike.

    MkDocs replaces lists when it merges an inherited config, so the child repeats every other
    plugin, hook and Markdown extension. It is the baseline that makes the figure cost a ratio.
    """
    config = config_as_written(project)
    plugins = []
    for plugin in config.get("plugins", []):
        if plugin_name(plugin) == "gen-files":
            # Keep the other generated files (the start-up chart, the browser VM's files): only
            # the figures are what this baseline leaves out.
            (project / NO_FIGURES_SCRIPT).write_text(NO_FIGURES)
            plugin = {"gen-files": {**plugin["gen-files"], "scripts": [NO_FIGURES_SCRIPT]}}
        plugins.append(plugin)
    extensions = [
        e for e in config.get("markdown_extensions", []) if plugin_name(e) != FIGURE_EXTENSION
    ]
    child = {"INHERIT": "mkdocs.yml", "plugins": plugins}
    child["markdown_extensions"] = extensions
    path = project / "mkdocs.no-figures.yml"
    # yaml.Dumper, not safe_dump: an extension's settings may name a Python object (the emoji
    # index), which it writes back as the `!!python/name:` tag mkdocs.yml has.
    path.write_text(yaml.dump(child, Dumper=yaml.Dumper))
    return path


def bench_builds(project: Path, work: Path, warm_cache: Path) -> dict[str, Any]:
    """Cold, warm and no-figure builds, interleaved so any drift in the machine hits all three.
    Wall-clock summaries under "wall", CPU-time ones under "cpu"."""
    no_figures = write_no_figures_config(project).name
    log("priming the warm figure cache")
    timed_build(project, work / "prime-site", warm_cache)
    wall: dict[str, list[float]] = {"cold": [], "warm": [], "no_figures": []}
    cpu: dict[str, list[float]] = {"cold": [], "warm": [], "no_figures": []}
    for run in range(RUNS):
        log(f"builds, run {run + 1} of {RUNS}: cold, warm, no figures")
        cold_cache = Path(tempfile.mkdtemp(dir=work, prefix="cold-cache-"))
        runs = {
            "cold": timed_build(project, work / "cold-site", cold_cache),
            "warm": timed_build(project, work / "warm-site", warm_cache),
            "no_figures": timed_build(
                project, work / "nofig-site", warm_cache, no_figures, strict=False
            ),
        }
        shutil.rmtree(cold_cache)
        for name, (seconds_wall, seconds_cpu) in runs.items():
            wall[name].append(seconds_wall)
            cpu[name].append(seconds_cpu)
    return {
        "wall": {name: summarise(values) for name, values in wall.items()},
        "cpu": {name: summarise(values) for name, values in cpu.items()},
    }


def figure_names(project: Path) -> list[str]:
    """Figure names as the build publishes them: the script's stem with _ turned into -
    (scripts starting with _ are helpers, not figures)."""
    scripts = (project / "diagrams").glob("*.py")
    return sorted(p.stem.replace("_", "-") for p in scripts if not p.name.startswith("_"))


def render_times(project: Path, script: Path, work: Path) -> list[float]:
    """Seconds the figure pipeline takes to render `script`: draw, Graphviz, SVG finishing."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.render_timer",
            str(project),
            str(script),
            str(RUNS),
            str(work),
        ],
        cwd=project,
        env=mkdocs_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    if result.returncode != 0:
        raise BenchError(
            f"rendering {script.name} failed; `python diagrams/{script.name}` shows why:\n"
            f"{result.stderr[-2000:]}"
        )
    return json.loads(result.stdout.splitlines()[-1])


def bench_figures(project: Path, work: Path, site_url: str) -> dict[str, Any]:
    """Per figure: render time (median of RUNS, each on an empty cache), bytes raw and gzip."""
    figures: dict[str, Any] = {}
    for name in figure_names(project):
        script = project / "diagrams" / f"{name.replace('-', '_')}.py"
        log(f"figure {name}: {RUNS} renders")
        renders = render_times(project, script, work)
        status, raw = fetch(f"{site_url}figures/{name}.svg")
        _, sent = fetch(f"{site_url}figures/{name}.svg", gzip_ok=True)
        if status != 200:
            raise BenchError(f"figure {name} is not in the built site (figures/{name}.svg)")
        figures[name] = {"render": summarise(renders), "bytes": len(raw), "gzip": len(sent)}
    return figures
