"""Does each source still say what its footnote quotes? Run weekly with the link check.

The convention, on every page: a footnote that cites a source for a fact carries, in straight
double quotes after the link, the few words of the source that carry the fact, e.g.

    [^syscalls]: Docker docs, [Seccomp security profiles](https://docs.docker.com/...):
        the default profile "disables around 44 system calls out of 300+".

A quote belongs to the last link before it in the same footnote; quotes inside a link's text are
titles, not checked. An ellipsis (`...` or `…`) inside a quote splits it into parts, each of
which must be there.

The checker reads the footnotes from the BUILT site (what readers see), fetches each source once
(a GitHub `blob` URL as its raw file; a Markdown file is rendered to HTML first), turns HTML into
text with a real parser, and looks for each quote with case and whitespace ignored. Every quote
no longer found is reported with page, footnote and URL; so is every source it could not read.

The same run lists pages whose claims were last checked more than six months ago (the `checked:`
date each page shows near its foot, hooks/checked.py), and can write it all as one Markdown
report, which the weekly job files as one GitHub issue (sitebuild/checks/weekly_issue.py).
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import markdown
from bs4 import BeautifulSoup, NavigableString, Tag

SKIPPED = "quotecheck: skipped: no network"
STALE_MONTHS = 6
USER_AGENT = "containers-vs-vms-quotecheck/1 (+https://github.com/vm-vs-container/explainer)"
ELLIPSIS = re.compile(r"\.\.\.|…")
QUOTED = re.compile(r'"([^"]{2,}?)"')
# Typography differs between a source and our Markdown without changing what is said.
TYPOGRAPHY = str.maketrans(
    {
        "\u201c": '"',  # left and right double quotation marks, low-9
        "\u201d": '"',
        "\u201e": '"',
        "\u2018": "'",  # left and right single quotation marks (the apostrophe)
        "\u2019": "'",
        **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014", "-"),  # hyphens and dashes
    }
)
INVISIBLE = re.compile(r"[\s\u00ad\u200b\u200c\u200d\u2060\ufeff]+")


@dataclass(frozen=True)
class Quote:
    page: str  # the page's Markdown source, e.g. "docs/reference/faq.md"
    footnote: str  # the footnote's id, e.g. "gvisor" for [^gvisor]
    url: str  # the source the quote comes from: the last link before it in the footnote
    words: str


@dataclass(frozen=True)
class Footnote:
    page: str
    id: str
    urls: tuple[str, ...]  # every http(s) link in the footnote, in order
    quotes: tuple[Quote, ...]


@dataclass(frozen=True)
class Fetched:
    text: str | None  # the source as text, or None when it could not be read
    problem: str = ""  # why not, when text is None


@dataclass
class Report:
    quotes: int = 0
    sources: int = 0
    missing: list[Quote] = field(default_factory=list)
    unreadable: list[tuple[Quote, str]] = field(default_factory=list)
    stale: list[tuple[str, date | None]] = field(default_factory=list)  # None: shows no date

    @property
    def problems(self) -> int:
        """What fails the check. A source it could not read (a PDF, a site that turns robots
        away) is listed but fails nothing: it would hold the weekly issue open for good, and
        a source that went away is the link check's failure already."""
        return len(self.missing) + len(self.stale)


# --------------------------------------------------------------------------- the site


def _page_source(soup: BeautifulSoup, site_path: str) -> str:
    """The page's Markdown path, from its "edit this page" link; the built path if it has none."""
    edit = soup.select_one('a[href*="/edit/"][href$=".md"]')
    if edit:
        match = re.search(r"/edit/[^/]+/(.+\.md)$", str(edit["href"]))
        if match:
            return match.group(1)
    return site_path


