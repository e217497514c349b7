"""The site retells its source article in its own words.

No run of 8 or more consecutive words from the article (../shared/seed/*.txt, beside the
repository) may appear on any page, except inside a quote block that links its source. Pages are
compared as a reader sees them: Markdown rendered to text, case, punctuation and line breaks
ignored, so bold text, a hyphen or a curly apostrophe cannot hide a copied sentence.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import markdown
import pytest
from bs4 import BeautifulSoup
from mkdocs.utils.meta import get_data

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"
# CI checks the repository out with shared/ beside it; locally /work/shared sits beside /work/main.
SEED_DIR = REPO.parent / "shared" / "seed"
RUN = 8  # the shortest run of shared words that counts as copying

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

Gram = tuple[str, ...]


class SeedMissing(Exception):
    """The source article is not where the test expects it."""


@dataclass(frozen=True)
class Copy:
    page: str
    line: int | None
    words: str

    def __str__(self) -> str:
        where = f"{self.page}:{self.line}" if self.line else self.page
        return f'{where}: "{self.words}"'


def words(text: str) -> list[str]:
    """Lower-case words, punctuation dropped: "Don't" is "dont", "micro-services" two words."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = re.sub(r"['\u2018\u2019`]", "", text)
    return re.findall(r"[a-z0-9]+", text)


def grams(seq: list[str], n: int = RUN) -> set[Gram]:
    return {tuple(seq[i : i + n]) for i in range(len(seq) - n + 1)}


def load_seed(seed_dir: Path = SEED_DIR) -> set[Gram]:
    """Every run of RUN words in the source article."""
    texts = sorted(seed_dir.glob("*.txt")) if seed_dir.is_dir() else []
    if not texts:
        raise SeedMissing(
            f"no source article (*.txt) in {seed_dir}. The originality check compares every page "
            f"with it: check out the shared material so that shared/seed/ sits beside the "
            f"repository ({REPO.parent / 'shared' / 'seed'})."
        )
    seed: set[Gram] = set()
    for text in texts:
        seed |= grams(words(text.read_text(encoding="utf-8")))
    return seed


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


def copies_in(source: str, seed: set[Gram], page: str) -> list[Copy]:
    """Each longest run of at least RUN words the page shares with the article."""
    text = words(reader_text(source))
    spans: list[list[int]] = []
    for i in range(len(text) - RUN + 1):
        if tuple(text[i : i + RUN]) in seed:
            if spans and i <= spans[-1][1]:
                spans[-1][1] = i + RUN
            else:
                spans.append([i, i + RUN])
    return [Copy(page, _line_of(source, text[a:b]), " ".join(text[a:b])) for a, b in spans]


def find_copies(docs: Path, seed: set[Gram]) -> list[Copy]:
    found: list[Copy] = []
    for path in sorted(docs.rglob("*.md")):
        page = path.relative_to(docs.parent).as_posix()
        found += copies_in(path.read_text(encoding="utf-8"), seed, page)
    return found


@pytest.fixture(scope="module")
def seed() -> set[Gram]:
    try:
        return load_seed()
    except SeedMissing as e:
        pytest.fail(str(e))


def test_no_page_copies_the_source_article(seed: set[Gram]) -> None:
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
# may excuse one. They plant a real sentence from the article, so they follow the article if it
# changes.


def _planted_sentence() -> str:
    """The longest sentence of the article: certain to hold several 8-word runs."""
    text = " ".join(path.read_text(encoding="utf-8") for path in sorted(SEED_DIR.glob("*.txt")))
    sentences = re.split(r"(?<=[.!?])\s+|\n+", text)  # one paragraph per line in the capture
    return max(sentences, key=lambda s: len(words(s))).strip()


def test_a_planted_copy_is_caught_with_its_line(seed: set[Gram], tmp_path: Path) -> None:
    sentence = _planted_sentence()
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "page.md").write_text(
        f"---\ndescription: A page of our own.\n---\n\n# A page\n\nOur own words come first.\n\n"
        f"Then, by mistake: {sentence}\n",
        encoding="utf-8",
    )
    copies = find_copies(docs, seed)
    assert len(copies) == 1, copies
    assert copies[0].page == "docs/page.md"
    assert copies[0].line == 9
    assert set(words(sentence)) >= set(copies[0].words.split())


def test_formatting_cannot_hide_a_copy(seed: set[Gram]) -> None:
    chunk = words(_planted_sentence())[:12]
    # Upper case, bold in the middle, a line break and stray punctuation: still the same words.
    disguised = " ".join(chunk[:5]).upper() + " **" + chunk[5] + "**,\n" + " -- ".join(chunk[6:])
    assert copies_in(f"# Page\n\n{disguised}\n", seed, "p.md")


def test_seven_shared_words_are_not_a_copy(seed: set[Gram]) -> None:
    chunk = words(_planted_sentence())[: RUN - 1]
    assert not copies_in(f"# Page\n\nZebra {' '.join(chunk)} quokka.\n", seed, "p.md")


def test_only_a_quote_that_links_its_source_may_copy(seed: set[Gram]) -> None:
    sentence = _planted_sentence()
    linked = f"# Page\n\n> {sentence}\n>\n> — [The article](https://example.org/vm-vs-docker)\n"
    unlinked = f"# Page\n\n> {sentence}\n>\n> — the article\n"
    internal = f"# Page\n\n> {sentence}\n>\n> — [our glossary](reference/glossary.md)\n"
    outside = f"# Page\n\n{sentence} See [the article](https://example.org/vm-vs-docker).\n"
    assert not copies_in(linked, seed, "p.md")
    assert copies_in(unlinked, seed, "p.md")
    assert copies_in(internal, seed, "p.md")
    assert copies_in(outside, seed, "p.md")


def test_a_missing_article_fails_with_where_to_put_it(tmp_path: Path) -> None:
    with pytest.raises(SeedMissing, match=r"shared/seed"):
        load_seed(tmp_path / "nowhere")
