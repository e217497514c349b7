"""`[[figure NAME]]` (sitebuild.figures.markdown) on one page, converted as MkDocs converts a page
(its Page.render: the site's extensions, its link rewriting), and the Source that fills the mark
once the page is built (sitebuild.figures.source)."""

from __future__ import annotations

import functools
import logging
from pathlib import Path

import markdown
import pytest
from bs4 import BeautifulSoup
from bs4.element import NavigableString, TemplateString
from markdown.preprocessors import Preprocessor
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

from sitebuild import figures
from sitebuild.figures import markdown as figure_markdown
from sitebuild.figures.source import fill_sources
from sitebuild.project import REPO, config

FRONT_MATTER = "---\ndescription: A page.\n---\n\n"
MARK = "<!-- figure source: {} {} -->"


@functools.cache
def _config() -> MkDocsConfig:
    return config()


def _render(text: str, src_path: str = "sub/page.md", svgs: bool = True) -> str:
    """`text` (after the front matter) as MkDocs renders the page docs/`src_path`; the build's
    files hold figures/NAME.svg for every figure unless `svgs` is false."""
    cfg = _config()

    def file(src_uri: str, content: str) -> File:
        made = File(src_uri, str(REPO / "docs"), cfg.site_dir, cfg.use_directory_urls)
        made.content_string = content
        made.abs_src_path = str(REPO / "docs" / src_uri)  # as if on disk: errors name that file
        return made

    page_file = file(src_path, FRONT_MATTER + text)
    generated = [
        file(f"figures/{figures.figure_name(p)}.svg", "<svg/>") for p in figures.scripts(REPO)
    ]
    page = Page(None, page_file, cfg)
    page.read_source(cfg)
    page.render(cfg, Files([page_file, *(generated if svgs else [])]))
    assert page.content is not None
    return page.content


@pytest.fixture(autouse=True)
def _cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(figures.CACHE_ENV, str(tmp_path))
    monkeypatch.chdir(REPO)  # pymdownx.snippets reads includes/ from the working directory


def test_marker_becomes_figure_caption_and_a_mark_for_its_source() -> None:
    out = _render("# Title\n\n[[figure patching]]\n\nAfter.\n")
    patching = figures.load(REPO, "patching")
    # Relative to the page's address sub/page/, whatever the site's sub-path.
    assert (
        '<figure class="figure" id="figure-patching">\n<img src="../../figures/patching.svg"' in out
    )
    assert f'width="{patching.width}" height="{patching.height}"' in out
    soup = BeautifulSoup(out, "html.parser")
    img = soup.select_one("figure.figure > img")
    assert img is not None and img["alt"] == patching.alt
    assert (img["data-title"], img["data-description"]) == (patching.title, patching.caption)
    assert soup.select_one("figure.figure > figcaption").get_text() == patching.caption
    # The Source joins the page after Markdown, search and the <details> deferral have run.
    assert "</figure>\n" + MARK.format("patching", "figure-patching") + "\n" in out
    assert "def " not in out, "no code of the script before the page is built"
    assert out.startswith('<h1 id="title">') and out.endswith("<p>After.</p>")
    assert figure_markdown.STAND_IN not in out and "data-figure" not in out


def test_the_image_is_relative_to_the_page_at_any_depth() -> None:
    for src_path, src in [
        ("index.md", "figures/patching.svg"),
        ("analogy.md", "../figures/patching.svg"),
        ("labs/index.md", "../figures/patching.svg"),
        ("a/b/page.md", "../../../figures/patching.svg"),
    ]:
        img = BeautifulSoup(_render("[[figure patching]]\n", src_path), "html.parser").img
        assert img is not None and img["src"] == src, src_path


def test_a_missing_svg_is_a_broken_link_the_strict_build_reports(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="mkdocs"):
        _render("[[figure patching]]\n", svgs=False)
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert any("'figures/patching.svg' is not found" in w for w in warnings), warnings


def test_a_figure_shown_twice_gets_two_ids() -> None:
    out = _render("[[figure patching]]\n\n[[figure patching]]\n")
    assert 'id="figure-patching"' in out and 'id="figure-patching-2"' in out
    assert MARK.format("patching", "figure-patching-2") in out


def test_only_the_first_figure_on_a_page_loads_eagerly() -> None:
    # The first figure is often the page's largest paint; lazy loading it delays LCP.
    out = _render("[[figure patching]]\n\n[[figure houses-vs-apartments]]\n")
    soup = BeautifulSoup(out, "html.parser")
    assert [img["loading"] for img in soup.find_all("img")] == ["eager", "lazy"]


def test_markers_in_code_fences_stay_as_written() -> None:
    text = (
        "```markdown\n[[figure patching]]\n```python\n[[figure patching]]\n```\n\n"
        "~~~~\n```\n[[figure no-such-figure]]\n~~~~\n\n"
        "Text with [[figure patching]] inside a sentence.\n"
    )
    out = _render(text)
    assert "<figure" not in out and "figure source" not in out
    soup = BeautifulSoup(out, "html.parser")
    assert [code.get_text().count("[[figure ") for code in soup.find_all("code")] == [2, 1]
    assert soup.find("p").get_text() == "Text with [[figure patching]] inside a sentence."


def test_a_marker_inside_a_box_stays_in_the_box() -> None:
    soup = BeautifulSoup(_render('!!! note "In a box"\n\n    [[figure patching]]\n'), "html.parser")
    box = soup.select_one("div.admonition.note")
    assert box is not None and box.select_one("figure#figure-patching img") is not None
    assert "figure source: patching" in str(box)


