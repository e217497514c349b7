"""MkDocs hook: the site's small stylesheets (extra_css, and a page's own in its front matter,
`stylesheets: [path in docs/]`, which overrides/main.html links in the <head>) go into the page's
<head> as <style>.

Why: every stylesheet in the <head> holds the first paint until it arrives, and on a phone each
one is another request. Inlining a11y.css and figures.css (0.7 and 0.4 KB gzip) moved Lighthouse
mobile's first contentful paint from 1.35 s to 1.05 s on two reference pages (two runs each, same
machine), for 1.5 KB more per page. A stylesheet over INLINE_UP_TO bytes stays a <link>: a file
that large is worth caching. The files stay where authors edit them, listed in mkdocs.yml or in
the page. Try it in your browser's own stylesheet (vmlab.css, 2.2 KB) was a <link> in the body,
holding the paint of all that followed: inline, FCP 1.06 -> 0.91 s (Lighthouse mobile, medians of
5, two pairs of runs on one machine; LCP unchanged within noise), which took its FCP score off the
edge (0.99 from 1.10 s) to 1 with room to spare.
"""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.pages import Page

INLINE_UP_TO = 4096  # bytes of CSS


class _StylesheetLinks(HTMLParser):
    """Each <link rel="stylesheet"> in the <head>: its href and its exact start-tag text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if tag == "link" and names.get("rel") == "stylesheet" and names.get("href"):
            self.links.append((str(names["href"]), self.get_starttag_text() or ""))


def inlined(output: str, stylesheets: dict[str, str]) -> str:
    """`output` with each <link> to one of `stylesheets` (path in the site -> CSS) replaced by
    a <style> holding that CSS. Only the <head> is read."""
    head_end = output.find("</head>")
    if not stylesheets or head_end < 0:
        return output
    parser = _StylesheetLinks()
    parser.feed(output[:head_end])
    head = output[:head_end]
    for href, tag in parser.links:
        path = next((p for p in stylesheets if href == p or href.endswith("/" + p)), None)
        if path is not None:
            head = head.replace(tag, f"<style>{stylesheets[path]}</style>", 1)
    return head + output[head_end:]


def _small(file: Path, missing: str) -> str | None:
    """The CSS in `file` if small enough to inline, else None; `missing` if it is not there."""
    if not file.is_file():
        raise PluginError(missing)
    css = file.read_text()
    if len(css.encode()) > INLINE_UP_TO:
        return None
    if "</style" in css.lower():
        raise PluginError(f"{file}: a stylesheet cannot contain '</style'")
    return css.strip()


def _small_stylesheets(config: MkDocsConfig) -> dict[str, str]:
    stylesheets: dict[str, str] = {}
    for entry in config.extra_css:
        path = str(entry)
        missing = (
            f"mkdocs.yml: extra_css lists {path}, which is not in {config.docs_dir}; "
            "fix the path or remove the entry."
        )
        css = _small(Path(config.docs_dir) / path, missing)
        if css is not None:
            stylesheets[path] = css
    return stylesheets


def _page_stylesheets(page: Page, config: MkDocsConfig) -> dict[str, str]:
    listed = page.meta.get("stylesheets") or []
    where = f"docs/{page.file.src_uri}"
    if not isinstance(listed, list) or not all(isinstance(path, str) for path in listed):
        raise PluginError(f"{where}: front matter `stylesheets` must be a list of paths in docs/")
    stylesheets: dict[str, str] = {}
    for path in listed:
        missing = (
            f"{where}: front matter `stylesheets` lists {path}, which is not in "
            f"{config.docs_dir}; fix the path (relative to docs/) or remove it."
        )
        css = _small(Path(config.docs_dir) / path, missing)
        if css is not None:
            stylesheets[path] = css
    return stylesheets


def on_post_page(output: str, page: Page, config: MkDocsConfig) -> str:
    return inlined(output, {**_small_stylesheets(config), **_page_stylesheets(page, config)})


def on_post_template(output_content: str, template_name: str, config: MkDocsConfig) -> str:
    """404.html is a theme template, not a page: it gets the same <head>."""
    if not template_name.endswith(".html"):
        return output_content
    return inlined(output_content, _small_stylesheets(config))
