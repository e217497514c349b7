"""The figure pipeline: every script renders to a self-contained, accessible, deterministic SVG.

Renders go to a temporary cache (FIGURE_CACHE_DIR), never the repository's, so each test sees
exactly the renders it caused.
"""

from __future__ import annotations

import ast
import gzip
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.budgets import FIGURE_GZIP_BYTES
from sitebuild import figures
from sitebuild.project import REPO
from tests.support import report

SVG = "{http://www.w3.org/2000/svg}"
# The figures the pages rely on (names agreed in the project's conventions).
AGREED = {
    "vm-vs-container-stack",
    "hypervisor-types",
    "houses-vs-apartments",
    "build-up-vs-strip-down",
    "state-in-volumes",
    "shared-volume-backup",
    "patching",
    "app-server-vs-services",
    "containers-and-vms-together",
    "container-is-a-process",
}
IGNORE_PYCACHE = shutil.ignore_patterns("__pycache__")


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[figures.Figure]]:
    """Every figure, rendered once for this module into a fresh cache."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(figures.CACHE_ENV, str(tmp_path_factory.mktemp("figure-cache")))
        before = figures.renders
        result = figures.render_all(REPO)
        assert figures.renders - before == len(result), "a fresh cache must render every figure"
        yield result


def _script_meta(script: Path) -> dict[str, str]:
    """TITLE, ALT, CAPTION, DESCRIPTION read from the script's source, not by running it."""
    meta = {}
    for node in ast.parse(script.read_text()).body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            name = node.targets[0].id
            if name in ("TITLE", "ALT", "CAPTION", "DESCRIPTION"):
                meta[name.lower()] = " ".join(ast.literal_eval(node.value).split())
    return meta


def test_every_script_renders(rendered: list[figures.Figure]) -> None:
    names = {f.name for f in rendered}
    assert names == {figures.figure_name(p) for p in figures.scripts(REPO)}
    assert names >= AGREED, f"missing figures: {AGREED - names}"
    report("figures", len(rendered))


def test_scripts_take_colours_from_the_kit() -> None:
    """A colour is named once, in sitebuild/figures/kit.py; a script's Source block shows only
    the figure (`make figure NAME=...` renders one, so no script needs a `__main__` block)."""
    for script in figures.scripts(REPO):
        source = script.read_text()
        raw = re.findall(r"#[0-9A-Fa-f]{6}\b", source)
        assert not raw, f"{script.name}: use a Fill, Tint or Line of the kit instead of {raw}"
        assert "__main__" not in source, f"{script.name}: drop the `__main__` block"


def test_svg_is_self_contained_and_small(rendered: list[figures.Figure]) -> None:
    for figure in rendered:
        root = ET.fromstring(figure.svg)
        assert root.tag == f"{SVG}svg", figure.name
        hrefs = [v for e in root.iter() for k, v in e.attrib.items() if k.endswith("href")]
        external = [h for h in hrefs if not h.startswith(("#", "data:"))]
        assert not external, f"{figure.name} refers outside itself: {external}"
        ids = {e.get("id") for e in root.iter()}
        dangling = [h for h in hrefs if h.startswith("#") and h[1:] not in ids]
        assert not dangling, f"{figure.name}: <use> of a missing symbol: {dangling}"
        # Nothing machine-specific survives: no file: URL, no path of this checkout or venv.
        values = [v for e in root.iter() for v in e.attrib.values()]
        assert not [v for v in values if re.search(r"\bfile:", v)], figure.name
        for needle in (str(REPO), sys.prefix, "site-packages"):
            assert needle not in figure.svg, f"{figure.name} holds {needle!r}"
        size = len(gzip.compress(figure.svg.encode(), mtime=0))
        assert size < FIGURE_GZIP_BYTES, f"{figure.name}: {size} bytes gzipped"


def test_repeated_icon_is_embedded_once(rendered: list[figures.Figure]) -> None:
    """A figure showing one icon several times carries its PNG bytes once."""
    for figure in rendered:
        root = ET.fromstring(figure.svg)
        uses = [e.get("href") for e in root.iter(f"{SVG}use")]
        symbols = list(root.iter(f"{SVG}symbol"))
        assert len(symbols) == len(set(uses)), figure.name
        data = [e.get("href") for e in root.iter(f"{SVG}image")]
        assert len(data) == len(set(data)) == len(symbols), figure.name
    assert any(len(list(ET.fromstring(f.svg).iter(f"{SVG}use"))) > 1 for f in rendered)


def test_svg_is_accessible(rendered: list[figures.Figure]) -> None:
    for figure in rendered:
        root = ET.fromstring(figure.svg)
        meta = _script_meta(REPO / figure.script)
        assert (figure.title, figure.alt, figure.caption, figure.description) == (
            meta["title"],
            meta["alt"],
            meta["caption"],
            meta["description"],
        )
        assert root.get("role") == "img"
        label = root.find(f"{SVG}title")
        desc = root.find(f"{SVG}desc")
        assert label is not None and desc is not None, figure.name
        assert (label.text, desc.text) == (figure.title, figure.description)
        assert root.get("aria-labelledby") == label.get("id")
        assert root.get("aria-describedby") == desc.get("id")
        # Each node's <title> is the words drawn in it, never an internal name (a uuid4 or id).
        nodes = [g for g in root.iter(f"{SVG}g") if g.get("class") == "node"]
        assert nodes, figure.name
        for node in nodes:
            drawn = " ".join(t.text or "" for t in node.iter(f"{SVG}text"))
            title = node.find(f"{SVG}title")
            if drawn.strip():
                assert title is not None and title.text == " ".join(drawn.split()), figure.name
            else:
                assert title is None, f"{figure.name}: an unlabelled node keeps its internal name"


