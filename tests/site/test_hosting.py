"""The built site works wherever it is hosted: under a sub-path (site_url's path, as GitHub Pages
project sites use) and at the root of a plain static file server.

So every asset a page loads is referenced relatively, nothing links to localhost, no URL climbs
out of the site root, and no request leaves the origin. The static checks read every page; a
real browser then loads every page from Python's http.server in both places.
"""

from __future__ import annotations

import functools
import http.server
import re
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlparse

import pytest
from bs4 import BeautifulSoup
from playwright.sync_api import Browser

from sitebuild.project import SITE_PATH, SITE_URL
from tests.support import report

LOCAL_HOSTS = {"localhost", "127.0.0.1", "0.0.0.0", "::1"}
NOT_URLS = ("#", "javascript:", "mailto:", "tel:", "data:")
URL_ATTRIBUTES = ["href", "src", "srcset", "action", "formaction", "data", "poster"]
# <link rel=...> values the browser fetches; others (canonical, next, edit...) are only links.
FETCHED_RELS = {"stylesheet", "icon", "preload", "modulepreload", "prefetch", "manifest"}
FETCHED_TAGS = {"script", "img", "source", "iframe", "audio", "video", "embed", "object", "track"}
# CSS is not HTML: its url() tokens are simple enough for a pattern (quotes optional).
CSS_URL = re.compile(r"""url\(\s*['"]?([^'")\s]+)""")


def _pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def _page_url(site: Path, page: Path) -> str:
    """Where a page lives once published under site_url (index.html served as its directory)."""
    relative = page.relative_to(site).as_posix()
    return urljoin(SITE_URL, relative.removesuffix("index.html"))


def _references(soup: BeautifulSoup) -> Iterator[tuple[str, bool, str]]:
    """(url, fetched by the browser?, where) for every URL-bearing attribute of a page."""
    for tag in soup.find_all(True):
        rels = set(tag.get("rel") or [])
        for attribute in URL_ATTRIBUTES:
            value = tag.get(attribute)
            if not value:
                continue
            urls = [part.split()[0] for part in value.split(",")] if "srcset" in attribute else []
            fetched = tag.name in FETCHED_TAGS or bool(rels & FETCHED_RELS)
            for url in urls or [value.strip()]:
                yield url, fetched, f"<{tag.name} {attribute}={url!r}>"
        if tag.name == "meta" and (tag.get("property") or "").startswith("og:"):
            content = tag.get("content") or ""
            if "/" in content:
                yield content, False, f"<meta property={tag['property']}>"


def _problem(site: Path, page: Path, url: str, fetched: bool) -> str | None:
    """What is wrong with `url` on `page`, or None."""
    if url.startswith(NOT_URLS):
        return None
    parsed = urlparse(url)
    if parsed.scheme or url.startswith("//"):
        if parsed.hostname in LOCAL_HOSTS:
            return "links to localhost"
        if fetched:
            return "loads from another origin (or from the production host by absolute URL)"
        home = urlparse(SITE_URL)
        if parsed.hostname == home.hostname and not parsed.path.startswith(home.path):
            return f"points at the site's host outside {home.path}"
        return None
    if url.startswith("/") and page.name == "404.html" and page.parent == site:
        # The 404 page is served at any depth, so MkDocs makes its URLs absolute under site_url.
        return None if url.startswith(SITE_PATH) else f"is not under {SITE_PATH}"
    if url.startswith("/"):
        return "is root-absolute: breaks either under a sub-path or at a server's root"
    resolved = urlparse(urljoin(_page_url(site, page), url)).path
    if not resolved.startswith(SITE_PATH):
        return f"climbs out of the site root (resolves to {resolved})"
    target = site / resolved.removeprefix(SITE_PATH)
    if fetched and not (target.is_file() or (target / "index.html").is_file()):
        return f"loads {resolved}, which is not in the built site"
    return None


