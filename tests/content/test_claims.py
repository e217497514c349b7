"""claims/claims.yml stays in step with the pages' footnotes (sitebuild/checks/claims.py): the next
fact-check starts from it, so a footnote without a row, or a row without its footnote, fails here
naming the page and the footnote."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from sitebuild.checks import claims

ROW = """\
- page: docs/a.md
  footnote: seccomp
  claim: The default profile blocks about 44 system calls.
  source: https://docs.docker.com/engine/security/seccomp/
  quote: [disables around 44 system calls out of 300+]
  verdict: holds
  checked: 2026-12-05
"""
PAGE = """\
---
description: A page.
checked: 2026-12-05
---

# A

Docker's default profile blocks about 44 system calls.[^seccomp] And more.[^other]

[^seccomp]: Docker docs, [Seccomp](https://docs.docker.com/engine/security/seccomp/): the default
    profile "disables around 44 system calls
    out of 300+".
[^other]: A book, [its page](https://example.org/book), "A title in quotes" is a quote too.
"""


def test_the_table_and_the_pages_agree() -> None:
    notes = claims.footnotes()
    rows = claims.load()
    assert len(notes) > 100, "the site's footnotes are read"
    found = claims.problems(notes, rows, claims.page_dates())
    assert not found, "\n".join(found)


def test_a_footnote_without_a_row_and_a_row_without_a_footnote_fail_naming_them(
    tmp_path: Path,
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.md").write_text(PAGE)
    table = tmp_path / "claims.yml"
    gone = ROW.replace("footnote: seccomp", "footnote: removed")
    table.write_text(ROW + gone)
    notes = claims.footnotes(docs)
    assert [(n.page, n.id, n.line) for n in notes] == [
        ("docs/a.md", "seccomp", 10),
        ("docs/a.md", "other", 13),
    ]
    assert notes[0].quotes == ["disables around 44 system calls out of 300+"]
    assert claims.claim_of(notes[0], docs) == (
        "Docker's default profile blocks about 44 system calls."
    )
    found = claims.problems(notes, claims.load(table), claims.page_dates(docs), table)
    assert found == [
        f"docs/a.md:13: footnote [^other] has no row in {table}; add one "
        "(`python -m sitebuild.checks.claims` prints it) after checking the claim",
        f"{table}:8: docs/a.md has no footnote [^removed] any more; remove the row (or fix its "
        "page or footnote)",
    ]


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            ("https://docs.docker.com/engine/security/seccomp/", "https://example.org/moved"),
            "source https://example.org/moved is not a link of the footnote",
        ),
        (
            ("44 system calls out", "45 system calls out"),
            "quote ['disables around 45 system calls out of 300+'] is not the footnote's",
        ),
        (
            ("checked: 2026-12-05", "checked: 2026-12-01"),
            "docs/a.md: `checked: 2026-12-05` but its oldest row in",
        ),
    ],
    ids=["source", "quote", "page-date"],
)
def test_a_row_that_no_longer_matches_its_footnote_fails(
    tmp_path: Path, edit: tuple[str, str], expected: str
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.md").write_text(PAGE.replace(" And more.[^other]", "").split("[^other]:")[0])
    table = tmp_path / "claims.yml"
    table.write_text(ROW.replace(*edit))
    found = claims.problems(
        claims.footnotes(docs), claims.load(table), claims.page_dates(docs), table
    )
    assert len(found) == 1 and expected in found[0], found


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (ROW.replace("  verdict: holds\n", ""), r"claims\.yml:1: missing verdict; each row has"),
        (ROW.replace("verdict: holds", "verdict: fine"), r":1: verdict 'fine'; use one of"),
        (ROW.replace("2026-12-05", "5 Dec 2026"), r":1: checked '5 Dec 2026'; give the day"),
        (ROW + ROW.replace("claim: The", "claim: [The"), r"claims\.yml:\d+: not valid YAML"),
    ],
    ids=["missing-key", "unknown-verdict", "bad-date", "bad-yaml"],
)
def test_a_malformed_row_names_its_line(tmp_path: Path, text: str, message: str) -> None:
    table = tmp_path / "claims.yml"
    table.write_text(text)
    with pytest.raises(claims.TableError, match=message):
        claims.load(table)


def test_rows_are_checked_no_later_than_today() -> None:
    assert all(row.checked <= date.today() for row in claims.load())
