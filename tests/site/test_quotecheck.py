"""The quote checker (sitebuild/checks/quotecheck.py), proved offline against a local HTTP server on
127.0.0.1 that serves a source with the quoted words and one without them, as the link checker's
tests do; and the weekly report's Markdown, and the dates pages show, on the real site."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from sitebuild.checks import quotecheck
from sitebuild.project import REPO

HOLDS = (
    "<!doctype html><title>Seccomp</title><main><p>The default profile <em>Disables\n"
    "around 44</em> system calls out of&nbsp;300+. It doesn\u2019t stop the rest.</p>"
    "<script>var hidden = 'only in a script';</script></main>"
)
MOVED = "<!doctype html><title>Seccomp</title><p>The default profile blocks some calls.</p>"
RAW_MARKDOWN = "# gVisor\n\nSharing one kernel means **container escape** is possible with a\n"
RAW_MARKDOWN += "[single](https://example.org) vulnerability.\n"


class Sources:
    """A local web server: path -> (status, content type, body); it logs every path asked."""

    def __init__(self, pages: dict[str, tuple[int, str, bytes]]) -> None:
        self.asked: list[str] = []
        asked = self.asked

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                asked.append(self.path)
                status, kind, body = pages.get(self.path, (404, "text/html", b"not here"))
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"


@pytest.fixture
def sources() -> Iterator[Sources]:
    html = "text/html; charset=utf-8"
    srv = Sources(
        {
            "/holds": (200, html, HOLDS.encode()),
            "/moved": (200, html, MOVED.encode()),
            "/google/gvisor/master/README.md": (200, "text/plain", RAW_MARKDOWN.encode()),
            "/paper.pdf": (200, "application/pdf", b"%PDF-1.7"),
        }
    )
    thread = threading.Thread(target=srv.httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield srv
    srv.httpd.shutdown()
    srv.httpd.server_close()


def page(body: str, checked: str | None = "2026-12-05", source: str = "docs/labs/x.md") -> str:
    """A built page as MkDocs and Material write one: edit link, footnotes, the checked date."""
    shown = (
        f'<p class="md-source-file claims-checked">Checked: <time datetime="{checked}">'
        f"{checked}</time>.</p>"
        if checked
        else ""
    )
    return (
        "<!doctype html><html><body><article>"
        f'<a href="https://github.com/o/r/edit/main/{source}" class="md-content__button">Edit</a>'
        f'<div class="footnote"><hr><ol>{body}</ol></div>{shown}</article></body></html>'
    )


def site(root: Path, base: str) -> Path:
    """A built-site stand-in whose footnotes cite the local server's sources."""
    notes = (
        f'<li id="fn:seccomp"><p>Docker docs, <a href="{base}/holds">Seccomp</a>: the default '
        'profile "disables around 44 system calls out of 300+" and "doesn\'t stop the rest".'
        '<a class="footnote-backref" href="#fnref:seccomp">&#8617;</a></p></li>'
        f'<li id="fn:moved"><p>Docker docs, <a href="{base}/moved">"A title, not a quote"</a>: '
        '"disables around 44 system calls"; also <a href="https://example.org/other">this</a>.</p>'
        "</li>"
        '<li id="fn:gvisor"><p>gVisor, <a href="https://github.com/google/gvisor/blob/master/'
        'README.md#why">README</a>: "container escape is possible with a single ... '
        'vulnerability".</p></li>'
        f'<li id="fn:paper"><p>A paper, <a href="{base}/paper.pdf">PDF</a>: "words".</p></li>'
        f'<li id="fn:gone"><p>Gone, <a href="{base}/gone">page</a>: "anything".</p></li>'
        '<li id="fn:plain"><p>A book with no link and no quote.</p></li>'
    )
    (root / "labs" / "x").mkdir(parents=True)
    (root / "labs" / "x" / "index.html").write_text(page(notes), encoding="utf-8")
    (root / "old" / "index.html").parent.mkdir()
    (root / "old" / "index.html").write_text(
        page("", checked="2026-05-01", source="docs/old.md"), encoding="utf-8"
    )
    (root / "index.html").write_text("<!doctype html><title>home</title>", encoding="utf-8")
    return root


def fetcher(base: str) -> quotecheck.Fetcher:
    # GitHub's raw files come from the local server too: its path mirrors raw.githubusercontent.
    remap = [(r"^https://raw\.githubusercontent\.com", base)]
    return quotecheck.Fetcher(timeout_s=5, retries=0, host_interval_s=0, remap=remap)


