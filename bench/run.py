"""`make bench`: how fast the site builds and reloads, how much a first visit costs, and Lighthouse,
each reported against issue 7's budgets. Prints tables and writes bench/results.json.

Everything runs in a scratch copy of the project under a temporary directory; the repository is
only read. BENCH_RUNS (default 5) sets how many times each timing and each Lighthouse audit runs;
each line reports the median with min and max, beside its baseline measured in the same run.
Budgets are reported, never enforced: the exit status is 0 unless something failed to run.
"""

from __future__ import annotations

import ast
import contextlib
import json
import os
import platform
import random
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from string import Template
from typing import Any
from urllib.parse import urlparse

import yaml

from bench.stats import (
    KB,
    Budget,
    at_least,
    at_most,
    format_table,
    kilobytes,
    median_cell,
    ratio,
    seconds,
    summarise,
    times,
    verdict,
)
from sitebuild.project import (
    CHROMIUM,
    CHROMIUM_ARGS,
    REPO,
    SITE_PATH,
    config_as_written,
    copy_project,
    mkdocs_env,
)

RUNS = int(os.environ.get("BENCH_RUNS", "5"))
RESULTS = REPO / "bench" / "results.json"
CHROMIUM_FLAGS = ["--headless", *CHROMIUM_ARGS]  # Lighthouse starts Chromium itself
LIGHTHOUSE = REPO / "node_modules" / ".bin" / "lighthouse"
CATEGORIES = ["performance", "accessibility", "best-practices", "seo"]
SVG = "{http://www.w3.org/2000/svg}"
# What a first visit fetches, by the browser's resource type; figures are images under figures/.
KINDS = ["html", "css", "js", "font", "figures", "search", "other"]


class BenchError(Exception):
    """Something bench needs did not work; the message says what and what to do."""


class LighthouseUnscored(BenchError):
    """A Lighthouse run that produced no score for some category; worth running again."""


