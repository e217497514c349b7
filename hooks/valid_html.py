"""MkDocs hook: drop the empty tabindex Material writes on navigation section labels.

Material's partials/nav-item.html writes tabindex="0" on labels a reader can focus and
tabindex="" on the labels of sections shown expanded (navigation.sections). An empty tabindex is
not valid HTML (it must be an integer), and browsers treat it as no tabindex at all: a label is not
focusable by default. So removing it changes nothing a reader or a screen reader gets, and makes
the page valid without copying the 170-line partial.
"""

from __future__ import annotations

import re

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.pages import Page

# A <label> start tag of Material's navigation (class "md-nav__link ...") with tabindex="".
# Attribute values in these tags never hold ">", so [^>]* stays within the one tag.
EMPTY_TABINDEX = re.compile(r'(<label\b[^>]*\bclass="md-nav__link\b[^>]*?) tabindex=""([^>]*>)')


def without_empty_tabindex(html: str) -> str:
    return EMPTY_TABINDEX.sub(r"\1\2", html)


def on_post_page(output: str, page: Page, config: MkDocsConfig) -> str:
    return without_empty_tabindex(output)
