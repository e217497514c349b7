"""A line `[[figure NAME]]` on a page becomes that figure: a Python-Markdown extension
(mkdocs.yml `markdown_extensions`), so any builder that runs Python-Markdown expands it.

It expands into the image (alt text from the script), its caption, zoom on click (glightbox wraps
every <img>; the title and caption go along as data-title/data-description), ids figure-NAME,
figure-NAME-2 for a second copy on a page, and a mark where the figure's collapsed "Source" goes
(sitebuild.figures.source fills it in once the page is built). The page's first figure loads
eagerly, later ones lazily. Markers inside code fences stay as they are, so a page can show the
syntax. An unknown NAME, or a broken figure script, fails the build with the page file and line.

Decisions:

- The image's address. The SVG is docs/figures/NAME.svg in the built docs (sitebuild/generate.py
  writes it); the <img> must point there relative to the page, wherever the site is served and
  however deep the page is. The extension writes the <img> into the Markdown tree with `src`
  relative to the page's *source file* (`../figures/x.svg` from labs/index.md), as an author
  would write a Markdown image: the builder's own link handling then rewrites it for the page's
  address, and MkDocs' strict build validates it like any other image (a missing SVG fails it).
  Both MkDocs and Zensical resolve a relative image from the page's source file that way.
- Which page this is. Python-Markdown does not say; `_page` asks the builder, in one place:
  MkDocs 1.6 (Page.render registers its link rewriter as treeprocessor "relpath", holding the
  page's File) and Zensical (its "rendering_context" preprocessor holds the page). Under any other
  builder a page with a figure fails with a message naming `_page`; pages without one never ask.
- Lines in errors. The extension runs before every other preprocessor (snippets included), so it
  sees the page's own lines; MkDocs has stripped the front matter, which `_page` counts back from
  the File's text, so errors name the file's line. Under Zensical the line counts from the end of
  the front matter, and the message says so. Under MkDocs the error is a PluginError: MkDocs shows
  it as "Error reading page 'x.md':" and the message, without a traceback.
- Markup. Only a stand-in <img src> enters the tree (for the link rewriting above) inside the
  <figure>; a postprocessor writes the real <img> and <figcaption> around the rewritten `src`.
  The caption and alt text are the script's plain text, so no inline processor, abbreviation or
  attribute list ever touches them, and the attributes keep their order (Python-Markdown sorts
  the attributes of what it serializes).
"""

from __future__ import annotations

import html
import posixpath
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as etree

from markdown import Extension, Markdown
from markdown.postprocessors import Postprocessor
from markdown.preprocessors import Preprocessor
from markdown.treeprocessors import Treeprocessor

from sitebuild import figures
from sitebuild.figures.source import MARK

try:  # MkDocs reports a BuildError as a message, any other exception with a traceback.
    from mkdocs.exceptions import PluginError as _Failure
except ImportError:  # pragma: no cover - a builder without MkDocs installed
    _Failure = Exception  # type: ignore[misc,assignment]

ROOT = Path(__file__).resolve().parents[2]
FIGURES = "figures"  # where the SVGs are in the built docs (sitebuild/generate.py)
MARKER = re.compile(r"^(?P<indent>[ \t]*)\[\[figure[ \t]+(?P<name>[^\]\s]*)[ \t]*\]\][ \t]*$")
FENCE = re.compile(r"^[ \t]*(?P<fence>`{3,}|~{3,})")
# A marker's stand-in paragraph until the tree is built; random, so no page can write one.
STAND_IN = f"figure-stand-in-{secrets.token_hex(8)}-"
STAND_IN_IMG = re.compile(r'<img data-figure="(?P<key>[^"]+)" src="(?P<src>[^"]*)"\s*/?>')


class FigureMarkerError(_Failure):
    """A `[[figure NAME]]` line that cannot become a figure; the message names file and line."""


@dataclass(frozen=True)
class Page:
    path: str | None  # the page's source relative to the docs folder, e.g. "labs/index.md"
    shown: str  # how an error names it, e.g. "docs/labs/index.md"
    first_line: int  # the file's line number of the Markdown's first line
    note: str = ""  # said after the line number where it is not the file's


def _page(md: Markdown, markdown: str) -> Page:
    """The page being converted, from the builder: the one coupling to each builder's internals."""
    # MkDocs 1.6: mkdocs.structure.pages._RelativePathTreeprocessor, registered as "relpath".
    file = (
        getattr(md.treeprocessors["relpath"], "file", None)
        if "relpath" in md.treeprocessors
        else None
    )
    if file is not None:
        shown = file.src_uri
        if file.abs_src_path and Path(file.abs_src_path).resolve().is_relative_to(ROOT):
            shown = Path(file.abs_src_path).resolve().relative_to(ROOT).as_posix()
        # MkDocs hands over the Markdown without its front matter; count it back.
        source = file.content_string
        before = source[: len(source) - len(markdown)] if source.endswith(markdown) else ""
        return Page(file.src_uri, shown, before.count("\n") + 1)
    # Zensical: zensical.extensions.context.ContextPreprocessor, registered "rendering_context".
    if "rendering_context" in md.preprocessors:
        page = getattr(md.preprocessors["rendering_context"], "page", None)
        path = getattr(page, "path", None)
        if path:
            return Page(path, f"docs/{path}", 1, " (counted after the front matter)")
    return Page(None, "this page", 1, " (counted after the front matter)")


@dataclass(frozen=True)
class _Placed:
    key: str  # the stand-in's text
    figure: figures.Figure
    anchor: str  # figure-NAME, figure-NAME-2, ...
    src: str  # the SVG relative to the page's source file, as an author would link it
    first: bool  # the page's first figure
    where: str  # "docs/x.md:12", for errors


