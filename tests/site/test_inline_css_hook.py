"""hooks/inline_css.py: the small extra_css files, and a page's own small stylesheets (front
matter `stylesheets:`), are written into the page's <head>."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import SimpleNamespace

import pytest
from bs4 import BeautifulSoup
from mkdocs.exceptions import PluginError
from mkdocs.utils.meta import get_data

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


def test_a_pages_own_stylesheets_come_from_its_front_matter_and_a_bad_entry_names_the_page(
    tmp_path: Path,
) -> None:
    (tmp_path / "lab.css").write_text(".lab{color:red}\n")
    config = SimpleNamespace(docs_dir=str(tmp_path), extra_css=[])

    def page(meta: dict[str, object]) -> SimpleNamespace:
        return SimpleNamespace(meta=meta, file=SimpleNamespace(src_uri="labs/lab.md"))

    assert hook._page_stylesheets(page({"stylesheets": ["lab.css"]}), config) == {
        "lab.css": ".lab{color:red}"
    }
    assert hook._page_stylesheets(page({}), config) == {}
    with pytest.raises(PluginError, match=r"docs/labs/lab\.md: .* lists gone\.css"):
        hook._page_stylesheets(page({"stylesheets": ["gone.css"]}), config)
    with pytest.raises(PluginError, match=r"docs/labs/lab\.md: .* must be a list"):
        hook._page_stylesheets(page({"stylesheets": "lab.css"}), config)


@pytest.mark.slow
def test_a_page_with_its_own_stylesheet_has_it_inline_in_its_head_and_no_other_page_does(
    built_site: Path,
) -> None:
    own = []  # (page source, stylesheet path, its CSS)
    for source in sorted((REPO / "docs").rglob("*.md")):
        _, meta = get_data(source.read_text())
        for path in meta.get("stylesheets") or []:
            css = (REPO / "docs" / path).read_text()
            own.append((source.relative_to(REPO / "docs"), path, css))
    assert own, "expected a page with its own stylesheet (Try it in your browser)"
    for source, path, css in own:
        name = path.rsplit("/", 1)[-1]
        page_dir = source.parent if source.stem == "index" else source.with_suffix("")
        built = built_site / page_dir / "index.html"
        soup = BeautifulSoup(built.read_text(), "html.parser")
        assert css.strip() in [style.get_text() for style in soup.head.select("style")], source
        assert not soup.select(f'link[href$="{name}"]'), f"{source}: {path} is still a <link>"
        for other in built_site.rglob("*.html"):
            if other != built:
                assert css.strip() not in other.read_text(), f"{other} carries {path}"


@pytest.mark.slow
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
