"""A closed <details> keeps its content in a <template> until the reader opens it, and a long
listing in plain view shows plain text until the page is idle, then its highlighting.

Used by the post-build pass (sitebuild/pages/postbuild.py) on each page's article, and by
sitebuild/figures/source.py on each figure's Source; docs/javascripts/deferred.js does both swaps in
the browser.

Why: closed, a <details> shows nothing, yet every highlighted line in it is elements that the
browser parses and styles and that Material's start-up script lays out; a <template>'s content is
parsed but stays out of the page. Material gives code blocks their copy button when the page
loads, so a block that arrives later gets the same button here, written into the template
(sitebuild/pages/theme.py: COPY_BUTTON). Only outermost closed <details> are deferred (an inner
one moves in with its parent); an open one (`<details open>`, `???+`) is visible from the start.
A long listing's highlighting (one element per token) waits in a <template data-highlighted>
because every style pass of Material's start-up walks those elements.

Deferring what is already deferred changes nothing, so the pass may run twice over a page.
"""

from __future__ import annotations

import functools
import itertools
from html import escape
from html.parser import HTMLParser

from sitebuild.pages.theme import COPY_BUTTON

# A code block outside closed <details> with more elements than this shows plain text until idle:
# the lowest count at which lab pages lost their blocking time (make bench); a block under it is a
# few lines of a lab.
HIGHLIGHT_AT_IDLE_OVER = 150


class _Deferrable(HTMLParser):
    """Finds, by offset into the page, what to wrap (closed details' content after </summary>)
    and where each <pre> inside starts, so the page itself is spliced and otherwise unchanged."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.html = html
        self.line_starts = [0, *itertools.accumulate(len(line) for line in html.splitlines(True))]
        self.depth = 0  # <details> nesting inside the outermost closed one being deferred
        self.content_start: int | None = None
        self.wraps: list[tuple[int, int]] = []  # (after </summary>, before </details>)
        self.code_blocks: list[tuple[int, str | None, int]] = []  # (<pre> at, its id, <code> at)
        self.pending: list[tuple[int, str | None, int]] = []  # those of the details being read
        self.done_before = False  # the details being read holds a template already: leave it
        self.open_pre: tuple[int, str | None] | None = None
        self.open_code: tuple[int, int, list[str]] | None = None  # (inside starts, tags, text)
        self.long_listings: list[tuple[int, int, str]] = []  # (inside starts, ends, its text)

    def position(self) -> int:
        line, column = self.getpos()
        return self.line_starts[line - 1] + column

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if tag == "template" and ("data-deferred" in names or "data-highlighted" in names):
            # Deferred by an earlier run: a closed <details> or a long listing is left as it is.
            self.done_before = self.done_before or self.content_start is not None
            self.open_code = None
        elif self.open_code:
            self.open_code = (self.open_code[0], self.open_code[1] + 1, self.open_code[2])
        elif tag == "details" and (self.depth or "open" not in names):
            self.depth += 1
        elif tag == "pre":
            self.open_pre = (self.position(), names.get("id"))
        elif tag == "code" and self.open_pre:
            # A code block (Material's `pre > code`); a line-number column is a <pre> without one.
            if self.content_start is not None:
                self.pending.append((*self.open_pre, self.position()))
            elif not self.depth:
                self.open_code = (self.html.index(">", self.position()) + 1, 0, [])
            self.open_pre = None

    def handle_data(self, data: str) -> None:
        if self.open_code:
            self.open_code[2].append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "pre":
            self.open_pre = None
        if tag == "code" and self.open_code:
            inside, tags, text = self.open_code
            if tags > HIGHLIGHT_AT_IDLE_OVER:
                self.long_listings.append((inside, self.position(), "".join(text)))
            self.open_code = None
        if not self.depth:
            return
        if tag == "summary" and self.depth == 1 and self.content_start is None:
            self.content_start = self.html.index(">", self.position()) + 1
        elif tag == "details":
            self.depth -= 1
            if not self.depth:
                if self.content_start is not None and not self.done_before:
                    self.wraps.append((self.content_start, self.position()))
                    self.code_blocks += self.pending
                self.content_start, self.pending, self.done_before = None, [], False


# Parsing every page is ~0.25 s of a build. A hook module lives as long as `mkdocs serve`, so a
# rebuild after an edit parses only the pages whose HTML changed.
@functools.lru_cache(maxsize=512)
def deferred(html: str, copy_buttons: bool = True, id_prefix: str = "__deferred_") -> str:
    """`html` with each outermost closed <details>' content (after its <summary>) in a template,
    (`copy_buttons`) a copy button on each code block inside, and each long listing outside
    shown as plain text with its highlighting in a template."""
    if "<details" not in html and html.count("<span") <= HIGHLIGHT_AT_IDLE_OVER:
        return html
    parser = _Deferrable(html)
    parser.feed(html)
    parser.close()
    edits: list[tuple[int, int, str]] = []  # (from, to, new text): inserts replace nothing
    for start, end in parser.wraps:
        edits += [(start, start, "<template data-deferred>"), (end, end, "</template>")]
    for number, (pre_at, pre_id, code_at) in enumerate(parser.code_blocks if copy_buttons else []):
        if pre_id is None:
            pre_id = f"{id_prefix}{number}"  # Material numbers its own __code_0, __code_1...
            at = pre_at + len("<pre")
            edits.append((at, at, f' id="{pre_id}"'))
        edits.append((code_at, code_at, COPY_BUTTON.format(id=pre_id)))
    for inside, end, text in parser.long_listings:
        # data-search-exclude (Material's documented switch): search indexes the plain copy only.
        template = "<template data-highlighted data-search-exclude>{}</template>"
        highlighted = template.format(html[inside:end])
        edits.append((inside, end, escape(text, quote=False) + highlighted))
    for start, end, text in sorted(edits, key=lambda edit: edit[0], reverse=True):
        html = html[:start] + text + html[end:]
    return html
