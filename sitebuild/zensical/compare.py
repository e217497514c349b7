"""Compare the Zensical build with the MkDocs build: what must match, and what differs and why.

    python -m sitebuild.zensical.compare [--mkdocs DIR] [--zensical DIR]

Without --mkdocs it builds the MkDocs site strictly into a temporary folder; without --zensical
it reads site-zensical/ (`make build-zensical`). Exit 1 if a check that holds today fails.

Every check compares the built output, never the builders' internals (asset names, lunr against
Zensical's search worker, source maps): the same pages, links that resolve, the same generated
files byte for byte, no marker left unexpanded, search covering every page, the same headings and
Markdown features per page. A check named in KNOWN is a known difference: its findings are
printed with the reason, and it fails only once it matches, so that the line in KNOWN goes when
the work it waits for lands (delete one line, nothing else).
"""

from __future__ import annotations

import argparse
import functools
import json
import re
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bs4 import BeautifulSoup

from sitebuild.checks import linkcheck
from sitebuild.project import REPO, build

# Check name -> why Zensical's build differs today. Delete a line when its check matches.
KNOWN: dict[str, str] = {
    "search index held until used": (
        "docs/javascripts/search-on-demand.js holds Material's XMLHttpRequest for "
        "search/search_index.json; Zensical's bundle (0.0.73) fetches search.json with fetch(), "
        "so nothing is held and the index loads with the page (a coupling to Material's bundle, "
        "listed in sitebuild/pages/theme.py)"
    ),
}

# What the comparison cannot see, because it is a build-time check and not in the output.
NOT_COMPARED: dict[str, str] = {
    "absolute links in Markdown": (
        "Zensical's validation does not report them (mkdocs.yml's validation.links."
        "absolute_links is MkDocs-only; https://zensical.org/docs/setup/validation/)"
    ),
    "`checked:` dates validated": "hooks/checked.py, a hook: Zensical runs no hooks",
}

ARTICLE_FEATURES = {
    "footnotes": "div.footnote li",
    "abbreviations": "abbr[title]",
    "admonitions": ".admonition",
    "tabbed sets": ".tabbed-set",
    "tables": "table:not(.highlighttable)",  # a listing with line numbers is a table too
    "task lists": ".task-list-item",
    "heading permalinks": "a.headerlink",
}


class Site:
    """A built site: its files and, parsed on demand, its pages."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        if not (self.root / "index.html").is_file():
            raise SystemExit(f"compare: {root} holds no index.html; build it first")
        self.pages = sorted(p.relative_to(self.root).as_posix() for p in self.root.rglob("*.html"))

    @functools.cache  # noqa: B019 (two sites per run, each page parsed once)
    def soup(self, page: str) -> BeautifulSoup:
        return BeautifulSoup((self.root / page).read_text(encoding="utf-8"), "html.parser")

    def article(self, page: str) -> BeautifulSoup:
        soup = self.soup(page)
        return soup.find("article") or soup

    def files(self, names: list[str]) -> dict[str, bytes]:
        """Each named file, and every file under each named folder, by path in the site."""
        found: list[Path] = []
        for name in names:
            path = self.root / name
            found += sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else []
            found += [path] if path.is_file() else []
        return {p.relative_to(self.root).as_posix(): p.read_bytes() for p in found}


@dataclass
class Outcome:
    examined: int  # what the check looked at (pages, links, files), for the report
    unit: str
    problems: list[str] = field(default_factory=list)


Check = Callable[[Site, Site], Outcome]
CHECKS: dict[str, Check] = {}


def check(name: str) -> Callable[[Check], Check]:
    def register(fn: Check) -> Check:
        CHECKS[name] = fn
        return fn

    return register


def shared(mk: Site, zen: Site) -> list[str]:
    return [p for p in mk.pages if p in set(zen.pages)]


def per_page(mk: Site, zen: Site, count: Callable[[Site, str], object], unit: str) -> Outcome:
    """Pages where `count` differs between the builds, each with both values (MkDocs first)."""
    pages = shared(mk, zen)
    outcome = Outcome(len(pages), unit)
    for page in pages:
        a, b = count(mk, page), count(zen, page)
        if a != b:
            outcome.problems.append(f"{page}: MkDocs {a}, Zensical {b}")
    return outcome


@check("pages")
def pages(mk: Site, zen: Site) -> Outcome:
    outcome = Outcome(len(mk.pages), "pages")
    outcome.problems += [f"{p}: only in the MkDocs build" for p in mk.pages if p not in zen.pages]
    outcome.problems += [f"{p}: only in the Zensical build" for p in zen.pages if p not in mk.pages]
    return outcome


@check("internal links")
def internal_links(mk: Site, zen: Site) -> Outcome:
    result = linkcheck.check_internal(zen.root)
    return Outcome(result.checked, "links and anchors", [str(f) for f in result.failures])


def same_files(mk: Site, zen: Site, names: list[str], unit: str) -> Outcome:
    want, have = mk.files(names), zen.files(names)
    outcome = Outcome(len(want), unit)
    for name, data in want.items():
        if name not in have:
            outcome.problems.append(f"{name}: missing")
        elif have[name] != data:
            outcome.problems.append(f"{name}: differs from the MkDocs build's")
    outcome.problems += [f"{name}: only in the Zensical build" for name in have.keys() - want]
    return outcome


@check("figure files")
def figure_files(mk: Site, zen: Site) -> Outcome:
    return same_files(mk, zen, ["figures", "labs/startup-cost-chart.svg"], "SVGs")


@check("browser VM files")
def vm_files(mk: Site, zen: Site) -> Outcome:
    return same_files(mk, zen, ["vm"], "files")


def markers(text: str) -> Callable[[Site, str], int]:
    return lambda site, page: site.article(page).get_text(" ").count(text)


@check("no [[figure markers")
def figure_markers(mk: Site, zen: Site) -> Outcome:
    return per_page(mk, zen, markers("[[figure"), "pages")


@check("no [[bench markers")
def bench_markers(mk: Site, zen: Site) -> Outcome:
    return per_page(mk, zen, markers("[[bench"), "pages")


@check("no --8<-- markers")
def snippet_markers(mk: Site, zen: Site) -> Outcome:
    return per_page(mk, zen, markers("--8<--"), "pages")


def search_pages(site: Site) -> tuple[str, set[str]] | None:
    """The search index's file and the pages it covers (locations without #fragment)."""
    for name, key in (("search/search_index.json", "docs"), ("search.json", "items")):
        path = site.root / name
        if path.is_file():
            entries = json.loads(path.read_text(encoding="utf-8"))[key]
            return name, {e["location"].split("#", 1)[0] for e in entries}
    return None