def test_footnotes_are_read_from_the_built_page_with_each_quote_under_its_link(
    tmp_path: Path,
) -> None:
    notes = {n.id: n for n in quotecheck.footnotes(site(tmp_path / "site", "http://src"))}
    assert set(notes) == {"seccomp", "moved", "gvisor", "paper", "gone", "plain"}
    seccomp = notes["seccomp"]
    assert seccomp.page == "docs/labs/x.md", "the page is named by its Markdown source"
    assert [q.words for q in seccomp.quotes] == [
        "disables around 44 system calls out of 300+",
        "doesn't stop the rest",
    ]
    moved = notes["moved"]
    assert moved.urls == ("http://src/moved", "https://example.org/other")
    assert [(q.url, q.words) for q in moved.quotes] == [
        ("http://src/moved", "disables around 44 system calls")
    ], "a quote in a link's text is a title, not checked"
    assert notes["plain"].quotes == () and notes["plain"].urls == ()


def test_a_github_file_is_fetched_raw() -> None:
    assert (
        quotecheck.fetch_url("https://github.com/o/r/blob/main/docs/a.md#L3")
        == "https://raw.githubusercontent.com/o/r/main/docs/a.md"
    )
    assert quotecheck.fetch_url("https://github.com/o/r") == "https://github.com/o/r"
    assert quotecheck.fetch_url("https://docs.example/a#b") == "https://docs.example/a"


def test_words_are_matched_ignoring_case_whitespace_markup_and_typography() -> None:
    text = quotecheck.as_text(HOLDS.encode(), "text/html", "http://x/holds")
    assert text is not None and "only in a script" not in text
    assert quotecheck.quote_found("disables around 44 system calls out of 300+", text)
    assert quotecheck.quote_found("doesn't stop the rest", text), "a typographic apostrophe is one"
    assert quotecheck.quote_found("The default ... out of 300+", text), "an ellipsis skips"
    assert not quotecheck.quote_found("disables around 45 system calls", text)
    assert not quotecheck.quote_found("only in a script", text)
    md = quotecheck.as_text(RAW_MARKDOWN.encode(), "text/plain", "http://x/README.md")
    assert md and quotecheck.quote_found("container escape is possible with a single", md)
    assert quotecheck.as_text(b"%PDF", "application/pdf", "http://x/a.pdf") is None


def test_each_verdict_against_a_local_server(sources: Sources, tmp_path: Path) -> None:
    built = site(tmp_path / "site", sources.base)
    report = quotecheck.Report()
    quotecheck.check_quotes(quotecheck.selected_quotes(built), fetcher(sources.base), report)

    assert [(q.page, q.footnote, q.url, q.words) for q in report.missing] == [
        ("docs/labs/x.md", "moved", f"{sources.base}/moved", "disables around 44 system calls")
    ], "only the source that lost the words is reported"
    unreadable = {q.footnote: why for q, why in report.unreadable}
    assert set(unreadable) == {"paper", "gone"}
    assert "application/pdf" in unreadable["paper"] and "HTTP 404" in unreadable["gone"]
    assert report.quotes == 6 and report.sources == 5
    assert report.problems == 1, "an unreadable source is listed, but only lost words fail"
    assert sources.asked.count("/holds") == 1, "a source is fetched once for all its quotes"
    assert "/google/gvisor/master/README.md" in sources.asked, "GitHub's raw file, not its page"
    assert "/other" not in " ".join(sources.asked), "a link without a quote is not fetched"


def test_pages_not_checked_for_six_months_are_listed(tmp_path: Path) -> None:
    built = site(tmp_path / "site", "http://src")
    report = quotecheck.Report()
    quotecheck.check_dates(built, date(2026, 11, 2), report)
    assert report.stale == [("docs/old.md", date(2026, 5, 1))], "the other page is recent"
    report = quotecheck.Report()
    quotecheck.check_dates(built, date(2026, 11, 1), report)
    assert report.stale == [], "exactly six months is not yet over six months"
    assert quotecheck.months_before(date(2026, 8, 31), 6) == date(2026, 2, 28)


