"""Bench stage: an edit under `mkdocs serve --livereload` (as `make serve` runs it), timed from
the saved file until the server sends the new bytes, for a Markdown page and a diagram script."""

from __future__ import annotations

import ast
import contextlib
import os
import random
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from bench.builds import figure_names
from bench.harness import (
    RUNS,
    BenchError,
    build_env,
    fetch,
    free_port,
    log,
    running,
    wait_for_url,
)
from bench.stats import seconds, summarise

SVG = "{http://www.w3.org/2000/svg}"


def poll_until(url: str, marker: str, limit: float = 60, absent: str | None = None) -> float:
    """Seconds until `url` serves a body containing `marker` (and not `absent`), polling every
    10 ms. mkdocs serve holds requests while it rebuilds, so this sees each finished build."""
    start = time.perf_counter()
    needle, gone = marker.encode(), absent and absent.encode()
    while time.perf_counter() - start < limit:
        with contextlib.suppress(OSError):
            status, body = fetch(url, timeout=limit)
            if status == 200 and needle in body and not (gone and gone in body):
                return time.perf_counter() - start
        time.sleep(0.01)
    raise BenchError(f"{url} never showed the edit {marker or absent!r} within {limit:.0f} s")


def settle() -> None:
    """Pause between edits for a random 0.5-1 s. mkdocs serve notices changes by polling the
    files (every 0.1 s with hooks/serve.py, 0.5 s without); a fixed pause would lock each edit to
    the same point of that cycle and measure one lucky (or unlucky) delay instead of what an
    author meets on average."""
    time.sleep(random.uniform(0.5, 1.0))


def rebuild_times(serve_log: Path) -> list[float]:
    """Seconds of each build mkdocs serve logged ("Documentation built in 0.52 seconds")."""
    found = []
    for line in serve_log.read_text(errors="replace").splitlines():
        words = line.split()
        if "Documentation built in" in line and words[-1] == "seconds":
            found.append(float(words[-2]))
    return found


def label_literal(script: str, svg: bytes) -> ast.Constant | None:
    """A string literal in a diagram script that the rendered SVG shows as a whole text line.

    Rewriting it changes what the figure draws, so bench can tell the new figure from the old.
    """
    shown = {el.text for el in ET.fromstring(svg).iter(f"{SVG}text") if el.text}
    for node in ast.walk(ast.parse(script)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            value = node.value
            if value in shown and 2 < len(value) < 60 and "\n" not in value:
                return node
    return None


def replace_literal(script: str, node: ast.Constant, value: str) -> str:
    """`script` with exactly the literal `node` (not another copy of its text) set to `value`."""
    lines = script.splitlines(keepends=True)

    def offset(line: int, col: int) -> int:  # ast columns count UTF-8 bytes
        text = lines[line - 1]
        return sum(map(len, lines[: line - 1])) + len(text.encode()[:col].decode())

    start = offset(node.lineno, node.col_offset)
    end = offset(node.end_lineno or node.lineno, node.end_col_offset or 0)
    return script[:start] + repr(value) + script[end:]


def bench_edits(project: Path, work: Path, warm_cache: Path, site_path: str) -> dict[str, Any]:
    """Under `mkdocs serve --livereload` (as `make serve` runs it): a Markdown edit until the new
    HTML is served, and a diagram-script edit until the new figure is served."""
    port = free_port()
    base = f"http://127.0.0.1:{port}{site_path}"
    command = [sys.executable, "-m", "mkdocs", "serve", "--livereload"]
    command += ["--dev-addr", f"127.0.0.1:{port}"]
    results: dict[str, Any] = {}
    serve_log = work / "serve.log"
    with running(command, project, build_env(warm_cache), serve_log) as server:
        wait_for_url(base, server, "mkdocs serve", limit=300)
        time.sleep(1)  # let the watcher settle after the first build

        page = project / "docs" / "index.md"
        original = page.read_text()
        samples = []
        builds_before = len(rebuild_times(serve_log))
        for run in range(RUNS):
            marker = f"bench-edit-{os.getpid()}-{run}"
            page.write_text(f"{original}\n\n{marker}\n")
            samples.append(poll_until(base, marker))
            settle()
        rebuilds = rebuild_times(serve_log)[builds_before:]
        results["rebuild"] = summarise(rebuilds) if rebuilds else None
        page.write_text(original)
        poll_until(base, "", absent=marker)
        results["markdown"] = summarise(samples)
        log(f"Markdown edit to browser: median {seconds(results['markdown']['median'])}")

        results["diagram"] = None
        for name in figure_names(project):
            script = project / "diagrams" / f"{name.replace('-', '_')}.py"
            source = script.read_text()
            status, svg = fetch(f"{base}figures/{name}.svg")
            literal = label_literal(source, svg) if status == 200 else None
            if literal is None:
                continue
            samples = []
            for run in range(RUNS):
                marker = f"{literal.value} {run}x"
                script.write_text(replace_literal(source, literal, marker))
                samples.append(poll_until(f"{base}figures/{name}.svg", marker))
                settle()
            script.write_text(source)
            poll_until(f"{base}figures/{name}.svg", "", absent=marker)
            results["diagram"] = {"figure": name, "label": literal.value, **summarise(samples)}
            log(f"diagram edit to browser ({name}): median {seconds(results['diagram']['median'])}")
            break
    return results
