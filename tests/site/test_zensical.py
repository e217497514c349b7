"""Zensical builds the same site as MkDocs (sitebuild/zensical/): what matches today must keep
matching, and each known difference is listed with its reason (compare.KNOWN).

Zensical runs Python-Markdown extensions but no MkDocs plugin and no hook, so this is where a
step that still depends on MkDocs shows. The report it prints is the one `make compare-zensical`
prints.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sitebuild.project import copy_project
from sitebuild.zensical import build as zensical
from sitebuild.zensical import compare
from tests.support import report


@pytest.mark.slow
def test_zensical_builds_what_mkdocs_builds(built_site: Path, zensical_site: Path) -> None:
    result = compare.compare(built_site, zensical_site)
    print(result.text())
    assert not result.failures, result.text()
    # The checks that must hold today: a run that held none would prove nothing.
    assert {"pages", "internal links", "figure files", "browser VM files"} <= result.holds.keys()
    report("Zensical checks", len(result.holds))


@pytest.mark.slow
def test_a_broken_link_fails_the_zensical_build_naming_the_page(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    page = project / "docs" / "analogy.md"
    page.write_text(page.read_text() + "\n[gone](no-such-page.md)\n")
    result = zensical.build_in(project)
    output = result.stdout + result.stderr
    assert result.returncode != 0, f"--strict let a broken link through:\n{output}"
    assert "analogy.md" in output and "no-such-page.md" in output, output
    assert "build-zensical: `" in output, "the failure should name the command that failed"


def fake_site(root: Path) -> Path:
    root.mkdir()
    (root / "index.html").write_text("<article>the home page</article>")
    return root


def test_a_known_difference_that_matches_now_fails_asking_to_delete_its_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = fake_site(tmp_path / "a"), fake_site(tmp_path / "b")
    monkeypatch.setattr(compare, "CHECKS", {"pages": compare.pages})
    monkeypatch.setattr(compare, "KNOWN", {"pages": "waits for something"})
    result = compare.compare(a, b)
    assert result.failures == [
        "pages: matches now; delete its line from KNOWN in sitebuild/zensical/compare.py"
    ]


def test_a_difference_not_in_known_fails_and_one_in_known_is_listed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = fake_site(tmp_path / "a"), fake_site(tmp_path / "b")
    (a / "only-here.html").write_text("<article>x</article>")
    monkeypatch.setattr(compare, "CHECKS", {"pages": compare.pages})
    monkeypatch.setattr(compare, "KNOWN", {})
    assert compare.compare(a, b).failures == ["pages: only-here.html: only in the MkDocs build"]
    monkeypatch.setattr(compare, "KNOWN", {"pages": "waits for something"})
    result = compare.compare(a, b)
    assert not result.failures
    assert "known  pages: 1 of 2 pages differ" in result.text()
    assert "why: waits for something" in result.text()


def test_known_names_only_real_checks() -> None:
    assert compare.KNOWN.keys() <= compare.CHECKS.keys()
