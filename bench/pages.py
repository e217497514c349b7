"""Bench stage: the built site served by nginx with gzip, as GitHub Pages serves it, and what a
first visit to every page fetches in Chromium."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from string import Template
from typing import Any
from urllib.parse import urlparse

from bench.harness import BenchError, fetch, free_port, running, wait_for_url
from sitebuild.project import CHROMIUM, CHROMIUM_ARGS, REPO

# What a first visit fetches, by the browser's resource type; figures are images under figures/.
KINDS = ["html", "css", "js", "font", "figures", "search", "other"]


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
        return "search"  # fetched on first use of search (overrides/main.html); 0 on a plain visit
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