def _error(text: str, src_path: str = "analogy.md") -> str:
    with pytest.raises(PluginError) as error:  # MkDocs shows it as a message, no traceback
        _render(text, src_path)
    return str(error.value)


def test_unknown_name_names_page_and_line_of_the_file() -> None:
    message = _error("# Title\n\nText.\n\n[[figure no-such-figure]]\n")
    # Line 9 of the file: four lines of front matter come before the Markdown's line 5.
    assert message.startswith("docs/analogy.md:9: unknown figure 'no-such-figure'"), message
    assert "patching" in message, "the message lists the figures that exist"
    assert "diagrams/no_such_figure.py" in message, "and says where a new one goes"


def test_a_name_outside_diagrams_is_unknown() -> None:
    assert "unknown figure" in _error("[[figure ../sitebuild/figures]]\n")


def test_a_broken_figure_script_fails_with_its_error(monkeypatch: pytest.MonkeyPatch) -> None:
    failure = figures.FigureError("diagrams/patching.py", 12, "RuntimeError: broken on purpose")

    def broken(root: Path, name: str) -> figures.Figure:
        raise figures.FigureErrors([failure])

    monkeypatch.setattr(figures, "load", broken)
    message = _error("Text.\n\n[[figure patching]]\n", "labs/index.md")
    assert message.startswith("docs/labs/index.md:7: figure 'patching' failed."), message
    assert "diagrams/patching.py:12: RuntimeError: broken on purpose" in message


def test_a_marker_in_raw_html_fails_rather_than_vanish() -> None:
    message = _error("Text.\n\n<div>\n[[figure patching]]\n</div>\n")
    assert message.startswith("docs/analogy.md:8: a figure marker must stand on its own"), message


class _ZensicalContext(Preprocessor):
    """Stands for zensical.extensions.context.ContextPreprocessor: what _page reads of it."""

    def __init__(self, md: markdown.Markdown, path: str) -> None:
        super().__init__(md)
        self.page = type("Page", (), {"path": path})()

    def run(self, lines: list[str]) -> list[str]:
        return lines


def _plain(text: str, zensical_path: str | None = None) -> str:
    md = markdown.Markdown(extensions=["sitebuild.figures.markdown"])
    if zensical_path is not None:
        md.preprocessors.register(_ZensicalContext(md, zensical_path), "rendering_context", 0)
    return md.convert(text)


def test_under_zensical_the_image_is_relative_to_the_page_source() -> None:
    # Zensical's own link rewriting then turns it into the page's address, as MkDocs' does.
    img = BeautifulSoup(_plain("[[figure patching]]\n", "labs/index.md"), "html.parser").img
    assert img is not None and img["src"] == "../figures/patching.svg"
    with pytest.raises(PluginError) as error:
        _plain("Text.\n\n[[figure nope]]\n", "labs/index.md")
    assert str(error.value).startswith("docs/labs/index.md:3 (counted after the front matter)")


def test_a_builder_that_does_not_say_the_page_fails_only_where_a_figure_is() -> None:
    assert _plain("No figure here.\n") == "<p>No figure here.</p>"
    with pytest.raises(PluginError, match=r"cannot tell which page this is.*_page"):
        _plain("[[figure patching]]\n")


HIGHLIGHT = {"line_spans": "__span", "pygments_lang_class": True}


def test_the_mark_becomes_the_collapsed_highlighted_source_with_a_copy_button(
    tmp_path: Path,
) -> None:
    marks = MARK.format("patching", "figure-patching") + "\n"
    marks += MARK.format("patching", "figure-patching-2")
    page = f"<p>before</p>\n{marks}\n<p>after</p>"
    out = fill_sources(page, REPO, HIGHLIGHT, copy_buttons=True)
    soup = BeautifulSoup(out, "html.parser")
    boxes = soup.select("details.example")
    assert len(boxes) == 2 and "figure source" not in out
    script = (REPO / "diagrams" / "patching.py").read_text()
    ids = []
    for box in boxes:
        # Out of the search index every page downloads; closed, its code waits in a template.
        assert box.has_attr("data-search-exclude") and not box.has_attr("open")
        assert box.summary.get_text() == "Source: diagrams/patching.py"
        template = box.find("template", recursive=False)
        assert template is not None and template.has_attr("data-deferred")
        code = template.select_one("td.code pre > code")
        assert code.get_text(types=(NavigableString, TemplateString)).rstrip() == script.rstrip()
        assert code.select("span.k"), "highlighted"
        button = template.select_one("button.md-code__button[data-md-type=copy]")
        pre_id = code.parent["id"]
        assert button["data-clipboard-target"] == f"#{pre_id} > code"
        ids.append(pre_id)
    assert len(set(ids)) == 2, "a figure shown twice gets ids of its own each time"
    cached = list((tmp_path / "sources").glob("patching-*.html"))
    assert len(cached) == 2, "each Source is cached"
    assert fill_sources(page, REPO, HIGHLIGHT, copy_buttons=True) == out, "the cache gives the same"
    without = fill_sources(page, REPO, HIGHLIGHT, copy_buttons=False)
    assert "md-code__button" not in without, "no copy buttons where the site has none"


def test_a_page_without_marks_is_returned_as_it_is() -> None:
    page = "<p>No figure.</p>"
    assert fill_sources(page, REPO, HIGHLIGHT, copy_buttons=True) is page