def hosting_problems(site: Path) -> tuple[list[str], int]:
    """Every URL on every page that would break somewhere the site is hosted, and how many
    URLs were checked."""
    problems, checked = [], 0
    for page in _pages(site):
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        for url, fetched, where in _references(soup):
            checked += 1
            problem = _problem(site, page, url, fetched)
            if problem:
                problems.append(f"{page.relative_to(site)}: {where} {problem}")
    return problems, checked


@pytest.mark.slow
def test_every_page_references_assets_relatively_and_stays_inside_the_site(
    built_site: Path,
) -> None:
    problems, checked = hosting_problems(built_site)
    assert not problems, "URLs that break somewhere the site is hosted:\n" + "\n".join(problems)
    assert checked > 20 * len(_pages(built_site)), f"only {checked} URLs found: parser broken?"


BAD_PAGE = f"""<!doctype html><html><head>
<link rel="stylesheet" href="https://cdn.example.com/theme.css">
<link rel="canonical" href="{SITE_URL}guide/">
<script src="{SITE_PATH}assets/app.js"></script>
</head><body>
<a href="http://localhost:8000/guide/">local preview</a>
<a href="../../../../etc/">up and out</a>
<img src="../missing.png" srcset="../ok.png 1x, //cdn.example.com/big.png 2x" alt="">
<a href="https://example.org/">an external link is fine</a>
<a href="../ok.png">a relative link is fine</a>
</body></html>"""


def test_each_kind_of_bad_url_is_reported_with_page_and_element(tmp_path: Path) -> None:
    (tmp_path / "guide").mkdir()
    (tmp_path / "guide" / "index.html").write_text(BAD_PAGE)
    (tmp_path / "ok.png").write_bytes(b"")
    problems, checked = hosting_problems(tmp_path)
    assert checked == 10
    expected = [
        "<link href='https://cdn.example.com/theme.css'> loads from another origin",
        f"<script src='{SITE_PATH}assets/app.js'> is root-absolute",
        "<a href='http://localhost:8000/guide/'> links to localhost",
        "<a href='../../../../etc/'> climbs out of the site root",
        f"<img src='../missing.png'> loads {SITE_PATH}missing.png, which is not in the built site",
        "<img srcset='//cdn.example.com/big.png'> loads from another origin",
    ]
    assert len(problems) == len(expected), "\n".join(problems)
    for problem, start in zip(problems, expected, strict=True):
        assert problem.startswith(f"guide/index.html: {start}"), (problem, start)


@pytest.mark.slow
def test_theme_scripts_find_the_search_index_relative_to_the_page(built_site: Path) -> None:
    # Material's JavaScript builds its URLs (search worker, search index, sitemap for instant
    # navigation) from `base` in the page's __config; an absolute base would pin one host.
    for page in _pages(built_site):
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        config = soup.find("script", id="__config")
        assert config is not None, f"{page.relative_to(built_site)}: no __config"
        text = config.string or ""
        for key in ('"base": "', '"search": "'):
            value = text.split(key, 1)[1].split('"', 1)[0]
            if page.name != "404.html":
                assert not value.startswith(("/", "http:", "https:")), (page, key, value)


@pytest.mark.slow
def test_stylesheets_load_nothing_from_outside_the_site(built_site: Path) -> None:
    problems = []
    for sheet in sorted(built_site.rglob("*.css")):
        relative_dir = sheet.parent.relative_to(built_site).as_posix()
        for url in CSS_URL.findall(sheet.read_text(encoding="utf-8")):
            if url.startswith(("data:", "#")):
                continue
            resolved = urlparse(urljoin(f"{SITE_URL}{relative_dir}/", url)).path
            if urlparse(url).scheme or url.startswith("/") or not resolved.startswith(SITE_PATH):
                problems.append(f"{sheet.relative_to(built_site)}: url({url})")
    assert not problems, "stylesheets loading from outside the site:\n" + "\n".join(problems)


