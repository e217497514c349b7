"""MkDocs hook: every page that cites sources says when its claims were last checked against them.

A page with footnotes carries `checked: YYYY-MM-DD` in its front matter: the day someone last
opened its sources and compared each claim (claims/claims.yml holds what they found, one row per
footnote). overrides/partials/source-file.html shows the date near the foot of the page, in a
<time datetime>. The build fails, naming the page and the line, when the date is missing on a
page with footnotes, is not a real date, or lies in the future: a date nobody earned is worse
than none. The weekly check (sitebuild/checks/quotecheck.py) lists pages not checked for six months.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page

FOOTNOTE_DEFINITION = re.compile(r"^\[\^[^\]\s]+\]:", re.MULTILINE)
FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)---[ \t]*\n", re.DOTALL)
CHECKED_LINE = re.compile(r"^checked:[ \t]*(.*?)[ \t]*$", re.MULTILINE)
FIX = "set `checked:` to the day its claims were last compared with their sources (YYYY-MM-DD)"


def latest_allowed() -> date:
    """Today anywhere on Earth: UTC's date plus one day (UTC+14 is a day ahead), so an author
    east of the build machine is never told their today is the future."""
    return datetime.now(UTC).date() + timedelta(days=1)


def checked_date(source: str, where: str, today: date | None = None) -> date | None:
    """The valid `checked:` date in the front matter of `source` (a page's Markdown); None for a
    page without footnotes that gives none. Raises PluginError naming `where` and the line for a
    missing, malformed or future date.

    Read from the text, not from MkDocs' parsed front matter: YAML reads `2026-12-05` as a date
    but silently drops the whole front matter for an impossible one such as `2026-13-05`."""
    front = FRONT_MATTER.match(source)
    found = CHECKED_LINE.search(front.group(1)) if front else None
    if found is None:
        if FOOTNOTE_DEFINITION.search(source):
            raise PluginError(f"{where}:1: cites sources in footnotes but has no `checked:`; {FIX}")
        return None
    line = source.count("\n", 0, front.start(1) + found.start()) + 1 if front else 1
    text = found.group(1).strip("'\"")
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            raise ValueError(text)
        day = date.fromisoformat(text)
    except ValueError:
        raise PluginError(f"{where}:{line}: `checked: {text}` is not a date; {FIX}") from None
    if day > (today or latest_allowed()):
        raise PluginError(f"{where}:{line}: `checked: {text}` is in the future; {FIX}")
    return day


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    day = checked_date(page.file.content_string, f"docs/{page.file.src_uri}")
    if day is not None:
        page.meta["checked"] = day  # for overrides/partials/source-file.html
    return markdown
