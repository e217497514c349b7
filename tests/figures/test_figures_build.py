"""Figures in a real build: on the pages, cached across builds, and failing loudly when broken."""

from __future__ import annotations

import ast
import json
import posixpath
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from sitebuild import figures
from sitebuild.project import REPO, build
from tests.support import text_of

pytestmark = pytest.mark.slow


def _script_constant(script: Path, name: str) -> str:
    for node in ast.parse(script.read_text()).body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == name:
            return " ".join(ast.literal_eval(node.value).split())
    raise AssertionError(f"{script} has no {name}")


def test_pages_show_each_figure_with_caption_zoom_and_source(built_site: Path) -> None:
    placed: set[str] = set()
    for page in sorted(built_site.rglob("*.html")):
        soup = BeautifulSoup(page.read_text(), "html.parser")
        for fig in soup.select("figure.figure"):
            name = fig["id"].removeprefix("figure-")
            script = REPO / "diagrams" / (name.replace("-", "_") + ".py")
            where = f"{page.relative_to(built_site)}: {name}"
            img = fig.find("img")
            # The src is relative to the page and names the generated SVG.
            target = posixpath.normpath(posixpath.join(page.parent.as_posix(), img["src"]))
            assert Path(target).is_file() and target.endswith(f"/figures/{name}.svg"), where
            assert img["alt"] == _script_constant(script, "ALT"), where
            caption = fig.find("figcaption").get_text(" ", strip=True)
            assert caption == _script_constant(script, "CAPTION"), where
            assert img.parent.name == "a" and "glightbox" in img.parent["class"], where
            assert img.parent["href"] == img["src"], where
            source = fig.find_next_sibling("details")
            assert source is not None and "example" in source["class"], where
            summary = source.find("summary").get_text(strip=True)
            assert summary == f"Source: diagrams/{script.name}", where
            code = "".join(text_of(s) for s in source.select("code"))
            assert code.strip() == script.read_text().strip(), f"{where}: Source is not the script"
            placed.add(name)
    assert placed == {figures.figure_name(p) for p in figures.scripts(REPO)}, "figures not placed"


def test_only_pages_with_an_image_load_the_zoom_script_and_only_on_first_use(
    built_site: Path,
) -> None:
    """glightbox: pages without images skip it (hooks/figures.py); pages with a figure load its
    script and stylesheet only when the reader reaches for a figure, so neither is in flight
    beside the page's largest paint (the browser zoom test clicks through the loader)."""
    with_images, without = [], []
    for page in sorted(built_site.rglob("*.html")):
        soup = BeautifulSoup(page.read_text(), "html.parser")
        where = page.relative_to(built_site)
        has_image = bool(soup.select("article img"))
        assert not soup.select('script[src*="glightbox"], link[href*="glightbox"]'), where
        loader = soup.select_one("script#init-glightbox")
        assert bool(loader) == has_image, f"{where}: image {has_image}, zoom {bool(loader)}"
        if loader:
            assert loader["type"] == "module", where  # runs after Material's deferred bundle
            assert not loader.get_text(), where  # the code is docs/javascripts/zoom.js
            # The plugin's options carried over, and the files it names exist in the site.
            assert json.loads(loader["data-options"])["zoomable"] is True, where
            for url in (loader["src"], loader["data-css"], loader["data-js"]):
                target = (page.parent / url).resolve()
                assert target.is_file(), f"{where}: the zoom loader names {url}, not in the site"
        (with_images if has_image else without).append(page)
    assert with_images and without, "expected pages of both kinds"


def _renders(cache: Path) -> list[str]:
    log = cache / figures.RENDER_LOG
    return [line.split()[0] for line in log.read_text().splitlines()] if log.exists() else []


def test_warm_build_renders_nothing_and_one_edit_renders_one_figure(
    project_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv(figures.CACHE_ENV, str(cache))
    site = tmp_path / "site"
    assert build(project_copy, site).returncode == 0
    cold = _renders(cache)
    assert sorted(cold) == sorted(figures.figure_name(p) for p in figures.scripts(project_copy))

    page = project_copy / "docs" / "analogy.md"
    page.write_text(page.read_text() + "\nA paragraph added by a test.\n")
    result = build(project_copy, site)
    assert result.returncode == 0, result.stderr
    assert _renders(cache) == cold, "a second build, with only Markdown edited, rendered figures"

    script = project_copy / "diagrams" / "patching.py"
    script.write_text(script.read_text() + "\n# An edit: the figure must be rendered again.\n")
    assert build(project_copy, site).returncode == 0
    assert _renders(cache) == [*cold, "patching"]


BROKEN = {
    # script: (how to break it, what the build must say about it)
    "patching.py": ("raise", "RuntimeError: broken on purpose"),
    "hypervisor_types.py": ("syntax", "SyntaxError"),
    "houses_vs_apartments.py": ("empty", "draw() drew nothing"),
}


def _break(script: Path, how: str) -> int:
    """Break `script`; return the line the error message must name."""
    lines = script.read_text().splitlines()
    if how == "raise":
        at = lines.index("def draw() -> None:") + 1
        lines.insert(at, '    raise RuntimeError("broken on purpose")')
        line = at + 1
    elif how == "syntax":
        lines.append("def oops(:")
        line = len(lines)
    else:
        lines += ["", "", "def draw() -> None:", "    pass"]
        line = len(lines) - 1
    script.write_text("\n".join(lines) + "\n")
    return line


def test_broken_scripts_fail_the_build_naming_path_and_line(
    project_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv(figures.CACHE_ENV, str(cache))
    expected = {
        name: f"diagrams/{name}:{_break(project_copy / 'diagrams' / name, how)}: {says}"
        for name, (how, says) in BROKEN.items()
    }
    result = build(project_copy, tmp_path / "site")
    assert result.returncode != 0
    for message in expected.values():
        assert message in result.stderr, f"{message!r} not in:\n{result.stderr}"
    # The other figures were rendered and cached; nothing partial or broken was kept.
    entries = sorted(cache.glob("*.json"))
    names = {json.loads(e.read_text())["name"] for e in entries}
    good = {figures.figure_name(p) for p in figures.scripts(project_copy)}
    good -= {figures.figure_name(Path(n)) for n in BROKEN}
    assert names == good
    assert not [p for p in cache.iterdir() if p.name.startswith(".") or p.suffix == ".tmp"]


def test_unknown_figure_fails_the_build_naming_page_and_line(
    project_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(figures.CACHE_ENV, str(tmp_path / "cache"))
    page = project_copy / "docs" / "analogy.md"
    text = page.read_text().rstrip("\n") + "\n\n[[figure no-such-figure]]\n"
    page.write_text(text)
    line = len(text.splitlines())
    result = build(project_copy, tmp_path / "site")
    assert result.returncode != 0
    assert f"docs/analogy.md:{line}: unknown figure 'no-such-figure'" in result.stderr, (
        result.stderr
    )