def log(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(url: str, *, gzip_ok: bool = False, timeout: float = 10) -> tuple[int, bytes]:
    """Status and body bytes as sent (gzip-compressed when `gzip_ok` and the server agrees)."""
    headers = {"Accept-Encoding": "gzip"} if gzip_ok else {}
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, b""


def wait_for_url(url: str, process: subprocess.Popen[bytes], what: str, limit: float) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchError(f"{what} exited with status {process.returncode} before serving {url}")
        with contextlib.suppress(OSError):
            if fetch(url, timeout=2)[0] == 200:
                return
        time.sleep(0.1)
    raise BenchError(f"{what} did not serve {url} within {limit:.0f} s")


@contextlib.contextmanager
def running(command: list[str], cwd: Path, env: dict[str, str], log_file: Path) -> Iterator[Any]:
    """Run a server for the duration of a `with` block, then stop exactly that process."""
    with log_file.open("wb") as out:
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


# ---------------------------------------------------------------- the project and its builds


def plugin_name(entry: str | dict[str, Any]) -> str:
    return entry if isinstance(entry, str) else next(iter(entry))


def write_no_figures_config(project: Path) -> Path:
    """A config that INHERITs mkdocs.yml with the figure pipeline switched off: no gen-files
    plugin (it renders diagrams/ into figures/) and no hooks/figures.py (it expands
    `[[figure NAME]]`, rendering on a cache miss), so those marker lines stay as plain text.

    MkDocs replaces lists when it merges an inherited config, so the child repeats every other
    plugin and hook. It is the baseline that makes the figure cost a ratio.
    """
    config = config_as_written(project)
    plugins = [p for p in config.get("plugins", []) if plugin_name(p) != "gen-files"]
    hooks = [h for h in config.get("hooks", []) if Path(h).name != "figures.py"]
    path = project / "mkdocs.no-figures.yml"
    path.write_text(yaml.safe_dump({"INHERIT": "mkdocs.yml", "plugins": plugins, "hooks": hooks}))
    return path


def build_env(cache: Path) -> dict[str, str]:
    return {**mkdocs_env(), "FIGURE_CACHE_DIR": str(cache)}


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_build(
    project: Path, site: Path, cache: Path, config: str = "mkdocs.yml", strict: bool = True
) -> tuple[float, float]:
    """Wall-clock seconds of one `mkdocs build` process, start-up included, as an author waits,
    and the CPU seconds it used: on a busy machine the CPU time is the steadier comparison."""
    command = [sys.executable, "-m", "mkdocs", "build", "-f", config, "--site-dir", str(site)]
    if strict:
        command.append("--strict")
    start, cpu = time.perf_counter(), children_cpu()
    result = subprocess.run(
        command, cwd=project, env=build_env(cache), capture_output=True, text=True, timeout=900
    )
    elapsed, cpu = time.perf_counter() - start, children_cpu() - cpu
    if result.returncode != 0:
        raise BenchError(
            f"`mkdocs build -f {config}` failed in {project}; run `make build` to see why:\n"
            f"{result.stdout[-3000:]}{result.stderr[-3000:]}"
        )
    return elapsed, cpu


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


# ---------------------------------------------------------------- figures


def figure_names(project: Path) -> list[str]:
    """Figure names as the build publishes them: the script's stem with _ turned into -
    (scripts starting with _ are helpers, not figures)."""
    scripts = (project / "diagrams").glob("*.py")
    return sorted(p.stem.replace("_", "-") for p in scripts if not p.name.startswith("_"))


# Runs in a child process: times sitebuild.figures.render() of one script, each time on an empty
# cache, after one untimed render that loads `diagrams` and finds Graphviz. Prints JSON seconds.
RENDER_TIMER = """
import json, os, sys, tempfile, time
from pathlib import Path
from sitebuild import figures
root, script, runs = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
samples = []
for run in range(runs + 1):
    os.environ[figures.CACHE_ENV] = tempfile.mkdtemp(dir=sys.argv[4])
    start = time.perf_counter()
    figures.render(root, [script])
    samples.append(time.perf_counter() - start)
print(json.dumps(samples[1:]))
"""


def render_times(project: Path, script: Path, work: Path) -> list[float]:
    """Seconds the figure pipeline takes to render `script`: draw, Graphviz, SVG finishing."""
    result = subprocess.run(
        [sys.executable, "-c", RENDER_TIMER, str(project), str(script), str(RUNS), str(work)],
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


# ---------------------------------------------------------------- edit-to-browser under serve


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
    files every 0.5 s; a fixed pause would lock each edit to the same point of that cycle and
    measure one lucky (or unlucky) delay instead of what an author meets on average."""
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


# ---------------------------------------------------------------- nginx, browser, Lighthouse


def nginx_mime_types() -> Path:
    """Debian's (or any) nginx names its config path in `nginx -V`; mime.types sits beside it."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    info = subprocess.run([nginx, "-V"], capture_output=True, text=True).stderr
    for word in info.split():
        if word.startswith("--conf-path="):
            path = Path(word.split("=", 1)[1]).parent / "mime.types"
            if path.exists():
                return path
    raise BenchError("nginx's mime.types not found; install nginx (make bench does) and retry")


@contextlib.contextmanager
def nginx_serving(site: Path, work: Path, site_path: str) -> Iterator[str]:
    """Serve `site` under `site_path` on a loopback port with gzip on; yields the site's URL."""
    prefix = work / "nginx"
    www = prefix / "www"
    shutil.copytree(site, www / site_path.strip("/"))
    (prefix / "tmp").mkdir()
    # Run as root, nginx's workers drop to `nobody`, who must be able to read the site.
    for path in [work, *work.rglob("*")]:
        if path.is_dir():
            path.chmod(0o755)
    port = free_port()
    conf = Template((REPO / "bench" / "nginx.conf.template").read_text()).substitute(
        mime_types=nginx_mime_types(), port=port, www=www, base_path=site_path
    )
    (prefix / "nginx.conf").write_text(conf)
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    command = [nginx, "-p", str(prefix), "-c", "nginx.conf", "-e", "error.log"]
    url = f"http://127.0.0.1:{port}{site_path}"
    with running(command, prefix, dict(os.environ), prefix / "nginx.out") as server:
        wait_for_url(url, server, "nginx", limit=20)
        yield url


def site_pages(site: Path) -> list[str]:
    """Every page of the built site as a path relative to the site root ("" is the home page)."""
    pages = []
    for html in sorted(site.rglob("*.html")):
        relative = html.relative_to(site).as_posix()
        if relative != "404.html":
            pages.append(relative.removesuffix("index.html"))
    return sorted(pages, key=lambda page: (page != "", page))  # the home page first


def kind_of(resource_type: str, path: str, site_path: str) -> str:
    if resource_type == "document":
        return "html"
    if resource_type == "stylesheet":
        return "css"
    if resource_type == "script":
        return "js"
    if resource_type == "font":
        return "font"
    if resource_type == "image" and path.startswith(f"{site_path}figures/"):
        return "figures"
    if path == f"{site_path}search/search_index.json":
        return "search"  # Material's search worker fetches the whole index on every first visit
    return "other"


def first_visit(browser: Any, url: str, site_path: str) -> dict[str, Any]:
    """What Chromium fetches on a first visit to `url` (fresh profile: empty cache), until the
    network has been idle for 500 ms. Figures are loading="lazy", so this counts the ones Chromium
    chose to fetch, as a reader's browser would."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    finished: list[Any] = []
    failed: list[str] = []
    context.on("requestfinished", lambda request: finished.append(request))
    context.on("requestfailed", lambda request: failed.append(request.url))
    page = context.new_page()
    page.goto(url, wait_until="load")
    page.wait_for_load_state("networkidle")
    resources = []
    for request in finished:
        response = request.response()
        raw = len(response.body()) if response else 0
        # Body bytes as they crossed the wire: gzip-compressed when nginx compressed it.
        sent = request.sizes()["responseBodySize"]
        if raw and not sent:
            # Chromium reports no sizes for a worker's own script: ask nginx as the browser did.
            sent = len(fetch(request.url, gzip_ok=True)[1])
        resources.append(
            {
                "url": request.url,
                "kind": kind_of(request.resource_type, urlparse(request.url).path, site_path),
                "status": response.status if response else None,
                "raw": raw,
                "gzip": sent,
            }
        )
    context.close()
    raw = {kind: sum(r["raw"] for r in resources if r["kind"] == kind) for kind in KINDS}
    sent = {kind: sum(r["gzip"] for r in resources if r["kind"] == kind) for kind in KINDS}
    origin = urlparse(url)._replace(path="", query="", fragment="").geturl()
    return {
        "requests": len(finished) + len(failed),
        "failed": failed,
        "other_origins": [r["url"] for r in resources if not r["url"].startswith(origin)],
        "raw": raw,
        "gzip": sent,
        "total_raw": sum(raw.values()),
        "total_gzip": sum(sent.values()),
        "gzip_without_figures": sum(sent.values()) - sent["figures"],
        "resources": resources,
    }


def first_visits(url: str, pages: list[str], site_path: str) -> dict[str, Any]:
    """A first visit to every page in a real Chromium (Debian's, through Playwright)."""
    from playwright.sync_api import sync_playwright  # imported late: only this step needs it

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            return {page: first_visit(browser, url + page, site_path) for page in pages}
        finally:
            browser.close()


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


def bench_lighthouse(url: str, pages: list[str], work: Path) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for page_path in pages:
        for preset in ("mobile", "desktop"):
            log(f"lighthouse /{page_path} {preset}: {RUNS} runs")
            runs = [lighthouse_scored(url + page_path, preset, work) for _ in range(RUNS)]
            entry: dict[str, Any] = {
                key: summarise([r[key] for r in runs]) for key in [*CATEGORIES, "lcp", "tbt", "cls"]
            }
            entry["failing"] = sorted({a for r in runs for a in r["failing"]})
            entry["warnings"] = sorted({w for r in runs for w in r["warnings"]})
            entry["errored"] = sorted({a for r in runs for a in r["errored"]})
            entry["retries"] = sum(r["retries"] for r in runs)
            results.setdefault(page_path, {})[preset] = entry
    return results


# ---------------------------------------------------------------- report


def budgets(results: dict[str, Any]) -> list[Budget]:
    found: list[Budget] = []
    lighthouse = results.get("lighthouse") or {}
    for category in CATEGORIES:
        medians = [
            (entry[category]["median"], f"/{page} {preset}")
            for page, presets in lighthouse.items()
            for preset, entry in presets.items()
        ]
        worst = min(medians, default=None)
        budget = at_least(f"Lighthouse {category} (worst page)", worst and worst[0], 100)
        if worst:
            budget = Budget(budget.name, budget.limit, f"{worst[0]:g} on {worst[1]}", budget.met)
        found.append(budget)
    pages = results.get("pages") or {}
    heaviest = max(pages.items(), key=lambda item: item[1]["gzip_without_figures"], default=None)
    first_visit = at_most(
        "first visit, gzip, without figures (heaviest page)",
        heaviest and heaviest[1]["gzip_without_figures"],
        150 * KB,
        "KB",
    )
    if heaviest:
        first_visit = Budget(
            first_visit.name,
            first_visit.limit,
            f"{first_visit.measured} on /{heaviest[0]}",
            first_visit.met,
        )
    found.append(first_visit)
    figures = results.get("figures") or {}
    largest = max(figures.items(), key=lambda item: item[1]["gzip"], default=None)
    figure = at_most("each figure, gzip (largest)", largest and largest[1]["gzip"], 40 * KB, "KB")
    if largest:
        figure = Budget(figure.name, figure.limit, f"{figure.measured} ({largest[0]})", figure.met)
    found.append(figure)
    builds = (results.get("builds") or {}).get("wall")
    warm_over_cold = ratio(builds["warm"]["median"], builds["cold"]["median"]) if builds else None
    found.append(at_most("warm build / cold build (medians)", warm_over_cold, 0.5, "x"))
    markdown = (results.get("edits") or {}).get("markdown")
    found.append(
        at_most("Markdown edit to browser (median)", markdown and markdown["median"], 1.0, "s")
    )
    return found


def tables(results: dict[str, Any], checked: list[Budget]) -> str:
    v = results["versions"]
    load = " -> ".join(f"{minute:.1f}" for minute, *_ in results["load"])
    out = [
        f"Machine: {v['cpus']} CPUs, 1-minute load average {load} (other work skews timings); "
        f"{v['chromium']}; {v['nginx']}; Lighthouse {v['lighthouse']}; {v['graphviz']}"
    ]
    wall, cpu = results["builds"]["wall"], results["builds"]["cpu"]
    cold, warm, bare = (wall[name]["median"] for name in ("cold", "warm", "no_figures"))
    labels = {
        "no_figures": ("no figure pipeline", "baseline"),
        "cold": ("cold (empty figure cache)", f"{times(ratio(cold, bare))} no-figure build"),
        "warm": ("warm (cache full, no change)", f"{times(ratio(warm, cold))} cold build"),
    }
    out.append(
        format_table(
            f"Builds (one `mkdocs build --strict` process each, {RUNS} runs, interleaved)",
            ["build", "median", "min", "max", "CPU median", "vs baseline"],
            [
                [label, *median_cell(wall[name]), seconds(cpu[name]["median"]), baseline]
                for name, (label, baseline) in labels.items()
            ],
        )
    )
    edits = results["edits"]
    rebuild = edits.get("rebuild")
    rows = [
        ["MkDocs' own rebuild time in serve", *median_cell(rebuild), "baseline (from its log)"]
        if rebuild
        else ["MkDocs' own rebuild time in serve", "n/a", "n/a", "n/a", "not in serve's log"],
        [
            "Markdown edit (docs/index.md)",
            *median_cell(edits["markdown"]),
            f"{times(ratio(edits['markdown']['median'], rebuild and rebuild['median']))} rebuild",
        ],
    ]
    diagram = edits.get("diagram")
    if diagram:
        rows.append(
            [
                f"diagram edit ({diagram['figure']})",
                *median_cell(diagram),
                f"{times(ratio(diagram['median'], rebuild and rebuild['median']))} rebuild",
            ]
        )
    else:
        rows.append(["diagram edit", "n/a", "n/a", "n/a", "no figure with an editable label"])
    out.append(
        format_table(
            "Edit to browser under mkdocs serve --livereload (edit saved -> new bytes served)",
            ["edit", "median", "min", "max", "vs baseline"],
            rows,
        )
    )
    figures = results["figures"]
    out.append(
        format_table(
            f"Figures (render: sitebuild.figures.render() on an empty cache, {RUNS} runs)",
            ["figure", "render median", "min", "max", "raw", "gzip", "<= 40 KB gzip"],
            [
                [
                    name,
                    *median_cell(f["render"]),
                    kilobytes(f["bytes"]),
                    kilobytes(f["gzip"]),
                    verdict(f["gzip"] <= 40 * KB),
                ]
                for name, f in figures.items()
            ]
            or [["(no figures yet)", "", "", "", "", "", ""]],
        )
    )
    out.append(
        format_table(
            "First visit (empty cache, Chromium 1280x800, nginx gzip); bytes gzip as sent",
            ["page", "requests", *KINDS, "total gzip", "total raw", "without figures"],
            [
                [
                    "/" + page,
                    p["requests"],
                    *(kilobytes(p["gzip"][k]) for k in KINDS),
                    kilobytes(p["total_gzip"]),
                    kilobytes(p["total_raw"]),
                    kilobytes(p["gzip_without_figures"]),
                ]
                for page, p in results["pages"].items()
            ],
        )
    )
    for page, p in results["pages"].items():
        for problem in ("failed", "other_origins"):
            if p[problem]:
                out.append(f"/{page}: {problem.replace('_', ' ')}: {', '.join(p[problem])}")
    rows = []
    for page, presets in results["lighthouse"].items():
        for preset, entry in presets.items():
            rows.append(
                [
                    "/" + page,
                    preset,
                    *(f"{entry[c]['median']:g}" for c in CATEGORIES),
                    seconds(entry["lcp"]["median"]),
                    seconds(entry["tbt"]["median"]),
                    f"{entry['cls']['median']:.3f}",
                    f"{min(entry['performance']['values'])}-{max(entry['performance']['values'])}",
                ]
            )
    out.append(
        format_table(
            f"Lighthouse 12.2.3 (medians of {RUNS} runs)",
            ["page", "form", "perf", "a11y", "best pr.", "SEO", "LCP", "TBT", "CLS", "perf range"],
            rows,
        )
    )
    entries = [e for presets in results["lighthouse"].values() for e in presets.values()]
    for key, what in (
        ("failing", "audits failing on some measured page"),
        ("errored", "audits that could not run (no score depends on them while weight is 0)"),
        ("warnings", "warnings"),
    ):
        found = sorted({item for entry in entries for item in entry[key]})
        if found:
            out.append(f"Lighthouse {what}: " + "; ".join(found))
    retries = sum(entry["retries"] for entry in entries)
    if retries:
        out.append(f"Lighthouse runs repeated because they came back without a score: {retries}")
    out.append(
        format_table(
            "Budgets (issue 7)",
            ["budget", "limit", "measured", "verdict"],
            [[b.name, b.limit, b.measured, verdict(b.met)] for b in checked],
        )
    )
    return "\n\n".join(out)


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
    # Other work on the machine skews timings; the load average says how busy it was.
    results: dict[str, Any] = {
        "complete": False,
        "runs": RUNS,
        "versions": versions(),
        "load": [os.getloadavg()],
    }
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        work = Path(tmp)
        project = copy_project(work / "project")
        (project / ".cache").unlink(missing_ok=True)  # never share the repository's figure cache
        warm_cache = work / "warm-cache"
        warm_cache.mkdir()

        with stage(results, "builds"):
            results["builds"] = bench_builds(project, work, warm_cache)
        with stage(results, "edits"):
            results["edits"] = bench_edits(project, work, warm_cache, SITE_PATH)

        site = work / "site"
        timed_build(project, site, warm_cache)
        with nginx_serving(site, work, SITE_PATH) as url:
            with stage(results, "figures"):
                results["figures"] = bench_figures(project, work, url)
            pages = site_pages(site)
            log(f"first visits to {len(pages)} pages in Chromium")
            with stage(results, "first visits"):
                results["pages"] = first_visits(url, pages, SITE_PATH)
            by_weight = sorted(pages[1:], key=lambda p: -results["pages"][p]["total_gzip"])
            audited = [pages[0], *by_weight[:2]]
            with stage(results, "lighthouse"):
                results["lighthouse"] = bench_lighthouse(url, audited, work)
    results["load"].append(os.getloadavg())
    checked = budgets(results)
    results["budgets"] = [b.as_dict() for b in checked]
    results["seconds"] = round(time.perf_counter() - started, 1)
    results["complete"] = True
    save(results)
    print(tables(results, checked))
    stages = ", ".join(f"{name} {sec:.0f} s" for name, sec in results["stage_seconds"].items())
    print(f"\nbench took {results['seconds']:.0f} s ({stages}); results in bench/results.json")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as error:
        print(f"bench: {error}", file=sys.stderr)
        sys.exit(1)
