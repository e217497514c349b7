"""MkDocs hook for the figures: thin calls into builder-independent code.

`[[figure NAME]]` itself is a Python-Markdown extension (sitebuild.figures.markdown, listed under
markdown_extensions in mkdocs.yml); each figure's Source and zoom on first use join the finished
page in the post-build pass (sitebuild/pages/postbuild.py, hooks/postbuild.py). What is left here
is glightbox's, a MkDocs plugin: it skips pages without an image.
"""

from __future__ import annotations

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.plugins import event_priority
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page


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
