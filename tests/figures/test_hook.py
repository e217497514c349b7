"""hooks/figures.py on its own: what a `[[figure NAME]]` line becomes, and what it leaves alone."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType, SimpleNamespace

import pytest
from bs4 import BeautifulSoup
from bs4.element import NavigableString, TemplateString
from mkdocs.exceptions import PluginError

from sitebuild import figures
from sitebuild.project import REPO

FRONT_MATTER = "---\ndescription: A page.\n---\n\n"


def _load_hook() -> ModuleType:
    spec = importlib.util.spec_from_file_location("figures_hook", REPO / "hooks" / "figures.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


hook = _load_hook()


def _expand(markdown: str, src_path: str = "sub/page.md") -> str:
    page = SimpleNamespace(
        file=SimpleNamespace(
            src_path=src_path,
            abs_src_path=str(REPO / "docs" / src_path),
            content_string=FRONT_MATTER + markdown,
            url=src_path.removesuffix(".md") + "/",
        )
    )
    config = SimpleNamespace(config_file_path=str(REPO / "mkdocs.yml"))
    files = SimpleNamespace(get_file_from_path=lambda path: SimpleNamespace(url=path))
    return hook.on_page_markdown(markdown, page=page, config=config, files=files)


@pytest.fixture(autouse=True)
def _cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(figures.CACHE_ENV, str(tmp_path))


def test_marker_becomes_figure_caption_and_a_mark_for_its_source() -> None:
    out = _expand("# Title\n\n[[figure patching]]\n\nAfter.\n")
    patching = figures.load(REPO, "patching")
    assert '<img src="../../figures/patching.svg"' in out  # relative to sub/page/
    assert f'width="{patching.width}" height="{patching.height}"' in out
    assert f"<figcaption>{patching.caption}</figcaption>" in out
    # The Source joins the page after Markdown, search and the <details> deferral have run.
    assert "\n<!-- figure source: patching figure-patching -->\n" in out
    assert "def " not in out, "no code of the script before on_post_page"
    assert out.startswith("# Title\n\n") and out.endswith("\nAfter.\n")


def _post_page(html: str) -> str:
    config = SimpleNamespace(
        config_file_path=str(REPO / "mkdocs.yml"),
        mdx_configs={"pymdownx.highlight": {"line_spans": "__span", "pygments_lang_class": True}},
        theme={"features": ["content.code.copy"]},
    )
    return hook.on_post_page(html, page=SimpleNamespace(url="sub/page/"), config=config)


def test_the_mark_becomes_the_collapsed_highlighted_source_with_a_copy_button(
    tmp_path: Path,
) -> None:
    marks = "<!-- figure source: patching figure-patching -->\n"
    marks += "<!-- figure source: patching figure-patching-2 -->"
    out = _post_page(f"<p>before</p>\n{marks}\n<p>after</p>")
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
    assert _post_page(f"<p>before</p>\n{marks}\n<p>after</p>") == out, "the cache gives the same"


def test_a_figure_shown_twice_gets_two_ids() -> None:
    out = _expand("[[figure patching]]\n\n[[figure patching]]\n")
    assert 'id="figure-patching"' in out and 'id="figure-patching-2"' in out


def test_only_the_first_figure_on_a_page_loads_eagerly() -> None:
    # The first figure is often the page's largest paint; lazy loading it delays LCP.
    out = _expand("[[figure patching]]\n\n[[figure houses-vs-apartments]]\n")
    assert [
        line.split('loading="')[1].split('"')[0] for line in out.splitlines() if "<img" in line
    ] == [
        "eager",
        "lazy",
    ]


def test_markers_in_code_fences_stay_as_written() -> None:
    markdown = (
        "```markdown\n[[figure patching]]\n```python\n[[figure patching]]\n```\n\n"
        "~~~~\n```\n[[figure no-such-figure]]\n~~~~\n\n"
        "Text with [[figure patching]] inside a sentence.\n"
    )
    assert _expand(markdown) == markdown


def test_indented_marker_keeps_its_indentation() -> None:
    out = _expand('!!! note "In a box"\n\n    [[figure patching]]\n')
    body = out.split("\n", 2)[2]
    assert all(line.startswith("    ") for line in body.splitlines() if line), body


def test_unknown_name_names_page_and_line_of_the_file() -> None:
    markdown = "# Title\n\nText.\n\n[[figure no-such-figure]]\n"
    with pytest.raises(PluginError) as error:
        _expand(markdown, "analogy.md")
    # Line 9 of the file: four lines of front matter come before the Markdown's line 5.
    assert str(error.value).startswith("docs/analogy.md:9: unknown figure 'no-such-figure'")
    assert "patching" in str(error.value), "the message lists the figures that exist"


def test_a_name_outside_diagrams_is_unknown() -> None:
    with pytest.raises(PluginError, match="unknown figure"):
        _expand("[[figure ../sitebuild/figures]]\n")
