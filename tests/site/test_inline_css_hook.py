"""hooks/inline_css.py: the small extra_css files are written into each page's <head>."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import SimpleNamespace

import pytest
from bs4 import BeautifulSoup
from mkdocs.exceptions import PluginError

from sitebuild.project import REPO, config_as_written

spec = importlib.util.spec_from_file_location("inline_css", REPO / "hooks" / "inline_css.py")
assert spec and spec.loader
hook = importlib.util.module_from_spec(spec)
spec.loader.exec_module(hook)

PAGE = (
    '<html><head><link rel="stylesheet" href="../assets/main.css">'
    '<link rel="stylesheet" href="../stylesheets/small.css"></head>'
    '<body><link rel="stylesheet" href="../stylesheets/small.css"></body></html>'
)


def test_a_listed_stylesheet_in_the_head_becomes_a_style_and_nothing_else_changes() -> None:
    out = hook.inlined(PAGE, {"stylesheets/small.css": "p{color:red}"})
    head, body = out.split("</head>")
    assert "<style>p{color:red}</style>" in head and "small.css" not in head
    assert 'href="../assets/main.css"' in head, "other stylesheets stay links"
    assert body == PAGE.split("</head>")[1], "only the <head> is touched"
    assert hook.inlined(PAGE, {}) == PAGE


def test_a_large_stylesheet_stays_a_link_and_a_missing_one_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "small.css").write_text("p{color:red}\n")
    (tmp_path / "large.css").write_text("p{}" * hook.INLINE_UP_TO)
    config = SimpleNamespace(docs_dir=str(tmp_path), extra_css=["small.css", "large.css"])
    assert hook._small_stylesheets(config) == {"small.css": "p{color:red}"}
    config.extra_css.append("gone.css")
    with pytest.raises(PluginError, match=r"extra_css lists gone\.css"):
        hook._small_stylesheets(config)


def test_every_built_page_carries_the_small_stylesheets_inline(built_site: Path) -> None:
    listed = config_as_written(REPO)["extra_css"]
    small = {p: (REPO / "docs" / p).read_text().strip() for p in listed}
    small = {p: css for p, css in small.items() if len(css.encode()) <= hook.INLINE_UP_TO}
    assert small, "expected at least one small stylesheet in extra_css"
    pages = sorted(built_site.rglob("*.html"))
    for page in pages:
        head = BeautifulSoup(page.read_text(), "html.parser").head
        where = page.relative_to(built_site)
        hrefs = [link["href"] for link in head.select('link[rel="stylesheet"]')]
        assert not [h for h in hrefs if any(h.endswith(p) for p in small)], where
        styles = [style.get_text() for style in head.select("style")]
        for path, css in small.items():
            assert css in styles, f"{where}: {path} is not inline"
    assert any(p.name == "404.html" for p in pages)