class _Markers(Preprocessor):
    """Each marker line outside code fences becomes a stand-in paragraph; its figure is loaded
    here, so an unknown name fails with the line it is on."""

    def __init__(self, md: Markdown) -> None:
        super().__init__(md)
        self.placed: dict[str, _Placed] = {}

    def run(self, lines: list[str]) -> list[str]:
        self.placed = {}
        if not any("[[figure" in line for line in lines):
            return lines
        page = _page(self.md, "\n".join(lines))
        folder = posixpath.dirname(page.path or "") or "."
        out: list[str] = []
        anchors: set[str] = set()
        fence = ""
        for number, line in enumerate(lines, start=page.first_line):
            opening = FENCE.match(line)
            if opening and not fence:
                fence = opening["fence"]
            elif (
                opening and opening["fence"].startswith(fence) and not line.strip(f" \t{fence[0]}")
            ):
                fence = ""  # a closing fence: as long as the opening one, and nothing after it
            marker = None if fence else MARKER.match(line)
            if marker is None:
                out.append(line)
                continue
            name, where = marker["name"], f"{page.shown}:{number}{page.note}"
            if page.path is None:
                raise FigureMarkerError(
                    f"{where}: cannot tell which page this is, so not where figures/{name}.svg is "
                    "from it; teach sitebuild.figures.markdown._page this builder."
                )
            try:
                figure = figures.load(ROOT, name)
            except KeyError:
                known = ", ".join(figures.figure_name(p) for p in figures.scripts(ROOT))
                raise FigureMarkerError(
                    f"{where}: unknown figure {name!r} in '{line.strip()}'. "
                    f"Known figures: {known}. Fix the name, or add "
                    f"{figures.script_path(ROOT, name).relative_to(ROOT)}."
                ) from None
            except figures.FigureErrors as e:
                raise FigureMarkerError(f"{where}: figure {name!r} failed.\n{e}") from None
            # A page may show a figure twice; each copy needs its own id (#figure-NAME, -2, ...).
            anchor, n = f"figure-{name}", 1
            while anchor in anchors:
                n += 1
                anchor = f"figure-{name}-{n}"
            anchors.add(anchor)
            key = f"{STAND_IN}{len(self.placed)}"
            src = posixpath.relpath(f"{FIGURES}/{name}.svg", folder)
            self.placed[key] = _Placed(key, figure, anchor, src, not self.placed, where)
            # Its own block, whatever surrounds it; the indentation keeps it in its container.
            # The Source's mark is raw HTML, which Markdown passes through as it is.
            mark = MARK.format(name=name, anchor=anchor)
            out.extend(["", marker["indent"] + key, "", marker["indent"] + mark, ""])
        return out


class _Figures(Treeprocessor):
    """Each stand-in paragraph becomes <figure><img src></figure>. Runs
    before the builder's link rewriting (MkDocs and Zensical: priority 0) and before the inline
    patterns (20), which would otherwise read the stand-in."""

    def __init__(self, md: Markdown, markers: _Markers) -> None:
        super().__init__(md)
        self.markers = markers

    def run(self, root: etree.Element) -> None:
        placed = dict(self.markers.placed)
        stand_ins = [
            (parent, child)
            for parent in root.iter()
            for child in parent
            if child.tag == "p" and not len(child) and (child.text or "").strip() in placed
        ]
        for parent, child in stand_ins:
            where = placed.pop((child.text or "").strip())
            figure = etree.Element("figure", {"class": "figure", "id": where.anchor})
            img = etree.SubElement(figure, "img", {"data-figure": where.key, "src": where.src})
            figure.text = img.tail = "\n"
            figure.tail = child.tail
            index = list(parent).index(child)
            parent[index] = figure
        for where in placed.values():
            raise FigureMarkerError(
                f"{where.where}: a figure marker must stand on its own line in Markdown, "
                "not inside raw HTML (md_in_html's `markdown` attribute makes a block Markdown)."
            )


class _Markup(Postprocessor):
    """Each stand-in <img> (its `src` now rewritten by the builder) becomes the figure's <img>
    and <figcaption>."""

    def __init__(self, md: Markdown, markers: _Markers) -> None:
        super().__init__(md)
        self.markers = markers

    def run(self, text: str) -> str:
        placed = self.markers.placed
        if not placed:
            return text

        def markup(match: re.Match[str]) -> str:
            figure, first = placed[match["key"]].figure, placed[match["key"]].first
            attr = lambda value: html.escape(value, quote=True)  # noqa: E731
            # The page's first figure is often its largest paint (the home page's is above the
            # fold): lazy loading it delays LCP (measured by make bench), so only later ones wait.
            loading = "eager" if first else "lazy"
            return (
                f'<img src="{attr(html.unescape(match["src"]))}" alt="{attr(figure.alt)}" '
                f'width="{figure.width}" height="{figure.height}" loading="{loading}" '
                f'decoding="async" data-title="{attr(figure.title)}" '
                f'data-description="{attr(figure.caption)}">\n'
                f"<figcaption>{html.escape(figure.caption)}</figcaption>"
            )

        return STAND_IN_IMG.sub(markup, text)


class FigureExtension(Extension):
    def extendMarkdown(self, md: Markdown) -> None:
        markers = _Markers(md)
        # Before snippets (32) and whitespace normalising (30): the page's own lines, for errors.
        md.preprocessors.register(markers, "sitebuild_figures", 35)
        md.treeprocessors.register(_Figures(md, markers), "sitebuild_figures", 25)
        md.postprocessors.register(_Markup(md, markers), "sitebuild_figures", 5)


def makeExtension(**kwargs: Any) -> FigureExtension:
    return FigureExtension(**kwargs)
