"""The site retells its source article in its own words.

No run of 8 or more consecutive words from the article may appear on any page, except inside a
quote block that links its source. The article is not in the repository: its fingerprints are
(tests/content/seed_fingerprints.txt, one SHA-256 per 8-word run, written by
make_fingerprints.py), so the check runs the same in any clone. Pages are compared as a reader
sees them: Markdown rendered to text, case, punctuation and line breaks ignored, so bold text, a
hyphen or a curly apostrophe cannot hide a copied sentence.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import markdown
import pytest
from bs4 import BeautifulSoup
from mkdocs.utils.meta import get_data

from tests.content.make_fingerprints import (
    FINGERPRINTS,
    RUN,
    fingerprint,
    fingerprints,
    from_article,
    load,
    words,
    write,
)

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"

# Enough Markdown to turn a page into the words a reader sees. Figure markers and snippet lines stay
# literal: what they pull in is our own code, not prose from the article.
EXTENSIONS = [
    "abbr",
    "admonition",
    "attr_list",
    "def_list",
    "footnotes",
    "md_in_html",
    "tables",
    "pymdownx.details",
    "pymdownx.superfences",
    "pymdownx.tabbed",
]


@dataclass(frozen=True)
class Copy:
    page: str
    line: int | None
    words: str

    def __str__(self) -> str:
        where = f"{self.page}:{self.line}" if self.line else self.page
        return f'{where}: "{self.words}"'


def _quotes_its_source(quote: BeautifulSoup) -> bool:
    """A blockquote that links a source of its own (http/https), not just an inner quote's link."""
    return any(
        a["href"].startswith(("http://", "https://")) and a.find_parent("blockquote") is quote
        for a in quote.find_all("a", href=True)
    )


def reader_text(source: str) -> str:
    """What a reader of the page sees, minus quote blocks that link their source."""
    body, meta = get_data(source)
    soup = BeautifulSoup(markdown.markdown(body, extensions=EXTENSIONS), "html.parser")
    # Innermost first, so an unlinked outer quote is judged on its own links only.
    for quote in reversed(soup.find_all("blockquote")):
        if _quotes_its_source(quote):
            quote.decompose()
    front = [value for value in meta.values() if isinstance(value, str)]
    return "\n".join([*front, soup.get_text(" ")])


def _line_of(source: str, run: list[str]) -> int | None:
    """The source line where a copied run starts (Markdown syntax may hide it: then None)."""
    lines = enumerate(source.splitlines(), start=1)
    stream = [(number, word) for number, line in lines for word in words(line)]
    plain = [word for _, word in stream]
    for probe in (run[:RUN], run[:4]):
        for i in range(len(plain) - len(probe) + 1):
            if plain[i : i + len(probe)] == probe:
                return stream[i][0]
    return None


def copies_in(source: str, seed: set[str], page: str) -> list[Copy]:
    """Each longest run of at least RUN words the page shares with the article (by fingerprint)."""
    text = words(reader_text(source))
    spans: list[list[int]] = []
    for i in range(len(text) - RUN + 1):
        if fingerprint(text[i : i + RUN]) in seed:
            if spans and i <= spans[-1][1]:
                spans[-1][1] = i + RUN
            else:
                spans.append([i, i + RUN])
    return [Copy(page, _line_of(source, text[a:b]), " ".join(text[a:b])) for a, b in spans]


def find_copies(docs: Path, seed: set[str]) -> list[Copy]:
    found: list[Copy] = []
    for path in sorted(docs.rglob("*.md")):
        page = path.relative_to(docs.parent).as_posix()
        found += copies_in(path.read_text(encoding="utf-8"), seed, page)
    return found


@pytest.fixture(scope="module")
def seed() -> set[str]:
    return load(FINGERPRINTS)


def test_the_fingerprints_cover_the_whole_article(seed: set[str]) -> None:
    # About 900 words of article give about 890 runs; an emptied or truncated file would pass
    # every page, so it must fail here instead.
    assert len(seed) >= 800, f"{FINGERPRINTS}: only {len(seed)} fingerprints"
    lines = FINGERPRINTS.read_text(encoding="utf-8").splitlines()
    assert lines == sorted(set(lines)), f"{FINGERPRINTS}: not sorted and unique; regenerate it"


