"""`make linkcheck`, proved offline against a local HTTP server on 127.0.0.1.

Each verdict the weekly check can reach is produced here for real: 200, a 301 to a 200, 404,
500, an answer slower than the timeout, a page without the linked fragment, an excluded URL,
a cached answer, the per-host rate limit, and the one-line skip when there is no network.
"""

from __future__ import annotations

import itertools
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from sitebuild.checks import linkcheck
from sitebuild.project import REPO
from tests.support import report

SLOW_S = 3  # the slow page answers after this; the tests' timeout is 1 s


class Server:
    """A small site on 127.0.0.1 that answers each path with one verdict and logs every hit."""

    def __init__(self) -> None:
        self.hits: list[tuple[float, str]] = []
        hits = self.hits

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                hits.append((time.monotonic(), self.path))
                if self.path == "/moved":
                    self.send_response(301)
                    self.send_header("Location", "/ok")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if self.path == "/slow":
                    time.sleep(SLOW_S)
                status = {"/gone": 404, "/broken": 500}.get(self.path, 200)
                body = b'<!doctype html><title>t</title><h1 id="present">Here</h1>'
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "text/html; charset=utf-8")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up first: that is the timeout under test

            def log_message(self, *args: object) -> None:  # keep pytest output clean
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def count(self, path: str) -> int:
        return sum(1 for _, p in self.hits if p == path)


