"""MkDocs hook: a line `[[figure NAME]]` on a page becomes that figure.

It expands into the image (alt text from the script), its caption, zoom on click (glightbox wraps
every <img>; the title and caption go along as data-title/data-description) and a collapsed
"Source" block that shows diagrams/NAME.py, highlighted as any Python block on the site. Markers
inside code fences stay as they are, so a page can show the syntax. An unknown NAME fails the
build with the page and line.

The Source joins the page last (on_post_page), from a cache: it was the only part of a figure
that cost a warm build anything. Highlighting 15 scripts, the search plugin reading past them
(they are excluded from the index, but still parsed) and the <details> deferral parsing them
made a warm build 1.10x one without figures (make bench, 5 runs each); without them, 1.00x.
"""

from __future__ import annotations

import functools
import hashlib
import html
import importlib.metadata
import json
import re
import sys
from pathlib import Path

import markdown
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page
from mkdocs.utils import get_relative_url

from sitebuild import figures
from sitebuild.pages.deferred import deferred

MARKER = re.compile(r"^(?P<indent>[ \t]*)\[\[figure[ \t]+(?P<name>[^\]\s]*)[ \t]*\]\][ \t]*$")
FENCE = re.compile(r"^[ \t]*(?P<fence>`{3,}|~{3,})")


# Stands where the Source goes until on_post_page: a comment, so nothing before then reads it.
SOURCE_MARK = "<!-- figure source: {name} {anchor} -->"
SOURCE_MARKS = re.compile(r"<!-- figure source: (?P<name>[\w-]+) (?P<anchor>[\w-]+) -->")


def _expand(figure: figures.Figure, src: str, anchor: str, first: bool) -> list[str]:
    attr = lambda text: html.escape(text, quote=True)  # noqa: E731
    # The page's first figure is often its largest paint (the home page's is above the fold):
    # lazy loading it delays LCP (measured by make bench), so only later figures wait.
    loading = "eager" if first else "lazy"
    return [
        f'<figure class="figure" id="{anchor}">',
        f'<img src="{attr(src)}" alt="{attr(figure.alt)}" width="{figure.width}" '
        f'height="{figure.height}" loading="{loading}" decoding="async" '
        f'data-title="{attr(figure.title)}" data-description="{attr(figure.caption)}">',
        f"<figcaption>{html.escape(figure.caption)}</figcaption>",
        "</figure>",
        "",
        SOURCE_MARK.format(name=figure.name, anchor=anchor),
        "",
    ]


@functools.cache
def _source_maker_digest() -> bytes:
    """What makes a Source besides its script, read once per process: the libraries that
    highlight it and the code that defers it."""
    h = hashlib.sha256()
    for name in ("pygments", "pymdown-extensions", "markdown"):
        h.update(importlib.metadata.version(name).encode() + b"\0")
    for module in (Path(__file__), Path(sys.modules[deferred.__module__].__file__ or "")):
        h.update(module.read_bytes() + b"\0")
    return h.digest()


def _source_html(figure: figures.Figure, anchor: str, config: MkDocsConfig) -> str:
    """The figure's collapsed Source, as the page would have highlighted it, its code in a
    <template> (sitebuild.pages.deferred) with a copy button. Ids are the anchor's, so a page may
    show the same figure twice. Kept out of the search index (data-search-exclude): the scripts'
    code was 43 % of it, and a search for a figure finds its page by the caption. Raw <details>
    rather than `??? example`, so it can carry that attribute."""
    root = Path(config.config_file_path).resolve().parent
    code = (root / figure.script).read_text()
    highlight = {**config.mdx_configs.get("pymdownx.highlight", {}), "line_spans": f"__{anchor}"}
    copy_buttons = "content.code.copy" in config.theme["features"]
    key = hashlib.sha256(_source_maker_digest())
    settings = json.dumps(highlight, sort_keys=True, default=str)
    for part in (code, anchor, str(copy_buttons), settings):
        key.update(part.encode() + b"\0")
    cached = figures.cache_dir(root) / "sources" / f"{figure.name}-{key.hexdigest()[:24]}.html"
    if cached.exists():
        return cached.read_text()
    fence = "`" * max(3, 1 + max((len(run) for run in re.findall("`+", code)), default=0))
    converter = markdown.Markdown(
        extensions=["pymdownx.highlight", "pymdownx.superfences"],
        extension_configs={"pymdownx.highlight": highlight},
    )
    listing = converter.convert(f'{fence}python linenums="1"\n{code}\n{fence}')
    source = deferred(
        '<details class="example" data-search-exclude="">\n'
        f"<summary>Source: {html.escape(figure.script)}</summary>\n{listing}\n</details>",
        copy_buttons=copy_buttons,
        id_prefix=f"__{anchor}-source-",
    )
    figures.write_atomic(cached, source.encode())  # a parallel build never reads half a file
    return source


