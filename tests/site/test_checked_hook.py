"""hooks/checked.py and overrides/partials/source-file.html: a page that cites sources says when
its claims were last checked against them, and the build refuses a date it cannot trust."""

from __future__ import annotations

import importlib.util
import re
from datetime import date
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from mkdocs.exceptions import PluginError

from sitebuild.project import REPO, build

spec = importlib.util.spec_from_file_location("checked", REPO / "hooks" / "checked.py")
assert spec and spec.loader
hook = importlib.util.module_from_spec(spec)
spec.loader.exec_module(hook)

TODAY = date(2026, 12, 5)
CITES = 'A claim.[^src]\n\n[^src]: Someone, [a page](https://example.org): "a claim".\n'


def page(front: str, body: str = CITES) -> str:
    return f"---\ndescription: A page.\n{front}---\n\n# Title\n\n{body}"


def test_a_valid_date_is_read_whether_or_not_yaml_quotes_it() -> None:
    assert hook.checked_date(page("checked: 2026-12-05\n"), "docs/a.md", TODAY) == TODAY
    assert hook.checked_date(page("checked: '2026-11-30'\n"), "docs/a.md", TODAY) == date(
        2026, 11, 30
    )
    assert hook.checked_date(page("", body="No footnotes.\n"), "docs/a.md", TODAY) is None


@pytest.mark.parametrize(
    ("front", "message"),
    [
        ("", r"^docs/a\.md:1: cites sources in footnotes but has no `checked:`; set `checked:`"),
        ("checked: 2026-13-05\n", r"^docs/a\.md:3: `checked: 2026-13-05` is not a date;"),
        ("checked: 5 December 2026\n", r"^docs/a\.md:3: `checked: 5 December 2026` is not a date"),
        ("checked: 2026-12-5\n", r"^docs/a\.md:3: `checked: 2026-12-5` is not a date"),
        ("checked: 2026-12-06\n", r"^docs/a\.md:3: `checked: 2026-12-06` is in the future;"),
    ],
    ids=["missing", "impossible-month", "words", "no-padding", "tomorrow"],
)
def test_a_missing_malformed_or_future_date_names_the_page_and_line(
    front: str, message: str
) -> None:
    with pytest.raises(PluginError, match=message):
        hook.checked_date(page(front), "docs/a.md", TODAY)


def test_today_anywhere_on_earth_is_not_the_future() -> None:
    assert (hook.latest_allowed() - date.today()).days in (0, 1, 2)


def test_every_page_with_footnotes_has_a_date_in_its_front_matter() -> None:
    for source in sorted((REPO / "docs").rglob("*.md")):
        text = source.read_text(encoding="utf-8")
        where = source.relative_to(REPO).as_posix()
        if hook.FOOTNOTE_DEFINITION.search(text):
            assert hook.checked_date(text, where) is not None, where


@pytest.mark.slow
def test_the_date_is_shown_at_the_foot_of_the_content_as_a_time(built_site: Path) -> None:
    soup = BeautifulSoup((built_site / "networking" / "index.html").read_text(), "html.parser")
    shown = soup.select("p.claims-checked")
    assert len(shown) == 1
    time = shown[0].find("time")
    assert time and re.fullmatch(r"\d{4}-\d{2}-\d{2}", time["datetime"])
    day = date.fromisoformat(time["datetime"])
    assert time.get_text() == f"{day.day} {day.strftime('%B %Y')}"
    assert "last checked against their sources" in shown[0].get_text()
    article = soup.select_one("article.md-content__inner")
    assert article and shown[0] in article.find_all("p"), "inside the page's content"
    assert not shown[0].find_next_sibling(["p", "div", "h2"]), "after all of it"


@pytest.mark.slow
def test_the_strict_build_fails_naming_the_page_with_a_bad_date(project_copy: Path) -> None:
    source = project_copy / "docs" / "networking.md"
    text = source.read_text(encoding="utf-8")
    source.write_text(re.sub(r"(?m)^checked: .*$", "checked: 2026-02-30", text, count=1))
    result = build(project_copy, project_copy / "site")
    assert result.returncode != 0
    assert "docs/networking.md:" in result.stderr and "`checked: 2026-02-30` is not a date" in (
        result.stderr
    ), result.stderr[-2000:]