def _footnote_quotes(page: str, item: Tag) -> Footnote:
    """The links and quotes of one footnote (<li id="fn:ID">), in reading order."""
    note_id = str(item["id"]).removeprefix("fn:")
    urls: list[str] = []
    segments: list[tuple[str, list[str]]] = []  # (url, text after it, before the next link)
    for node in item.descendants:
        if isinstance(node, Tag) and node.name == "a":
            href = str(node.get("href", ""))
            if href.startswith(("http://", "https://")):
                urls.append(href)
                segments.append((href, []))
        elif isinstance(node, NavigableString) and segments and node.find_parent("a") is None:
            segments[-1][1].append(str(node))
    quotes = []
    for url, parts in segments:
        for match in QUOTED.finditer("".join(parts)):
            quotes.append(Quote(page, note_id, url, " ".join(match.group(1).split())))
    return Footnote(page, note_id, tuple(urls), tuple(quotes))


def footnotes(site_dir: Path) -> list[Footnote]:
    """Every footnote of every built page, with its links and quotes."""
    found = []
    for path in sorted(site_dir.rglob("*.html")):
        html = path.read_text(encoding="utf-8")
        if 'class="footnote"' not in html:
            continue
        soup = BeautifulSoup(html, "html.parser")
        page = _page_source(soup, path.relative_to(site_dir).as_posix())
        for item in soup.select('div.footnote li[id^="fn:"]'):
            found.append(_footnote_quotes(page, item))
    return found


def checked_dates(site_dir: Path) -> dict[str, date | None]:
    """Each page that shows a checked date or has footnotes -> that date (None if it shows none:
    the build refuses a page with footnotes and no date, so None means an odd build)."""
    dates: dict[str, date | None] = {}
    for path in sorted(site_dir.rglob("*.html")):
        html = path.read_text(encoding="utf-8")
        if "claims-checked" not in html and 'class="footnote"' not in html:
            continue
        soup = BeautifulSoup(html, "html.parser")
        shown = soup.select_one(".claims-checked time[datetime]")
        page = _page_source(soup, path.relative_to(site_dir).as_posix())
        dates[page] = date.fromisoformat(str(shown["datetime"])) if shown else None
    return dates


def months_before(day: date, months: int) -> date:
    """The same day `months` earlier (the month's last day when it has fewer days)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    for last in (31, 30, 29, 28):
        try:
            return date(year, month + 1, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


# --------------------------------------------------------------------------- the sources


def fetch_url(url: str) -> str:
    """What to fetch for a cited URL: a GitHub file's raw text rather than its web page."""
    parts = urlsplit(url)
    match = re.fullmatch(r"/([^/]+)/([^/]+)/blob/(.+)", parts.path)
    if parts.hostname == "github.com" and match:
        owner, repo, rest = match.groups()
        return f"https://raw.githubusercontent.com/{owner}/{repo}/{rest}"
    return url.split("#", 1)[0]


def as_text(body: bytes, content_type: str, url: str) -> str | None:
    """A fetched source as plain text, or None for a kind this checker cannot read (a PDF)."""
    kind = content_type.split(";", 1)[0].strip().lower()
    charset = re.search(r"charset=([\w-]+)", content_type)
    if kind in ("text/html", "application/xhtml+xml"):
        soup = BeautifulSoup(body, "html.parser")
        for hidden in soup(["script", "style", "noscript", "template"]):
            hidden.decompose()
        return soup.get_text(" ")
    if not kind.startswith("text/") and kind not in ("application/json", ""):
        return None
    text = body.decode(charset.group(1) if charset else "utf-8", errors="replace")
    if urlsplit(url).path.lower().endswith((".md", ".markdown")):
        # Render it, so emphasis, links and code marks do not split a quoted phrase.
        html = markdown.markdown(text, extensions=["tables", "fenced_code"])
        return BeautifulSoup(html, "html.parser").get_text(" ")
    return text


def normalise(text: str) -> str:
    """Case, typography and all whitespace ignored (HTML breaks lines where readers see none)."""
    return INVISIBLE.sub("", text.translate(TYPOGRAPHY).casefold())


def quote_found(words: str, text: str) -> bool:
    haystack = normalise(text)
    return all(normalise(part) in haystack for part in ELLIPSIS.split(words) if part.strip())