def test_no_page_copies_the_source_article(seed: set[str]) -> None:
    pages = list(DOCS.rglob("*.md"))
    assert pages, f"no Markdown pages under {DOCS}"
    copies = find_copies(DOCS, seed)
    assert not copies, (
        f"{len(copies)} passage(s) repeat {RUN}+ consecutive words of the source article:\n"
        + "\n".join(f"  {c}" for c in copies)
        + "\nRewrite each in your own words, or quote it in a '>' block that names and links "
        "its source."
    )


# The checks below prove the check itself: it must catch a planted copy, and only a linked quote
# may excuse one. The article is not here, so they plant a sentence of their own and stand in for
# the article with its fingerprints, made the same way the committed ones are.

PLANTED = (
    "A lighthouse keeper on a windy island counted seventeen ships before the fog rolled in, "
    "then wrote each name in a ledger nobody would read for forty years."
)


@pytest.fixture
def planted(tmp_path: Path) -> set[str]:
    """Fingerprints of an article made of PLANTED, written and read back like the real ones."""
    article = tmp_path / "fingerprints.txt"
    write(fingerprints(words(PLANTED)), article)
    return load(article)


def test_a_planted_copy_is_caught_with_its_line(planted: set[str], tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "page.md").write_text(
        f"---\ndescription: A page of our own.\n---\n\n# A page\n\nOur own words come first.\n\n"
        f"Then, by mistake: {PLANTED}\n",
        encoding="utf-8",
    )
    copies = find_copies(docs, planted)
    assert len(copies) == 1, copies
    assert copies[0].page == "docs/page.md"
    assert copies[0].line == 9
    assert copies[0].words == " ".join(words(PLANTED))


def test_formatting_cannot_hide_a_copy(planted: set[str]) -> None:
    chunk = words(PLANTED)[:12]
    # Upper case, bold in the middle, a line break and stray punctuation: still the same words.
    disguised = " ".join(chunk[:5]).upper() + " **" + chunk[5] + "**,\n" + " -- ".join(chunk[6:])
    assert copies_in(f"# Page\n\n{disguised}\n", planted, "p.md")


def test_seven_shared_words_are_not_a_copy(planted: set[str]) -> None:
    chunk = words(PLANTED)[: RUN - 1]
    assert not copies_in(f"# Page\n\nZebra {' '.join(chunk)} quokka.\n", planted, "p.md")


def test_only_a_quote_that_links_its_source_may_copy(planted: set[str]) -> None:
    linked = f"# Page\n\n> {PLANTED}\n>\n> — [The article](https://example.org/vm-vs-docker)\n"
    unlinked = f"# Page\n\n> {PLANTED}\n>\n> — the article\n"
    internal = f"# Page\n\n> {PLANTED}\n>\n> — [our glossary](reference/glossary.md)\n"
    outside = f"# Page\n\n{PLANTED} See [the article](https://example.org/vm-vs-docker).\n"
    assert not copies_in(linked, planted, "p.md")
    assert copies_in(unlinked, planted, "p.md")
    assert copies_in(internal, planted, "p.md")
    assert copies_in(outside, planted, "p.md")


def test_fingerprints_hash_normalised_words() -> None:
    # The committed file depends on exactly this: words joined by one space, then SHA-256.
    assert words("Don\u2019t  RUN, micro-services!") == ["dont", "run", "micro", "services"]
    assert fingerprint(["a", "b"]) == (
        "c8687a08aa5d6ed2044328fa6a697ab8e96dc34291e8c2034ae8c38e6fcc6d65"
    )


def test_a_bad_fingerprints_file_names_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "fingerprints.txt"
    bad.write_text(f"{'0' * 64}\nthe lighthouse keeper\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"fingerprints\.txt:2: expected one SHA-256"):
        load(bad)


def test_the_generator_reads_the_article_and_says_where_it_looked(tmp_path: Path) -> None:
    (tmp_path / "article.txt").write_text(PLANTED, encoding="utf-8")
    assert from_article(tmp_path) == fingerprints(words(PLANTED))
    with pytest.raises(SystemExit, match=r"no source article \(\*\.txt\) in .*nowhere"):
        from_article(tmp_path / "nowhere")