def _source_path(page: Page, root: Path) -> str:
    """The page's file as an author finds it: docs/analogy.md rather than analogy.md."""
    path = Path(page.file.abs_src_path or page.file.src_path).resolve()
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else page.file.src_path


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    if "[[figure" not in markdown:
        return markdown
    root = Path(config.config_file_path).resolve().parent
    # page.markdown has lost its front matter; count it back so errors give the file's line.
    source = page.file.content_string
    offset = source[: len(source) - len(markdown)].count("\n") if source.endswith(markdown) else 0
    out: list[str] = []
    anchors: set[str] = set()
    fence = ""
    for number, line in enumerate(markdown.split("\n"), start=offset + 1):
        opening = FENCE.match(line)
        if opening and not fence:
            fence = opening["fence"]
        elif opening and opening["fence"].startswith(fence) and not line.strip(f" \t{fence[0]}"):
            fence = ""  # a closing fence: as long as the opening one, and nothing after it
        marker = None if fence else MARKER.match(line)
        if marker is None:
            out.append(line)
            continue
        name, where = marker["name"], f"{_source_path(page, root)}:{number}"
        try:
            figure = figures.load(root, name)
        except KeyError:
            known = ", ".join(figures.figure_name(p) for p in figures.scripts(root))
            raise PluginError(
                f"{where}: unknown figure {name!r} in '{line.strip()}'. "
                f"Known figures: {known}. Fix the name, or add "
                f"{figures.script_path(root, name).relative_to(root)}."
            ) from None
        except figures.FigureErrors as e:
            raise PluginError(f"{where}: figure {name!r} failed.\n{e}") from None
        generated = files.get_file_from_path(f"figures/{name}.svg")
        if generated is None:
            raise PluginError(
                f"{where}: figures/{name}.svg is not in the build; list "
                "sitebuild/generate.py under the gen-files plugin's scripts in mkdocs.yml."
            )
        src = get_relative_url(generated.url, page.file.url)
        # A page may show a figure twice; each copy needs its own id (#figure-NAME, -2, ...).
        anchor, n = f"figure-{name}", 1
        while anchor in anchors:
            n += 1
            anchor = f"figure-{name}-{n}"
        anchors.add(anchor)
        lines = _expand(figure, src, anchor, first=len(anchors) == 1)
        out.extend(marker["indent"] + text if text else "" for text in lines)
    return "\n".join(out)


# Before glightbox's own on_page_content (priority 0), which must skip the page too: it reparses
# the content into a whole document, and only its on_post_page would fold that back into the page.
@event_priority(50)
def on_page_content(html: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    """glightbox (zoom on click) adds a 15 KB gzip script to the <head> of every page. Only a
    page with an image needs it: the others opt out through the plugin's documented page setting
    `glightbox: false` (a page's own front matter still wins)."""
    if "<img" not in html:
        page.meta.setdefault("glightbox", False)
    return html


def on_post_page(output: str, page: Page, config: MkDocsConfig) -> str:
    """Each figure's Source takes its mark's place (glightbox's loader is the post-build pass's,
    sitebuild/pages/postbuild.py)."""
    root = Path(config.config_file_path).resolve().parent
    return SOURCE_MARKS.sub(
        lambda mark: _source_html(figures.load(root, mark["name"]), mark["anchor"], config), output
    )