@check("search index")
def search_index(mk: Site, zen: Site) -> Outcome:
    want, have = search_pages(mk), search_pages(zen)
    if want is None or have is None:
        missing = "MkDocs" if want is None else "Zensical"
        return Outcome(0, "pages", [f"no search index in the {missing} build"])
    outcome = Outcome(len(want[1]), "pages")
    outcome.problems += [f"{p or '(home)'}: not in {have[0]}" for p in sorted(want[1] - have[1])]
    outcome.problems += [f"{p or '(home)'}: only in {have[0]}" for p in sorted(have[1] - want[1])]
    return outcome


@check("search index held until used")
def search_hold(mk: Site, zen: Site) -> Outcome:
    """overrides/main.html holds back the index's request by its file name: the page (or a
    script of ours it loads) must name the file this build writes, plainly or as a regex."""

    def names_its_index(site: Site, page: str) -> bool:
        index = search_pages(site)
        if index is None:
            return False
        plain = index[0].rsplit("/", 1)[-1]
        names = {plain, re.escape(plain), re.escape(index[0]).replace("/", r"\/")}
        soup = site.soup(page)
        text = str(soup)
        for script in soup.select("script[src]"):
            src = str(script["src"]).split("?", 1)[0]
            local = (site.root / page).parent / src
            if "://" not in src and "assets/" not in src and local.is_file():
                text += local.read_text(encoding="utf-8", errors="replace")
        return any(name in text for name in names)

    return per_page(mk, zen, names_its_index, "pages")


@check("sitemap")
def sitemap(mk: Site, zen: Site) -> Outcome:
    def locs(site: Site) -> set[str]:
        path = site.root / "sitemap.xml"
        return set(re.findall(r"<loc>([^<]*)</loc>", path.read_text())) if path.is_file() else set()

    want, have = locs(mk), locs(zen)
    outcome = Outcome(len(want), "URLs")
    outcome.problems += [f"{u}: not in Zensical's sitemap.xml" for u in sorted(want - have)]
    outcome.problems += [f"{u}: only in Zensical's sitemap.xml" for u in sorted(have - want)]
    return outcome


@check("headings")
def headings(mk: Site, zen: Site) -> Outcome:
    def ids(site: Site, page: str) -> list[str]:
        return [h.get("id", "") for h in site.article(page).find_all(re.compile("^h[1-6]$"))]

    return per_page(mk, zen, ids, "pages")


