"""The figure pipeline: run diagrams/NAME.py, post-process its SVG, cache the result by content.

Its steps are the modules of this package: draw (run the script, DOT with stable ids), layout
(Graphviz, hermetic) and svg (self-contained, accessible SVG); this module caches and runs them.
Plain Python with no MkDocs in it. Callers: sitebuild/generate.py (every generated file),
sitebuild/figures/markdown.py (a page's `[[figure NAME]]`), `make figure NAME=...` (one figure,
to look at), and any other generator as a pre-build step (`python -m sitebuild.figures`).

Cache: one JSON file per figure version in .cache/figures/ under the project root (or
$FIGURE_CACHE_DIR), named by a hash of the script's bytes, the bytes of every module of the
pipeline (this package and sitebuild/figures/kit.py, which the scripts import), the `diagrams`
version and the Graphviz version (sitebuild.files.key). No version number to remember to bump:
any edit re-renders. Entries are written atomically (sitebuild.files.write_atomic), so a failure
never leaves a partial one.
Each render appends a line to renders.log there: the proof that a warm build renders nothing.
"""

from __future__ import annotations

import argparse
import functools
import importlib.metadata
import json
import logging
import os
import sys
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sitebuild import files
from sitebuild.figures import layout
from sitebuild.files import write_atomic

if TYPE_CHECKING:
    from sitebuild.figures import draw

# The modules that decide a figure's bytes besides its script, read without importing them: the
# kit and `draw` import `diagrams`, which a build whose figures all come from the cache never needs.
# (startup_chart.py, beside them, draws the chart from a lab's output and no diagram depends on it.)
PIPELINE = ("__init__.py", "draw.py", "kit.py", "layout.py", "svg.py")

CACHE_ENV = "FIGURE_CACHE_DIR"
RENDER_LOG = "renders.log"
SCRIPTS_DIR = "diagrams"

log = logging.getLogger(__name__)

# Renders (cache misses) in this process; renders.log counts them across processes.
renders = 0


@dataclass(frozen=True)
class Figure:
    name: str  # e.g. "vm-vs-container-stack"
    script: str  # e.g. "diagrams/vm_vs_container_stack.py", relative to the project root
    title: str
    alt: str
    caption: str
    description: str
    width: int  # CSS pixels
    height: int
    svg: str


class FigureError(Exception):
    """One figure failed: the script (relative path), the line to look at, what went wrong."""

    def __init__(self, script: str, line: int, message: str) -> None:
        super().__init__(f"{script}:{line}: {message}")
        self.script, self.line, self.message = script, line, message


class FigureErrors(Exception):
    """Some figures failed; the others were rendered and cached."""

    def __init__(self, errors: list[FigureError]) -> None:
        lines = "\n".join(f"  {e}" for e in errors)
        super().__init__(
            f"{len(errors)} figure script(s) failed:\n{lines}\n"
            "Fix the script at that line (`make figure NAME=...` renders it alone); "
            "the other figures are rendered and cached."
        )
        self.errors = errors


def figure_name(script: Path) -> str:
    return script.stem.replace("_", "-")


def scripts(root: Path) -> list[Path]:
    """Every figure script, in a stable order. Files starting with `_` are not figures."""
    return sorted(p for p in (root / SCRIPTS_DIR).glob("*.py") if not p.name.startswith("_"))


def script_path(root: Path, name: str) -> Path:
    return root / SCRIPTS_DIR / (name.replace("-", "_") + ".py")


def cache_dir(root: Path) -> Path:
    return Path(os.environ.get(CACHE_ENV) or root / ".cache" / "figures")


def pipeline_modules() -> list[Path]:
    """The code that decides a figure's bytes besides its script: the pipeline and the kit."""
    return [Path(__file__).with_name(name) for name in PIPELINE]


@functools.cache
def _pipeline_digest() -> str:
    """Read once per process: the modules are already imported, so they cannot change under it."""
    return files.key(*(part for m in pipeline_modules() for part in (m.name, m.read_bytes())))


def cache_key(source: bytes) -> str:
    gv = layout.graphviz()
    diagrams = importlib.metadata.version("diagrams")
    return files.key(_pipeline_digest(), diagrams, gv.version, gv.metrics, source)


def _entry(root: Path, name: str, key: str) -> Path:
    return cache_dir(root) / f"{name}-{key[:24]}.json"