def test_cli_names_page_footnote_and_url_and_writes_the_markdown_report(
    sources: Sources, tmp_path: Path
) -> None:
    built = site(tmp_path / "site", sources.base)
    report = tmp_path / "report.md"
    proc = subprocess.run(
        [
            *(sys.executable, "-m", "sitebuild.checks.quotecheck", "--site-dir", str(built)),
            *("--remap", r"^https://raw\.githubusercontent\.com", sources.base),
            *("--report", str(report), "--today", "2026-12-05", "--retries", "0"),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    out = proc.stdout.splitlines()
    assert (
        f'docs/labs/x.md: [^moved]: {sources.base}/moved: quoted words no longer there: "disables '
        'around 44 system calls"'
    ) in out, proc.stdout
    assert "docs/old.md: claims last checked 2026-05-01, over 6 months ago" in out
    assert out[-1].startswith("quotecheck: 6 quotes from 5 sources: 1 no longer found, 2 not")
    text = report.read_text()
    assert (
        f"| `docs/labs/x.md` | `[^moved]` | <{sources.base}/moved> | disables around 44 system "
        "calls |"
    ) in text
    assert "- `docs/old.md`: last checked 2026-05-01" in text


@pytest.mark.slow
def test_every_page_with_footnotes_shows_its_checked_date_and_its_quotes_parse(
    built_site: Path,
) -> None:
    dates = quotecheck.checked_dates(built_site)
    assert dates and all(dates.values()), [p for p, d in dates.items() if d is None]
    quotes = quotecheck.selected_quotes(built_site)
    assert quotes, "the site's footnotes quote their sources"
    for quote in quotes:
        assert quote.page.startswith("docs/") and quote.page.endswith(".md"), quote
        assert quote.url.startswith("https://"), quote
        assert len(quote.words.split()) <= 40, f"{quote}: quote the few words that carry the fact"


def test_make_linkcheck_writes_links_quotes_and_dates_into_one_report(
    sources: Sources, tmp_path: Path
) -> None:
    """What the weekly job runs: one build, links and quotes checked, one Markdown report."""
    b = sources.base
    notes = (
        f'<li id="fn:seccomp"><p>Docs, <a href="{b}/holds">page</a>: "disables around 44 system '
        'calls".</p></li>'
        f'<li id="fn:moved"><p>Docs, <a href="{b}/moved">page</a>: "disables around 44 system '
        'calls".</p></li>'
        f'<li id="fn:gone"><p>Gone, <a href="{b}/gone">page</a>.</p></li>'
    )
    built = tmp_path / "site"
    (built / "labs" / "x").mkdir(parents=True)
    (built / "labs" / "x" / "index.html").write_text(page(notes, checked="2026-01-02"))
    (built / "index.html").write_text("<!doctype html><title>home</title>")
    excludes = tmp_path / "exclude.yml"
    excludes.write_text("- pattern: ^https://github\\.com/o/r/edit/\n  reason: test\n")
    report = tmp_path / "weekly-report.md"
    proc = subprocess.run(
        [
            *(sys.executable, "-m", "sitebuild.checks.linkcheck", "--site-dir", str(built)),
            *("--exclude-file", str(excludes), "--cache-dir", str(tmp_path / "cache")),
            *("--timeout", "5", "--retries", "0", "--report", str(report)),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    text = report.read_text()
    sections = [line for line in text.splitlines() if line.startswith("## ")]
    assert sections == ["## External links", "## Quoted words", "## Pages not checked for 6 months"]
    assert f"| `labs/x/index.html` | <{b}/gone> |" in text, text
    assert f"| `docs/labs/x.md` | `[^moved]` | <{b}/moved> | disables around 44 system calls |" in (
        text
    )
    assert "[^seccomp]" not in text, "a quote still in its source is not reported"
    assert "- `docs/labs/x.md`: last checked 2026-01-02" in text


@pytest.mark.slow
def test_the_claims_table_and_the_checker_read_the_same_quotes(built_site: Path) -> None:
    """claims/claims.yml is kept in step with the Markdown, the checker reads the built HTML: both
    must find the same quotes in every footnote (code and emphasis marks aside), or the table
    would record words the weekly check never looks for."""
    from sitebuild.checks import claims

    def plain(words: list[str]) -> list[str]:
        return [re.sub(r"[`*_]", "", w) for w in words]

    built = {(n.page, n.id): [q.words for q in n.quotes] for n in quotecheck.footnotes(built_site)}
    for note in claims.footnotes():
        assert plain(note.quotes) == plain(built[(note.page, note.id)]), (note.page, note.id)
