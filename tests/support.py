"""What test modules share, imported as `tests.support` (tests/ is a package): the repository's
path, the text of a tag, and the counts for the summary line that ends `make test`.

tests/conftest.py holds only fixtures and hooks; a test module never imports it.
"""

from __future__ import annotations

import copy

from bs4 import Tag
from bs4.element import NavigableString, TemplateString

from sitebuild.project import REPO

__all__ = ["REPO", "SUMMARY_KEYS", "counts", "report", "text_of"]


def text_of(tag: Tag) -> str:
    """A tag's text, also inside a <template> (sitebuild/pages/deferred.py keeps collapsed listings
    there): bs4 makes those strings TemplateStrings, which get_text() skips unless asked. A long
    listing's <template data-highlighted> repeats the plain text beside it, so it is read once."""
    if tag.find("template", attrs={"data-highlighted": True}):
        tag = copy.copy(tag)
        for template in tag.find_all("template", attrs={"data-highlighted": True}):
            template.decompose()
    return tag.get_text(types=(NavigableString, TemplateString))


# One summary at the end of `make test`. Each check calls `report("internal links", n)` with
# what it examined; tests/conftest.py prints the counts after pytest's own summary.
SUMMARY_KEYS = [
    "pages",
    "internal links",
    "external links",
    "snippets",
    "figures",
    "HTML errors",
    "accessibility violations",
    "browser checks",
    "Zensical checks",
]
_summary: dict[str, int] = {}


def report(check: str, count: int) -> None:
    """Record a count for the end-of-run summary (adds up when called more than once)."""
    assert check in SUMMARY_KEYS, f"unknown summary key {check!r}; use one of {SUMMARY_KEYS}"
    _summary[check] = _summary.get(check, 0) + count


def counts() -> dict[str, int]:
    """The counts reported so far, by key."""
    return dict(_summary)
