"""sitebuild/pages/postbuild.py, the pass over each finished page: zoom on first use, deferred
<details> (tests/site/test_deferred.py pins that step), small stylesheets inline, valid
navigation labels. Here each step on small pages, then the command over a small built site with
no builder involved, twice; the slow tests check the real build."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from mkdocs.utils.meta import get_data

from sitebuild.pages import postbuild
from sitebuild.project import REPO, config_as_written

PAGE = (
    '<html><head><link rel="stylesheet" href="../assets/main.css">'
    '<link rel="stylesheet" href="../stylesheets/small.css"></head>'
    '<body><link rel="stylesheet" href="../stylesheets/small.css"></body></html>'
)
SECTION = '<label class="md-nav__link " for="__nav_1" id="__nav_1_label" tabindex="">'
FOCUSABLE = '<label class="md-nav__link" for="__nav_2" id="__nav_2_label" tabindex="0">'
OPTIONS = '{"touchNavigation": true, "zoomable": true}'
# What mkdocs-glightbox 0.5.3 writes on a page at labs/lab/index.html.
GLIGHTBOX_HEAD = (
    '<link href="../../assets/stylesheets/glightbox.min.css" rel="stylesheet">'
    '<script src="../../assets/javascripts/glightbox.min.js"></script>'
)
GLIGHTBOX_INIT = (
    f'<script id="init-glightbox">const lightbox = GLightbox({OPTIONS});\n'
    "document$.subscribe(()=>{ lightbox.reload(); });\n</script>"
)
CLOSED = '<details class="example"><summary>Whole file</summary><p>inside</p></details>'


def settings(docs: Path, **kwargs: object) -> postbuild.Settings:
    kwargs.setdefault("root", docs.parent)
    return postbuild.Settings(docs_dir=docs, **kwargs)  # type: ignore[arg-type]


def test_a_small_stylesheet_of_ours_in_the_head_becomes_a_style_and_nothing_else_changes(
    tmp_path: Path,
) -> None:
    (tmp_path / "stylesheets").mkdir()
    (tmp_path / "stylesheets/small.css").write_text("p{color:red}\n")
    out = postbuild.inline_css(PAGE, "lab/index.html", settings(tmp_path))
    head, body = out.split("</head>")
    assert "<style>p{color:red}</style>" in head and "small.css" not in head
    assert 'href="../assets/main.css"' in head, "a stylesheet not in docs/ stays a link"
    assert body == PAGE.split("</head>")[1], "only the <head> is touched"
    # 404.html names it from the site's root path; a large one stays a link (worth caching).
    absolute = PAGE.replace("../stylesheets/", "/explainer/stylesheets/")
    out = postbuild.inline_css(absolute, "404.html", settings(tmp_path, site_path="/explainer/"))
    assert "<style>p{color:red}</style>" in out.split("</head>")[0]
    (tmp_path / "stylesheets/small.css").write_text("p{}" * postbuild.INLINE_UP_TO)
    assert postbuild.inline_css(PAGE, "lab/index.html", settings(tmp_path)) == PAGE


def test_a_missing_extra_css_or_page_asset_is_an_error_naming_where(tmp_path: Path) -> None:
    (tmp_path / "lab.css").write_text(".lab{color:red}\n")
    with pytest.raises(postbuild.PostBuildError, match=r"extra_css lists gone\.css"):
        settings(tmp_path, extra_css=("lab.css", "gone.css"))
    ours = settings(tmp_path)
    postbuild.check_page_assets({"stylesheets": ["lab.css"]}, "docs/labs/lab.md", ours)
    with pytest.raises(postbuild.PostBuildError, match=r"docs/labs/lab\.md: .* lists gone\.css"):
        postbuild.check_page_assets({"stylesheets": ["gone.css"]}, "docs/labs/lab.md", ours)
    with pytest.raises(postbuild.PostBuildError, match=r"`scripts` lists gone\.js"):
        postbuild.check_page_assets({"scripts": ["gone.js"]}, "docs/labs/lab.md", ours)
    with pytest.raises(postbuild.PostBuildError, match=r"docs/labs/lab\.md: .* must be a list"):
        postbuild.check_page_assets({"stylesheets": "lab.css"}, "docs/labs/lab.md", ours)


def test_the_empty_tabindex_of_nav_labels_goes_and_nothing_else_does() -> None:
    page = f"<nav>{SECTION}<span>Explainer</span></label>{FOCUSABLE}More</label></nav>"
    assert postbuild.without_empty_tabindex(page) == page.replace(' tabindex=""', "")
    others = [
        FOCUSABLE,
        '<label class="md-nav__link" tabindex="-1">',
        '<label class="md-search__icon" tabindex="">',  # not the navigation: not ours to judge
        '<div class="md-nav__link" tabindex="">',
        '<label class="md-nav__link">tabindex=""</label>',  # text, not an attribute
    ]
    for html in others:
        assert postbuild.without_empty_tabindex(html) == html


def test_glightbox_start_up_becomes_the_zoom_module_with_its_settings_as_data() -> None:
    page = f"<html><head>{GLIGHTBOX_HEAD}</head><body><p>x</p>{GLIGHTBOX_INIT}</body></html>"
    out = postbuild.lazy_zoom(page, "labs/lab/index.html")
    soup = BeautifulSoup(out, "html.parser")
    assert not soup.select('script[src*="glightbox"], link[href*="glightbox"]'), "nothing up front"
    loader = soup.select_one("script#init-glightbox")
    assert loader["type"] == "module" and loader["src"] == "../../javascripts/zoom.js"
    assert json.loads(loader["data-options"]) == json.loads(OPTIONS)
    assert loader["data-css"] == "../../assets/stylesheets/glightbox.min.css"
    assert loader["data-js"] == "../../assets/javascripts/glightbox.min.js"
    assert not loader.get_text(), "the code is in docs/javascripts/zoom.js"
    assert postbuild.lazy_zoom(out, "labs/lab/index.html") == out
    assert postbuild.lazy_zoom("<p>no figure</p>", "index.html") == "<p>no figure</p>"
    changed = page.replace('rel="stylesheet"', 'rel="stylesheet" media="all"')
    with pytest.raises(postbuild.PostBuildError, match=r"labs/lab/index\.html: mkdocs-glightbox"):
        postbuild.lazy_zoom(changed, "labs/lab/index.html")


def test_deferral_touches_the_article_only() -> None:
    page = f'<nav>{CLOSED}</nav><article class="md-content__inner md-typeset">{CLOSED}</article>'
    out = postbuild.deferred_article(page, settings(Path("docs")))
    assert out.startswith(f"<nav>{CLOSED}</nav>"), "outside the article nothing changes"
    assert out.count("<template data-deferred>") == 1


def test_the_command_processes_a_built_site_in_place_and_a_second_run_changes_nothing(
    tmp_path: Path,
) -> None:
    """As over a Zensical build: a site directory and a mkdocs.yml (with the !!python/name: tags
    a plain YAML loader refuses), no MkDocs."""
    docs, site = tmp_path / "docs", tmp_path / "site"
    (docs / "stylesheets").mkdir(parents=True)
    (docs / "stylesheets/a11y.css").write_text(".a{color:red}\n")
    (tmp_path / "mkdocs.yml").write_text(
        "site_name: T\nsite_url: https://example.org/explainer/\n"
        "theme:\n  name: material\n  features: [content.code.copy]\n"
        "extra_css: [stylesheets/a11y.css]\n"
        "markdown_extensions:\n  - pymdownx.emoji:\n"
        "      emoji_index: !!python/name:material.extensions.emoji.twemoji\n"
    )
    head = '<link rel="stylesheet" href="../../stylesheets/a11y.css">' + GLIGHTBOX_HEAD
    code = '<div class="highlight"><pre><span></span><code>print("hi")\n</code></pre></div>'
    article = CLOSED.replace("<p>inside</p>", code)
    page = (
        f"<html><head>{head}</head><body><nav>{SECTION}Explainer</label></nav>"
        f'<article class="md-content__inner md-typeset">{article}</article>'
        f"{GLIGHTBOX_INIT}</body></html>"
    )
    (site / "labs/lab").mkdir(parents=True)
    (site / "labs/lab/index.html").write_text(page)
    (site / "other.txt").write_text(page)

    def run() -> str:
        command = [sys.executable, "-m", "sitebuild.pages.postbuild", str(site)]
        done = subprocess.run(
            [*command, "--config", str(tmp_path / "mkdocs.yml")],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert "1 pages" in run()
    soup = BeautifulSoup((site / "labs/lab/index.html").read_text(), "html.parser")
    assert soup.select_one("script#init-glightbox")["data-js"].endswith("glightbox.min.js")
    assert not soup.select('script[src*="glightbox"]'), "zoom: loaded on first use"
    details = soup.select_one("article details")
    assert details.find("template", recursive=False).has_attr("data-deferred"), "deferral"
    assert details.select_one("template span.md-code__nav button"), "copy button (feature on)"
    assert ".a{color:red}" in [s.get_text() for s in soup.head.select("style")], "inline CSS"
    assert not soup.select('label[tabindex=""]'), "valid HTML"
    assert (site / "other.txt").read_text() == page, "only HTML pages"
    before = (site / "labs/lab/index.html").read_text()
    assert "0 pages" in run()
    assert (site / "labs/lab/index.html").read_text() == before, "a second run changes nothing"


def test_the_command_names_a_missing_site_or_a_bad_config(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "sitebuild.pages.postbuild"]
    missing = subprocess.run(
        [*command, str(tmp_path / "site")], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert missing.returncode != 0 and "build the site first" in missing.stderr
    (tmp_path / "mkdocs.yml").write_text("extra_css: [gone.css]\n")
    bad = subprocess.run(
        [*command, str(tmp_path), "--config", str(tmp_path / "mkdocs.yml")],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 1 and "extra_css lists gone.css" in bad.stderr


def test_the_settings_read_without_mkdocs_match_what_mkdocs_reads() -> None:
    from sitebuild.project import config

    ours, theirs = postbuild.load_settings(REPO / "mkdocs.yml"), config()
    assert ours.docs_dir == Path(theirs.docs_dir)
    assert ours.features == tuple(theirs.theme["features"])
    assert ours.extra_css == tuple(str(path) for path in theirs.extra_css)


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
    small = {p: css for p, css in small.items() if len(css.encode()) <= postbuild.INLINE_UP_TO}
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


@pytest.mark.slow
def test_the_pass_over_the_built_site_changes_nothing(built_site: Path) -> None:
    """The MkDocs build ran the pass on every page (hooks/postbuild.py): running it again, as over
    a Zensical build, finds nothing to do."""
    settings = postbuild.load_settings(REPO / "mkdocs.yml")
    for page in sorted(built_site.rglob("*.html")):
        html, where = page.read_text(), page.relative_to(built_site).as_posix()
        assert postbuild.process(html, where, settings) == html, where
