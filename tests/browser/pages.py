"""The web server every browser test uses, and the helpers they share (tests.browser.pages).

The built site is served from 127.0.0.1 the way GitHub Pages serves it: under the path of
`site_url` (e.g. /explainer/), a directory answers with its index.html, and any unknown path
answers 404 with the site's own 404.html. Material's search runs in a web worker, which needs
http, not file://.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

from sitebuild.project import SITE_PATH

SCHEMES = {"light": "default", "dark": "slate"}  # prefers-color-scheme -> Material's scheme


class PagesHandler(SimpleHTTPRequestHandler):
    """Static files under `prefix`, like GitHub Pages: no listings, 404.html for the unknown."""

    prefix = SITE_PATH.rstrip("/")

    def translate_path(self, path: str) -> str:
        local = unquote(urlsplit(path).path)
        if local != self.prefix and not local.startswith(self.prefix + "/"):
            return ""  # outside the site: open("") fails, so the base class answers 404
        return super().translate_path(path[len(self.prefix) :] or "/")

    def list_directory(self, path: str | Path) -> None:
        self.send_error(HTTPStatus.NOT_FOUND)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        page = Path(self.directory) / "404.html"
        if code != HTTPStatus.NOT_FOUND or not page.is_file():
            super().send_error(code, message, explain)
            return
        body = page.read_bytes()
        self.send_response(code)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass  # a test reports what matters; a line per request would bury it


@contextmanager
def serve(site: Path) -> Iterator[str]:
    """Serve `site` on a free port of 127.0.0.1; yields the home page's URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(PagesHandler, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}{PagesHandler.prefix}/"
    finally:
        server.shutdown()
        server.server_close()


def page_path(site: Path, html: Path) -> str:
    """A built file's path relative to the home page's URL ("", "analogy/", "404.html")."""
    return html.relative_to(site).as_posix().removesuffix("index.html")


def page_paths(site: Path) -> list[str]:
    """Every built page, as a path relative to the home page's URL."""
    return [page_path(site, html) for html in sorted(site.rglob("*.html"))]