class Fetcher:
    """Fetches each URL once, politely: a timeout, retries, and a pause between requests to one
    host. `remap` rewrites a URL before fetching (a local copy of a source, in tests)."""

    def __init__(
        self,
        timeout_s: float = 20,
        retries: int = 2,
        host_interval_s: float = 0.5,
        remap: Sequence[tuple[str, str]] = (),
    ) -> None:
        self.timeout_s, self.retries, self.host_interval_s = timeout_s, retries, host_interval_s
        self.remap = [(re.compile(pattern), to) for pattern, to in remap]
        self._last: dict[str, float] = {}
        self._lock = threading.Lock()

    def _wait_for(self, host: str) -> None:
        while True:
            with self._lock:
                now = time.monotonic()
                ready = self._last.get(host, 0) + self.host_interval_s
                if now >= ready:
                    self._last[host] = now
                    return
            time.sleep(ready - now)

    def target(self, url: str) -> str:
        target = fetch_url(url)
        for pattern, to in self.remap:
            target = pattern.sub(to, target)
        return target

    def __call__(self, url: str) -> Fetched:
        target = self.target(url)
        request = urllib.request.Request(target, headers={"User-Agent": USER_AGENT})
        problem = ""
        for attempt in range(1 + self.retries):
            if attempt:
                time.sleep(min(2**attempt, 10))
            self._wait_for(urlsplit(target).hostname or "")
            try:
                with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                    body = response.read()
                    content_type = response.headers.get("Content-Type", "")
            except urllib.error.HTTPError as err:
                problem = f"HTTP {err.code} from {target}"
                if err.code < 500 and err.code != 429:
                    break  # asking again will not change a 404 or a 403
                continue
            except (urllib.error.URLError, TimeoutError, OSError) as err:
                problem = f"could not fetch {target}: {getattr(err, 'reason', err)}"
                continue
            text = as_text(body, content_type, target)
            if text is None:
                kind = content_type.split(";")[0] or "no content type"
                return Fetched(None, f"{target} is {kind}, which this checker cannot read")
            return Fetched(text)
        return Fetched(None, problem)


# --------------------------------------------------------------------------- the check


def selected_quotes(site_dir: Path, select: str | None = None) -> list[Quote]:
    """Every quote on the site; with `select` (a regular expression), those whose URL matches."""
    quotes = [q for note in footnotes(site_dir) for q in note.quotes]
    return [q for q in quotes if select is None or re.search(select, q.url)]


def check_quotes(quotes: Sequence[Quote], fetch: Callable[[str], Fetched], report: Report) -> None:
    """Fetch every quoted source once (hosts in parallel, one host's URLs one after another) and
    look for each quote in it."""
    urls = sorted({q.url for q in quotes})
    hosts: dict[str, list[str]] = {}
    for url in urls:
        hosts.setdefault(urlsplit(url).hostname or "", []).append(url)
    fetched: dict[str, Fetched] = {}

    def one_host(host_urls: list[str]) -> None:
        for url in host_urls:
            fetched[url] = fetch(url)

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(one_host, hosts.values()))
    report.quotes, report.sources = len(quotes), len(urls)
    for quote in quotes:
        source = fetched[quote.url]
        if source.text is None:
            report.unreadable.append((quote, source.problem))
        elif not quote_found(quote.words, source.text):
            report.missing.append(quote)


def check_dates(site_dir: Path, today: date, report: Report) -> None:
    """Pages whose claims were last checked more than STALE_MONTHS before `today`."""
    limit = months_before(today, STALE_MONTHS)
    for page, day in checked_dates(site_dir).items():
        if day is None or day < limit:
            report.stale.append((page, day))