@pytest.fixture
def server() -> Iterator[Server]:
    srv = Server()
    thread = threading.Thread(target=srv.httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield srv
    srv.httpd.shutdown()
    srv.httpd.server_close()


def _site(root: Path, links: dict[str, list[str]]) -> Path:
    """A built-site stand-in: one HTML file per page, each linking the given URLs."""
    for page, urls in links.items():
        path = root / page
        path.parent.mkdir(parents=True, exist_ok=True)
        anchors = "\n".join(f'<a href="{u}">link</a>' for u in urls)
        path.write_text(f"<!doctype html><title>p</title><body>{anchors}</body>")
    return root


FAST = linkcheck.Settings(timeout_s=1, retries=1, retry_wait_s=1, host_interval="10ms")


def test_each_verdict_against_a_local_server(server: Server, tmp_path: Path) -> None:
    b = server.base
    site = _site(
        tmp_path / "site",
        {
            "index.html": [f"{b}/ok", f"{b}/moved", f"{b}/ok#present"],
            "guide/index.html": [f"{b}/gone", f"{b}/broken", f"{b}/slow", f"{b}/ok#absent"],
            "about/index.html": [f"{b}/private"],
        },
    )
    excludes = [linkcheck.Exclude(pattern="/private$", reason="test: never asked")]
    cache = tmp_path / "cache"
    result = linkcheck.check_external(site, excludes, cache, FAST)

    verdicts = {(f.page, f.url.removeprefix(b)): f.rule for f in result.failures}
    assert verdicts == {
        ("guide/index.html", "/gone"): linkcheck.RULE_STATUS,
        ("guide/index.html", "/broken"): linkcheck.RULE_STATUS,
        ("guide/index.html", "/slow"): linkcheck.RULE_TIMEOUT,
        ("guide/index.html", "/ok#absent"): linkcheck.RULE_ANCHOR,
    }, "\n".join(map(str, result.failures))
    assert result.checked == 7  # 8 links, 1 excluded
    # 200, the 301 to a 200 and the present fragment passed; the redirect was followed.
    assert server.count("/moved") == 1 and server.count("/ok") >= 2
    assert server.count("/private") == 0, "an excluded URL must never be asked"
    assert server.count("/slow") == 1 + FAST.retries, "a timeout is retried"
    gone = next(f for f in result.failures if f.url.endswith("/gone"))
    assert "404" in gone.detail and "500" in next(
        f.detail for f in result.failures if f.url.endswith("/broken")
    )

    # Second run: good answers come from the cache; failures are asked again.
    before = {p: server.count(p) for p in ("/ok", "/moved", "/gone", "/broken")}
    skip_slow = linkcheck.Exclude(pattern="/slow$", reason="test: its timeout is proven above")
    again = linkcheck.check_external(site, [*excludes, skip_slow], cache, FAST)
    assert (cache / ".lycheecache").is_file()
    assert again.cached == 3, again  # /ok, /moved, /ok#present
    assert server.count("/moved") == before["/moved"]
    assert server.count("/ok") == before["/ok"] + 1  # only for the failed /ok#absent
    assert server.count("/gone") == before["/gone"] + 1
    assert server.count("/broken") == before["/broken"] + 1
    assert {(f.page, f.url) for f in again.failures} == {
        (f.page, f.url) for f in result.failures if not f.url.endswith("/slow")
    }


def test_requests_to_one_host_are_spaced_by_the_rate_limit(server: Server, tmp_path: Path) -> None:
    site = _site(tmp_path / "site", {"index.html": [f"{server.base}/ok?n={n}" for n in range(5)]})
    polite = linkcheck.Settings(timeout_s=5, retries=0, host_interval="300ms", cache_max_age="0s")
    result = linkcheck.check_external(site, [], tmp_path / "cache", polite)
    assert not result.failures, result.failures
    times = sorted(t for t, p in server.hits if p.startswith("/ok?n="))
    assert len(times) == 5
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert min(gaps) >= 0.2, f"requests to one host came {min(gaps):.3f}s apart"


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sitebuild.checks.linkcheck", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_cli_fails_on_a_404_naming_the_page_and_the_url(server: Server, tmp_path: Path) -> None:
    site = _site(tmp_path / "site", {"index.html": [], "labs/index.html": [f"{server.base}/gone"]})
    exclude_file = tmp_path / "exclude.yml"
    exclude_file.write_text("[]\n")
    proc = _cli(
        *("--site-dir", str(site), "--exclude-file", str(exclude_file)),
        *("--cache-dir", str(tmp_path / "cache"), "--timeout", "2", "--retries", "0"),
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    line = next(ln for ln in proc.stdout.splitlines() if "/gone" in ln)
    assert line.startswith("labs/index.html:") and f"{server.base}/gone" in line, line
    assert "404" in line and linkcheck.RULE_STATUS in line, line


def test_network_probe(server: Server) -> None:
    # .invalid never resolves (RFC 6761): what a machine without network sees for every host.
    port = server.base.rsplit(":", 1)[1]
    up = [f"http://127.0.0.1:{port}/ok", f"http://localhost:{port}/ok"]
    down = ["https://docs.invalid/page", "https://other.invalid/page"]
    assert not linkcheck.network_available(down[:1], timeout=1)
    # Most hosts must answer: one registry let through a firewall is not "network".
    assert not linkcheck.network_available([*down, up[0]], timeout=1)
    assert linkcheck.network_available([down[0], *up], timeout=1)


def test_cli_without_network_prints_one_line_and_succeeds(tmp_path: Path) -> None:
    # No host the site links to can be reached: a port bound but not listening refuses.
    # (lychee drops .invalid hosts before the check, so the CLI test uses this instead.)
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{closed.getsockname()[1]}/page"
        site = _site(tmp_path / "site", {"index.html": [url]})
        exclude_file = tmp_path / "exclude.yml"
        exclude_file.write_text("[]\n")
        proc = _cli("--site-dir", str(site), "--exclude-file", str(exclude_file))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout + proc.stderr == linkcheck.SKIPPED + "\n"


def test_exclude_list_entries_each_have_a_reason_and_bad_ones_name_the_line(
    tmp_path: Path,
) -> None:
    entries = linkcheck.load_excludes()
    assert all(e.reason for e in entries)
    bad = tmp_path / "exclude.yml"
    bad.write_text("- pattern: ^https://ok/\n  reason: fine\n- pattern: ^https://why/\n")
    with pytest.raises(ValueError, match=r"exclude\.yml:3: missing reason; each entry has"):
        linkcheck.load_excludes(bad)
    bad.write_text("- pattern: '(unclosed'\n  reason: broken regex\n")
    with pytest.raises(ValueError, match=r"exclude\.yml:1: .* is not a regular expression"):
        linkcheck.load_excludes(bad)


@pytest.mark.slow
def test_real_site_external_links_are_listed_and_every_exclude_is_used(built_site: Path) -> None:
    urls = linkcheck.external_urls(built_site)
    assert urls and all(u.startswith(("http://", "https://")) for u in urls)
    own = linkcheck.site_url(built_site)
    assert own and not any(u.startswith(own) for u in urls), "the site's own URL is internal"
    for entry in linkcheck.load_excludes():
        assert any(linkcheck.is_excluded(u, [entry]) for u in urls), (
            f"{linkcheck.EXCLUDE_FILE.name}: {entry.pattern!r} matches no URL on the site; "
            "remove it"
        )
    report("external links", len(urls))
