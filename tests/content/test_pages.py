"""Every page is a proper step in the story: it describes itself in one sentence (for search results
and link previews), has exactly one H1, a heading outline without skipped levels, and ends with a
link onward. Checked on the built HTML, which is what readers and search engines get.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlparse

import pytest
from bs4 import BeautifulSoup, Tag
from mkdocs.utils.meta import get_data

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"
PAGES = sorted(p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md"))
HEADING = re.compile(r"^h[1-6]$")
# Material puts these at the top or bottom of the article; they are chrome, not the page's content.
CHROME = {"md-content__button", "footnote", "md-source-file", "md-feedback"}


def html_path(site: Path, page: str) -> Path:
    """Where MkDocs (use_directory_urls) writes a page: a/b.md -> a/b/index.html."""
    stem = page.removesuffix(".md")
    if stem == "index" or stem.endswith("/index"):
        return site / f"{stem}.html"
    return site / stem / "index.html"


def _title(heading: Tag) -> str:
    return heading.get_text(" ", strip=True).rstrip("¶ ")


def description_problem(source: str, built: BeautifulSoup) -> str | None:
    _, meta = get_data(source)
    description = str(meta.get("description", "")).strip()
    if not description:
        return "add `description:` (one sentence) to the front matter"
    if len(re.findall(r"[.!?](?=\s|$)", description)) != 1 or description[-1] not in ".!?":
        return f"the description should be exactly one sentence, got: {description!r}"
    tag = built.find("meta", attrs={"name": "description"})
    content = tag.get("content") if tag else None
    if content != description:
        return f"the built <meta name=description> is {content!r}, not the front-matter description"
    return None


def h1_problem(article: Tag) -> str | None:
    titles = [_title(h) for h in article.find_all("h1")]
    return None if len(titles) == 1 else f"expected one H1 ('# Title'), found {titles}"


def outline_problem(article: Tag) -> str | None:
    previous = 0
    for heading in article.find_all(HEADING):
        level = int(heading.name[1])
        if level > previous + 1:
            return (
                f"heading {_title(heading)!r} is h{level} straight after h{previous}; "
                f"use h{previous + 1} or add the missing level"
            )
        previous = level
    return None


def _is_page_link(href: str) -> bool:
    """A link to another page of this site (not an in-page anchor, not another site)."""
    url = urlparse(href)
    return not url.scheme and not url.netloc and bool(url.path)


def ending_problem(article: Tag) -> str | None:
    blocks = [
        child
        for child in article.find_all(recursive=False)
        if not CHROME.intersection(child.get("class") or []) and child.get_text(strip=True)
    ]
    if not blocks:
        return "the page has no content"
    last = blocks[-1]
    if any(_is_page_link(a["href"]) for a in last.find_all("a", href=True)):
        return None
    return (
        "the last paragraph should point the reader onward with a link to another page; "
        f"it reads: {last.get_text(' ', strip=True)[:160]!r}"
    )


@pytest.fixture(scope="module")
def built(built_site: Path) -> dict[str, BeautifulSoup]:
    pages: dict[str, BeautifulSoup] = {}
    for page in PAGES:
        path = html_path(built_site, page)
        assert path.is_file(), f"docs/{page} was not built to {path.relative_to(built_site)}"
        pages[page] = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
    return pages


def article_of(soup: BeautifulSoup, page: str) -> Tag:
    article = soup.select_one("article.md-content__inner")
    assert article is not None, f"docs/{page}: no <article class='md-content__inner'> in the build"
    return article


def test_the_site_has_pages() -> None:
    assert "index.md" in PAGES and len(PAGES) > 1, f"expected the site's pages under {DOCS}"


@pytest.mark.slow
@pytest.mark.parametrize("page", PAGES)
def test_page_has_a_one_sentence_description(page: str, built: dict[str, BeautifulSoup]) -> None:
    problem = description_problem((DOCS / page).read_text(encoding="utf-8"), built[page])
    assert problem is None, f"docs/{page}: {problem}"


@pytest.mark.slow
@pytest.mark.parametrize("page", PAGES)
def test_page_has_exactly_one_h1(page: str, built: dict[str, BeautifulSoup]) -> None:
    problem = h1_problem(article_of(built[page], page))
    assert problem is None, f"docs/{page}: {problem}"


@pytest.mark.slow
@pytest.mark.parametrize("page", PAGES)
def test_headings_skip_no_level(page: str, built: dict[str, BeautifulSoup]) -> None:
    problem = outline_problem(article_of(built[page], page))
    assert problem is None, f"docs/{page}: {problem}"


@pytest.mark.slow
@pytest.mark.parametrize("page", PAGES)
def test_page_ends_with_a_link_onward(page: str, built: dict[str, BeautifulSoup]) -> None:
    problem = ending_problem(article_of(built[page], page))
    assert problem is None, f"docs/{page}: {problem}"


# Each check must be able to fail: small pages with one fault each, shaped like Material's output.


def _article(body: str) -> Tag:
    edit = '<a class="md-content__button" href="edit">edit</a>'
    html = f'<article class="md-content__inner">{edit}{body}</article>'
    return BeautifulSoup(html, "html.parser").article


def test_checks_catch_broken_pages() -> None:
    good = _article('<h1>T</h1><h2>A</h2><h3>B</h3><p>Next: <a href="../b/">B</a>.</p>')
    assert h1_problem(good) is None
    assert outline_problem(good) is None
    assert ending_problem(good) is None

    assert "found ['T', 'U']" in h1_problem(_article("<h1>T</h1><h1>U</h1>"))
    assert "h3 straight after h1" in outline_problem(_article("<h1>T</h1><h3>Deep</h3>"))
    assert "h2 straight after h0" in outline_problem(_article("<h2>No title</h2>"))
    # An anchor on the same page, or another site, is not a way onward; footnotes don't count.
    for body in (
        '<p>See <a href="#top">above</a>.</p>',
        '<p>See <a href="https://example.org/">elsewhere</a>.</p>',
        '<p>Words.</p><div class="footnote"><a href="../b/">1</a></div>',
    ):
        assert "last paragraph" in ending_problem(_article(f"<h1>T</h1>{body}")), body


def test_description_check_catches_missing_long_and_unbuilt() -> None:
    def soup(content: str) -> BeautifulSoup:
        return BeautifulSoup(f'<meta name="description" content="{content}">', "html.parser")

    one = "---\ndescription: One sentence here.\n---\n# T\n"
    assert description_problem(one, soup("One sentence here.")) is None
    assert "add `description:`" in description_problem("# T\n", soup("x"))
    two = "---\ndescription: One. Two.\n---\n# T\n"
    assert "exactly one sentence" in description_problem(two, soup("One. Two."))
    assert "not the front-matter" in description_problem(one, soup("Site-wide fallback."))