def lines(report: Report) -> list[str]:
    """The report as plain lines, one per problem, for the terminal."""
    out = [
        f'{q.page}: [^{q.footnote}]: {q.url}: quoted words no longer there: "{q.words}"'
        for q in report.missing
    ]
    out += [
        f"{q.page}: [^{q.footnote}]: {q.url}: not checked: {why}" for q, why in report.unreadable
    ]
    out += [
        f"{page}: claims last checked {day.isoformat()}, over {STALE_MONTHS} months ago"
        if day
        else f"{page}: shows no date its claims were checked"
        for page, day in report.stale
    ]
    return out


def summary(report: Report) -> str:
    verdict = "all found" if not report.missing else f"{len(report.missing)} no longer found"
    return (
        f"quotecheck: {report.quotes} quotes from {report.sources} sources: {verdict}, "
        f"{len(report.unreadable)} not checked; {len(report.stale)} pages not checked for "
        f"{STALE_MONTHS} months"
    )


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown_section(report: Report, skipped: bool = False) -> str:
    """The report's part of the weekly issue, in GitHub Markdown."""
    out = ["## Quoted words"]
    if skipped:
        out.append("\nNot run: no network.")
    elif not report.missing and not report.unreadable:
        out.append(f"\nAll {report.quotes} quotes found in their {report.sources} sources.")
    if report.missing:
        out.append(
            "\nThe source no longer has these words: check the claim against it, then fix the "
            "page, its quote and its row in `claims/claims.yml`.\n"
        )
        out.append("| Page | Footnote | Source | Quoted words |\n| --- | --- | --- | --- |")
        for q in report.missing:
            out.append(f"| `{q.page}` | `[^{q.footnote}]` | <{q.url}> | {_cell(q.words)} |")
    if report.unreadable:
        out.append("\nNot checked (the source could not be read):\n")
        out.append("| Page | Footnote | Source | Why |\n| --- | --- | --- | --- |")
        for q, why in report.unreadable:
            out.append(f"| `{q.page}` | `[^{q.footnote}]` | <{q.url}> | {_cell(why)} |")
    out.append(f"\n## Pages not checked for {STALE_MONTHS} months")
    if report.stale:
        out.append("\nCheck their claims against their sources, then update `checked:`.\n")
        out += [f"- `{page}`: last checked {day or 'never'}" for page, day in report.stale]
    else:
        out.append("\nNone.")
    return "\n".join(out) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    from sitebuild.checks import linkcheck  # the build and the network probe are the link checker's

    parser = argparse.ArgumentParser(prog="quotecheck", description=__doc__.split("\n\n")[0])
    parser.add_argument("--site-dir", type=Path, help="check this built site (default: build one)")
    parser.add_argument("--report", type=Path, help="also write the report here, in Markdown")
    parser.add_argument("--select", help="check only sources whose URL matches this regex")
    parser.add_argument(
        "--remap",
        nargs=2,
        action="append",
        default=[],
        metavar=("REGEX", "REPLACEMENT"),
        help="fetch a source from elsewhere (a local copy): rewrite its URL with re.sub",
    )
    parser.add_argument("--today", type=date.fromisoformat, default=date.today())
    parser.add_argument("--timeout", type=float, default=20, help="seconds")
    parser.add_argument("--retries", type=int, default=2)
    args = parser.parse_args(argv)
    fetch = Fetcher(timeout_s=args.timeout, retries=args.retries, remap=args.remap)

    report, skipped = Report(), False
    with tempfile.TemporaryDirectory(prefix="quotecheck-site-") as tmp:
        site_dir = args.site_dir
        if site_dir is None:
            site_dir = Path(tmp) / "site"
            linkcheck._build(site_dir)
        check_dates(site_dir, args.today, report)
        quotes = selected_quotes(site_dir, args.select)
        if linkcheck.network_available(sorted({fetch.target(q.url) for q in quotes})):
            check_quotes(quotes, fetch, report)
        else:
            print(SKIPPED)
            skipped = True

    for line in lines(report):
        print(line)
    if not skipped:
        print(summary(report))
    if args.report:
        args.report.write_text(markdown_section(report, skipped), encoding="utf-8")
    return 1 if report.problems else 0


if __name__ == "__main__":
    sys.exit(main())