def _render_in_subprocess(cache: Path, *args: str) -> list[Path]:
    env = {**os.environ, figures.CACHE_ENV: str(cache)}
    result = subprocess.run(
        [sys.executable, *args], cwd=REPO, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    return [Path(line) for line in result.stdout.splitlines()]


def test_renders_are_byte_identical(rendered: list[figures.Figure], tmp_path: Path) -> None:
    """Two fresh processes (own hash seeds, own uuids) give the same bytes as this one."""
    first = _render_in_subprocess(tmp_path / "a", "-m", "sitebuild.figures")
    second = _render_in_subprocess(tmp_path / "b", "-m", "sitebuild.figures")
    assert len(first) == len(second) == len(rendered)
    for figure, a, b in zip(rendered, first, second, strict=True):
        assert a.name == b.name == f"{figure.name}.svg"
        assert a.read_bytes() == b.read_bytes() == figure.svg.encode(), figure.name


def test_make_figure_renders_that_figure_alone(tmp_path: Path) -> None:
    """`make figure NAME=patching` renders that figure only and prints where it is."""
    env = {**os.environ, figures.CACHE_ENV: str(tmp_path)}
    make = ["make", "--no-print-directory", "-s", "figure", "NAME=patching"]
    result = subprocess.run(make, cwd=REPO, env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    (out,) = [Path(line) for line in result.stdout.splitlines()]
    assert out.name == "patching.svg"
    assert ET.parse(out).getroot().find(f"{SVG}title") is not None
    log = (tmp_path / figures.RENDER_LOG).read_text().split()
    assert log[0] == "patching" and len(log) == 2, log


def test_cache_renders_only_what_changed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(figures.CACHE_ENV, str(tmp_path / "cache"))
    project = tmp_path / "project"
    (project / "diagrams").mkdir(parents=True)
    for script in figures.scripts(REPO)[:3]:
        (project / "diagrams" / script.name).write_bytes(script.read_bytes())
    before = figures.renders
    figures.render_all(project)
    assert figures.renders - before == 3
    figures.render_all(project)
    assert figures.renders - before == 3, "a second run must render nothing"
    edited = figures.scripts(project)[1]
    edited.write_text(edited.read_text() + "\n# edited\n")
    figures.render_all(project)
    assert figures.renders - before == 4, "editing one script renders that figure only"
    log = (tmp_path / "cache" / figures.RENDER_LOG).read_text().splitlines()
    assert [line.split()[0] for line in log[3:]] == [figures.figure_name(edited)]


class PipelineCopy:
    """A project holding a copy of sitebuild/ and two figure scripts, rendered in fresh processes
    whose `sitebuild` is the copy (`-m` puts the working directory first on the path)."""

    def __init__(self, tmp_path: Path) -> None:
        self.project, self.cache, self.out = (
            tmp_path / "project",
            tmp_path / "cache",
            tmp_path / "out",
        )
        (self.project / "diagrams").mkdir(parents=True)
        shutil.copytree(REPO / "sitebuild", self.project / "sitebuild", ignore=IGNORE_PYCACHE)
        for name in ("hypervisor_types.py", "patching.py"):
            shutil.copy2(REPO / "diagrams" / name, self.project / "diagrams" / name)

    def render(self) -> list[str]:
        """Render both figures; return the names of every render so far (the render log)."""
        env = {**os.environ, figures.CACHE_ENV: str(self.cache)}
        args = [sys.executable, "-m", "sitebuild.figures", "--out", str(self.out)]
        result = subprocess.run(args, cwd=self.project, env=env, capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        log = (self.cache / figures.RENDER_LOG).read_text().splitlines()
        return [line.split()[0] for line in log]


def test_editing_the_figure_kit_rerenders_what_uses_it(tmp_path: Path) -> None:
    """The scripts import sitebuild/figures/kit.py, so its bytes are part of every cache key."""
    copy = PipelineCopy(tmp_path)
    assert sorted(copy.render()) == ["hypervisor-types", "patching"]
    assert len(copy.render()) == 2, "a second run must render nothing"
    kit = copy.project / "sitebuild" / "figures" / "kit.py"
    source = kit.read_text()
    assert 'BORDER = "#546E7A"' in source
    kit.write_text(source.replace('BORDER = "#546E7A"', 'BORDER = "#123456"'))
    assert sorted(copy.render()[2:]) == ["hypervisor-types", "patching"], "the kit changed"
    boxes = ET.parse(copy.out / "hypervisor-types.svg").getroot()
    strokes = {e.get("stroke") for e in boxes.iter(f"{SVG}path")}
    assert "#123456" in strokes, "the re-rendered figure draws with the edited kit"


def test_editing_any_pipeline_module_rerenders_every_figure(tmp_path: Path) -> None:
    """Every module of the pipeline is part of the cache key: no version number to bump."""
    copy = PipelineCopy(tmp_path)
    modules = [copy.project / "sitebuild" / "figures" / name for name in figures.PIPELINE]
    assert {m.stem for m in modules} >= {"__init__", "draw", "kit", "layout", "svg"}
    rendered = len(copy.render())
    for module in modules:
        module.write_text(module.read_text() + "\n# edited\n")
        log = copy.render()
        assert sorted(log[rendered:]) == ["hypervisor-types", "patching"], f"{module.name} changed"
        rendered = len(log)