@pytest.mark.slow
def test_figures_reference_nothing_outside_themselves(built_site: Path) -> None:
    svgs = sorted((built_site / "figures").glob("*.svg"))
    problems = []
    for svg in svgs:
        for element in ET.parse(svg).iter():
            for name, value in element.attrib.items():
                if name.endswith("href") and not value.startswith(("#", "data:")):
                    problems.append(f"figures/{svg.name}: <{element.tag} {name}={value[:80]!r}>")
    assert not problems, "figure SVGs shown through <img> load nothing external:\n" + "\n".join(
        problems
    )


@pytest.mark.slow
def test_sitemap_lists_only_urls_under_site_url(built_site: Path) -> None:
    namespace = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
    tree = ET.parse(built_site / "sitemap.xml")
    locations = [el.text or "" for el in tree.iter(f"{namespace}loc")]
    assert locations, "empty sitemap"
    outside = [loc for loc in locations if not loc.startswith(SITE_URL)]
    assert not outside, f"sitemap URLs outside {SITE_URL}: {outside}"


# ---------------------------------------------------------------- a real browser, two layouts


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def static_servers(
    built_site: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, str]]:
    """The built site from Python's plain http.server: once at the root, once under SITE_PATH."""
    nested = tmp_path_factory.mktemp("nested")
    mount = nested / SITE_PATH.strip("/")
    mount.parent.mkdir(parents=True, exist_ok=True)
    mount.symlink_to(built_site, target_is_directory=True)
    servers, urls = [], {}
    for layout, directory, path in (("root", built_site, "/"), ("sub-path", nested, SITE_PATH)):
        handler = functools.partial(_QuietHandler, directory=str(directory))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        urls[layout] = f"http://127.0.0.1:{server.server_port}{path}"
    yield urls
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("layout", ["sub-path", "root"])
def test_every_page_loads_completely_from_a_plain_static_server(
    built_site: Path, static_servers: dict[str, str], layout: str, browser: Browser
) -> None:
    base = static_servers[layout]
    origin = base[: base.index("/", len("http://"))]
    pages = [
        p.relative_to(built_site).as_posix().removesuffix("index.html")
        for p in _pages(built_site)
        if p.name != "404.html"
    ]
    if layout == "root":
        # Relative URLs resolve the same way at any mount point, so at the root one page per
        # directory depth proves the point; the sub-path run (the published layout) loads all.
        pages = list({page.count("/"): page for page in sorted(pages, reverse=True)}.values())
    problems: list[str] = []
    context = browser.new_context()
    try:
        current = [""]
        search_index_loaded: list[str] = []

        def on_response(response: Any) -> None:
            if response.url.endswith("/search/search_index.json") and response.ok:
                search_index_loaded.append(current[0])
            if response.status >= 400:
                problems.append(f"/{current[0]}: {response.status} {response.url}")

        def on_request(request: Any) -> None:
            if not request.url.startswith((origin, "data:", "blob:")):
                problems.append(f"/{current[0]}: request to another origin: {request.url}")

        context.on("response", on_response)
        context.on("request", on_request)
        context.on("requestfailed", lambda r: problems.append(f"/{current[0]}: failed {r.url}"))
        page = context.new_page()
        for path in pages:
            current[0] = path
            page.goto(base + path, wait_until="load")
            page.wait_for_load_state("networkidle")
        # The index is fetched on first use of search (overrides/main.html): use search on the
        # last page loaded; its relative base must still lead to the index.
        with page.expect_response(lambda r: r.url.endswith("/search/search_index.json")):
            page.keyboard.press("/")  # Material's shortcut that focuses the search field
    finally:
        context.close()
    assert not problems, f"served at the {layout}:\n" + "\n".join(problems)
    # The theme's JavaScript builds the search index URL from the page's relative base.
    assert search_index_loaded, f"served at the {layout}, no page loaded the search index"
    report("browser checks", len(pages))