@check("Markdown features")
def features(mk: Site, zen: Site) -> Outcome:
    def counts(site: Site, page: str) -> dict[str, int]:
        article = site.article(page)
        return {name: len(article.select(css)) for name, css in ARTICLE_FEATURES.items()}

    return per_page(mk, zen, counts, "pages")


@check("checked dates")
def checked_dates(mk: Site, zen: Site) -> Outcome:
    def dates(site: Site, page: str) -> list[str]:
        return [t.get_text() for t in site.soup(page).select(".claims-checked time")]

    return per_page(mk, zen, dates, "pages")


@check("figure images")
def figure_images(mk: Site, zen: Site) -> Outcome:
    def count(site: Site, page: str) -> int:
        return len(site.article(page).select('img[src*="figures/"], img[src$=".svg"]'))

    return per_page(mk, zen, count, "pages")


@check("zoom links")
def zoom_links(mk: Site, zen: Site) -> Outcome:
    return per_page(mk, zen, lambda site, page: len(site.soup(page).select("a.glightbox")), "pages")


@check("code blocks")
def code_blocks(mk: Site, zen: Site) -> Outcome:
    def count(site: Site, page: str) -> int:
        return len(site.article(page).select("div.highlight"))

    return per_page(mk, zen, count, "pages")


@check("deferred details")
def deferred_details(mk: Site, zen: Site) -> Outcome:
    def count(site: Site, page: str) -> int:
        return len(site.article(page).select("details template"))

    return per_page(mk, zen, count, "pages")


@check("inline CSS")
def inline_css(mk: Site, zen: Site) -> Outcome:
    # mkdocs-glightbox adds a <style id="glightbox-style"> of its own; Zensical's zoom is built in.
    ours = "head style:not(#glightbox-style)"
    return per_page(mk, zen, lambda site, page: len(site.soup(page).select(ours)), "pages")


@check("no empty tabindex")
def empty_tabindex(mk: Site, zen: Site) -> Outcome:
    def count(site: Site, page: str) -> int:
        return len(site.soup(page).select('[tabindex=""]'))

    return per_page(mk, zen, count, "pages")


@dataclass
class Report:
    holds: dict[str, Outcome] = field(default_factory=dict)
    known: dict[str, Outcome] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    def text(self, limit: int = 5) -> str:
        lines = [
            f"Zensical beside MkDocs: {len(self.holds)} checks hold, "
            f"{len(self.known)} known differences, {len(self.failures)} failures"
        ]
        for name, o in self.holds.items():
            lines.append(f"  holds  {name}: {o.examined} {o.unit}")
        for name, o in self.known.items():
            lines.append(f"  known  {name}: {len(o.problems)} of {o.examined} {o.unit} differ")
            lines.append(f"         why: {KNOWN[name]}")
            lines += [f"         - {p}" for p in o.problems[:limit]]
            if len(o.problems) > limit:
                lines.append(f"         - ... and {len(o.problems) - limit} more")
        for name, why in NOT_COMPARED.items():
            lines.append(f"  not compared  {name}: {why}")
        lines += [f"  FAIL   {f}" for f in self.failures]
        return "\n".join(lines)


def compare(mk_root: Path, zen_root: Path) -> Report:
    mk, zen = Site(mk_root), Site(zen_root)
    report = Report()
    unknown = KNOWN.keys() - CHECKS.keys()
    report.failures += [f"KNOWN names no check {name!r}: fix the name" for name in sorted(unknown)]
    for name, run in CHECKS.items():
        outcome = run(mk, zen)
        if outcome.examined == 0 and not outcome.problems:
            outcome.problems.append("examined nothing, so it proves nothing")
        if name not in KNOWN:
            if outcome.problems:
                report.failures += [f"{name}: {p}" for p in outcome.problems]
            else:
                report.holds[name] = outcome
        elif outcome.problems:
            report.known[name] = outcome
        else:
            report.failures.append(
                f"{name}: matches now; delete its line from KNOWN in sitebuild/zensical/compare.py"
            )
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sitebuild.zensical.compare")
    parser.add_argument("--mkdocs", type=Path, help="a MkDocs build (default: build one now)")
    parser.add_argument("--zensical", type=Path, default=REPO / "site-zensical")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="mkdocs-site-") as tmp:
        mk = args.mkdocs
        if mk is None:
            mk = Path(tmp) / "site"
            built = build(REPO, mk)
            if built.returncode != 0:
                print(built.stdout + built.stderr, file=sys.stderr)
                return 1
        report = compare(mk, args.zensical)
    print(report.text())
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main())
