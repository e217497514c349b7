"""A figure's collapsed "Source" block: diagrams/NAME.py, highlighted as any Python block on the
site, in a closed <details> whose code waits in a <template> (sitebuild.pages.deferred).

The Markdown extension (sitebuild.figures.markdown) leaves a mark, an HTML comment, where each
Source goes; `fill_sources` replaces the marks in a built page's HTML. Plain Python with no
builder in it: the post-build pass calls it on every page (sitebuild/pages/postbuild.py), under
MkDocs and over pages another builder wrote.

Why last, and from a cache: the Source was the only part of a figure that cost a warm build
anything. Added after the page is built, the search plugin never parses the scripts' code and the
<details> deferral never walks it; cached, it is never highlighted twice.
"""

from __future__ import annotations

import functools
import html
import importlib.metadata
import json
import re
import sys
from pathlib import Path
from typing import Any

import markdown

from sitebuild import figures, files
from sitebuild.pages.deferred import deferred

# Stands where the Source goes until the page is built: a comment, so nothing before then reads it.
MARK = "<!-- figure source: {name} {anchor} -->"
MARKS = re.compile(r"<!-- figure source: (?P<name>[\w-]+) (?P<anchor>[\w-]+) -->")


@functools.cache
def _maker_digest() -> str:
    """What makes a Source besides its script, read once per process: the libraries that
    highlight it and the code that writes and defers it."""
    libraries = ("pygments", "pymdown-extensions", "markdown")
    versions = (importlib.metadata.version(name) for name in libraries)
    modules = (Path(__file__), Path(sys.modules[deferred.__module__].__file__ or ""))
    return files.key(*versions, *(module.read_bytes() for module in modules))


def source_html(
    figure: figures.Figure, anchor: str, root: Path, highlight: dict[str, Any], copy_buttons: bool
) -> str:
    """The figure's collapsed Source, as the page would have highlighted it (`highlight`: the
    site's pymdownx.highlight settings), its code in a <template> with a copy button when the
    site has them. Ids are the anchor's, so a page may show the same figure twice. Kept out of
    the search index (data-search-exclude): the scripts' code was 43 % of it, and a search for a
    figure finds its page by the caption. Raw <details> rather than `??? example`, so it can
    carry that attribute."""
    code = (root / figure.script).read_text()
    highlight = {**highlight, "line_spans": f"__{anchor}"}
    settings = json.dumps(highlight, sort_keys=True, default=str)
    key = files.key(_maker_digest(), code, anchor, str(copy_buttons), settings)
    cached = figures.cache_dir(root) / "sources" / f"{figure.name}-{key[:24]}.html"
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
    files.write_atomic(cached, source.encode())  # a parallel build never reads half a file
    return source


def fill_sources(page: str, root: Path, highlight: dict[str, Any], copy_buttons: bool) -> str:
    """`page` (a built page's HTML) with each figure's mark replaced by that figure's Source."""
    if "<!-- figure source: " not in page:
        return page
    return MARKS.sub(
        lambda mark: source_html(
            figures.load(root, mark["name"]), mark["anchor"], root, highlight, copy_buttons
        ),
        page,
    )