def _read_entry(path: Path) -> Figure | None:
    try:
        return Figure(**json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None  # absent (or from an incompatible pipeline): render it


def render(root: Path, paths: Iterable[Path]) -> list[Figure]:
    """The figures of `paths`, from the cache or freshly rendered, in the order given.

    Failures do not stop the others: every good figure is rendered and cached, then
    FigureErrors lists each failure with its script and line.
    """
    global renders
    paths = list(paths)
    figures: dict[Path, Figure] = {}
    todo: list[tuple[Path, str, str, draw.Drawing]] = []
    errors: list[FigureError] = []
    for path in paths:
        rel = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
        try:
            source = path.read_bytes()
        except OSError as e:
            errors.append(FigureError(rel, 1, f"cannot read the script: {e.strerror}"))
            continue
        key = cache_key(source)
        cached = _read_entry(_entry(root, figure_name(path), key))
        if cached is not None:
            figures[path] = cached
            continue
        from sitebuild.figures import draw, svg  # only on a miss: see PIPELINE

        try:
            # Drawing runs the script in this process, one at a time (`diagrams` keeps global
            # state); Graphviz then lays the figures out in parallel below.
            todo.append((path, rel, key, draw.draw(path, source)))
        except draw.ScriptError as e:
            errors.append(FigureError(rel, e.line, e.message))

    def lay_out(job: tuple[Path, str, str, draw.Drawing]) -> Figure | FigureError:
        path, rel, _, drawing = job
        try:
            raw = layout.render_svg(drawing.dot, cwd=root)
            data, width, height = svg.finish(raw, drawing.meta, drawing.titles, cwd=root)
        except (layout.GraphvizError, svg.SvgError) as e:
            return FigureError(rel, drawing.draw_line, str(e))
        meta = asdict(drawing.meta)
        return Figure(figure_name(path), rel, **meta, width=width, height=height, svg=data.decode())

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        for (path, _, key, _), result in zip(todo, pool.map(lay_out, todo), strict=True):
            if isinstance(result, FigureError):
                errors.append(result)
                continue
            entry = _entry(root, result.name, key)
            write_atomic(entry, json.dumps(asdict(result), indent=0).encode())
            with open(entry.parent / RENDER_LOG, "a", encoding="utf-8") as counter:
                counter.write(f"{result.name} {key[:24]}\n")
            renders += 1
            figures[path] = result
    if errors:
        raise FigureErrors(errors)
    return [figures[p] for p in paths if p in figures]


def render_all(root: Path) -> list[Figure]:
    return render(root, scripts(root))


def load(root: Path, name: str) -> Figure:
    """One figure by name (cache first). KeyError if no script in diagrams/ has that name."""
    path = next((p for p in scripts(root) if figure_name(p) == name), None)
    if path is None:
        raise KeyError(name)
    return render(root, [path])[0]


def _project_root(start: Path) -> Path:
    """The nearest directory at or above `start` holding mkdocs.yml (else `start`)."""
    for directory in (start, *start.parents):
        if (directory / "mkdocs.yml").is_file():
            return directory
    return start


def main(argv: list[str] | None = None) -> int:
    """Render figures by name or script path (all when none is given) and print where each is.

    `make figure NAME=...` and `python -m sitebuild.figures` end here; with --out DIR it is the
    pre-build step for a generator that does not run mkdocs-gen-files.
    """
    parser = argparse.ArgumentParser(prog="python -m sitebuild.figures", description=main.__doc__)
    parser.add_argument("figures", nargs="*", help="figure names or script paths (default: all)")
    parser.add_argument("--out", type=Path, help="write NAME.svg there (default: CACHE/preview)")
    parser.add_argument(
        "--update-hashes",
        action="store_true",
        help="rewrite diagrams/figures.sha256 from every figure (when a figure is meant to change)",
    )
    args = parser.parse_args(argv)
    if args.update_hashes:
        from sitebuild.figures import hashes

        try:
            print(hashes.update(_project_root(Path.cwd())))
        except FigureErrors as e:
            print(e, file=sys.stderr)
            return 1
        return 0
    paths = [Path(a).resolve() if a.endswith(".py") else None for a in args.figures]
    start = next((p.parent for p in paths if p is not None), Path.cwd())
    root = _project_root(start)
    targets = [p or script_path(root, a) for p, a in zip(paths, args.figures, strict=True)]
    targets = targets or scripts(root)
    missing = [str(p) for p in targets if not p.is_file()]
    if missing:
        names = ", ".join(figure_name(p) for p in scripts(root))
        print(f"no such figure script: {', '.join(missing)}\nfigures: {names}", file=sys.stderr)
        return 2
    try:
        figures = render(root, targets)
    except FigureErrors as e:
        print(e, file=sys.stderr)
        return 1
    out_dir = args.out or cache_dir(root) / "preview"
    for figure in figures:
        out = out_dir / f"{figure.name}.svg"
        write_atomic(out, figure.svg.encode())
        print(out)
    return 0
