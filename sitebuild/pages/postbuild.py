"""What the build does to each finished HTML page, whichever builder made it.

    python -m sitebuild.pages.postbuild SITE_DIR [--config mkdocs.yml]

processes every page of a built site in place (a Zensical build, which runs no hooks);
hooks/postbuild.py calls `process` on each page of a MkDocs build. Each step, in order:

0. figure sources: each mark the `[[figure NAME]]` extension left becomes that figure's collapsed
   Source block (sitebuild/figures/source.py), highlighted as the page's own code blocks are.
1. zoom: mkdocs-glightbox's script and stylesheet leave the <head> and its start-up call becomes
   docs/javascripts/zoom.js, which loads them when the reader reaches for a figure: they were in
   flight beside the figure, often the page's largest paint. Its settings travel as data
   attributes. (Zensical has GLightbox in its own bundle: nothing to rewrite there.)
2. deferral, in the <article> only (sitebuild/pages/deferred.py): a closed <details> keeps its
   content in a <template>, a long listing shows plain text until the page is idle.
3. inline CSS: a stylesheet in the <head> that is one of ours (a file in docs/: extra_css, or a
   page's own, front matter `stylesheets:`, which overrides/main.html links there) and at most
   INLINE_UP_TO bytes becomes a <style>: every stylesheet there holds the first paint, and on a
   phone each is a request.
4. valid HTML: the empty tabindex Material writes on expanded navigation labels goes (it must be
   an integer; browsers read an empty one as none, so readers get the same page).

Every step leaves its own output alone, so a page processed twice is the page processed once.
The markup of the theme and plugin it matches is in sitebuild/pages/theme.py.
"""

from __future__ import annotations

import argparse
import dataclasses
import html
import json
import posixpath
import sys
from collections.abc import Iterable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from sitebuild.figures.source import fill_sources
from sitebuild.pages import theme
from sitebuild.pages.deferred import deferred

INLINE_UP_TO = 4096  # bytes of CSS; a larger file is worth its own request, cached
ZOOM_SCRIPT = "javascripts/zoom.js"  # in docs/, so in the built site
LOADER_START = '<script id="init-glightbox" type="module" src='


class PostBuildError(Exception):
    """A page or the configuration cannot be processed; the message says where and what to do."""


@dataclasses.dataclass(frozen=True)
class Settings:
    """What the pass needs from mkdocs.yml."""

    docs_dir: Path
    root: Path  # the project: diagrams/ is there
    features: tuple[str, ...] = ()
    highlight: dict[str, Any] = dataclasses.field(default_factory=dict)  # pymdownx.highlight's
    extra_css: tuple[str, ...] = ()
    site_path: str = "/"  # where the site is served: "/explainer/" for .../explainer/

    @property
    def copy_buttons(self) -> bool:
        return "content.code.copy" in self.features

    def __post_init__(self) -> None:
        for path in self.extra_css:
            if not (self.docs_dir / path).is_file():
                raise PostBuildError(
                    f"mkdocs.yml: extra_css lists {path}, which is not in {self.docs_dir}; "
                    "fix the path or remove the entry."
                )


class _ConfigLoader(yaml.SafeLoader):
    """YAML as in mkdocs.yml: MkDocs' own tags (`!!python/name:...`, `!ENV`, `!relative`) are
    read as plain values, never run, so no builder is needed to read the file."""


def _tag_as_value(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return suffix or loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_mapping(node)  # type: ignore[arg-type]


_ConfigLoader.add_multi_constructor("tag:yaml.org,2002:python/", _tag_as_value)
_ConfigLoader.add_multi_constructor("!", _tag_as_value)


def load_settings(config_file: Path) -> Settings:
    """The pass's settings from `config_file` (mkdocs.yml), read without MkDocs."""
    try:
        config = yaml.load(config_file.read_text(), Loader=_ConfigLoader) or {}
    except (OSError, yaml.YAMLError) as e:
        raise PostBuildError(f"{config_file}: cannot read it: {e}") from None
    theme_config = config.get("theme") or {}
    features = theme_config.get("features") if isinstance(theme_config, dict) else None
    highlight: dict[str, Any] = {}
    for entry in config.get("markdown_extensions") or ():
        if isinstance(entry, dict) and "pymdownx.highlight" in entry:
            highlight = dict(entry["pymdownx.highlight"] or {})
    return Settings(
        docs_dir=(config_file.parent / config.get("docs_dir", "docs")).resolve(),
        root=config_file.parent.resolve(),
        features=tuple(features or ()),
        highlight=highlight,
        extra_css=tuple(str(path) for path in config.get("extra_css") or ()),
        site_path=urlsplit(config.get("site_url") or "/").path or "/",
    )


def _relative(target: str, path_in_site: str) -> str:
    """`target` (a path in the site) as a URL relative to the page at `path_in_site`."""
    return posixpath.relpath(target, posixpath.dirname(path_in_site) or ".")


def lazy_zoom(page: str, path_in_site: str) -> str:
    """mkdocs-glightbox's assets and start-up call replaced by the zoom loader (module above)."""
    if theme.GLIGHTBOX_MARK not in page or LOADER_START in page:
        return page  # no zoom on this page, or the loader already
    head, init = theme.GLIGHTBOX_HEAD.search(page), theme.GLIGHTBOX_INIT.search(page)
    if head is None or init is None:
        raise PostBuildError(
            f"{path_in_site}: mkdocs-glightbox no longer writes the <link>, <script> and start-up "
            "script that sitebuild/pages/theme.py (GLIGHTBOX_*) expects; update them to match."
        )
    loader = (
        f'{LOADER_START}"{_relative(ZOOM_SCRIPT, path_in_site)}" data-options="'
        f'{html.escape(init["options"])}" data-css="{head["css"]}" data-js="{head["js"]}"></script>'
    )
    json.loads(init["options"])  # the plugin's options: JSON, or the pattern matched too little
    page = page[: init.start()] + loader + page[init.end() :]
    return page[: head.start()] + page[head.end() :]


def deferred_article(page: str, settings: Settings) -> str:
    """deferred() over the page's <article> only: nothing outside it is the page's content."""
    article = theme.ARTICLE.search(page)
    if article is None:
        return page
    content = deferred(article["content"], copy_buttons=settings.copy_buttons)
    return page[: article.start("content")] + content + page[article.end("content") :]


class _StylesheetLinks(HTMLParser):
    """Each <link rel="stylesheet"> in the <head>: its href and its exact start-tag text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if tag == "link" and names.get("rel") == "stylesheet" and names.get("href"):
            self.links.append((str(names["href"]), self.get_starttag_text() or ""))


def _small_css(file: Path) -> str | None:
    """The CSS in `file` if small enough to inline, else None."""
    css = file.read_text()
    if len(css.encode()) > INLINE_UP_TO:
        return None
    if "</style" in css.lower():
        raise PostBuildError(f"{file}: a stylesheet cannot contain '</style'")
    return css.strip()


def _in_docs(href: str, path_in_site: str, settings: Settings) -> Path | None:
    """The file in docs/ that `href` on the page at `path_in_site` names, if it names one."""
    url = urlsplit(href)
    if url.scheme or url.netloc:
        return None
    if url.path.startswith("/"):
        if not url.path.startswith(settings.site_path):
            return None
        path = url.path[len(settings.site_path) :]
    else:
        path = posixpath.join(posixpath.dirname(path_in_site), url.path)
    path = posixpath.normpath(path)
    file = settings.docs_dir / path
    return file if not path.startswith("../") and file.is_file() else None


def inline_css(page: str, path_in_site: str, settings: Settings) -> str:
    """Each small stylesheet of ours linked in the <head> written in as a <style>."""
    head_end = page.find("</head>")
    if head_end < 0:
        return page
    parser = _StylesheetLinks()
    parser.feed(page[:head_end])
    head = page[:head_end]
    for href, tag in parser.links:
        file = _in_docs(href, path_in_site, settings)
        css = _small_css(file) if file else None
        if css is not None:
            head = head.replace(tag, f"<style>{css}</style>", 1)
    return head + page[head_end:]


PAGE_ASSETS = ("stylesheets", "scripts")  # front matter keys that overrides/main.html links


def check_page_assets(meta: dict[str, Any], where: str, settings: Settings) -> None:
    """A page's front matter `stylesheets:` and `scripts:` (what overrides/main.html links) name
    files in docs/; `where` is the page's source, for the message."""
    for key in PAGE_ASSETS:
        listed = meta.get(key, [])
        if not isinstance(listed, list) or not all(isinstance(path, str) for path in listed):
            raise PostBuildError(f"{where}: front matter `{key}` must be a list of paths in docs/")
        for path in listed:
            if not (settings.docs_dir / path).is_file():
                raise PostBuildError(
                    f"{where}: front matter `{key}` lists {path}, which is not in "
                    f"{settings.docs_dir}; fix the path (relative to docs/) or remove it."
                )


def without_empty_tabindex(page: str) -> str:
    return theme.NAV_LABEL_EMPTY_TABINDEX.sub(r"\1\2", page)


def process(page: str, path_in_site: str, settings: Settings) -> str:
    """The page at `path_in_site` (e.g. "labs/index.html") after every step of the pass."""
    page = fill_sources(page, settings.root, settings.highlight, settings.copy_buttons)
    page = lazy_zoom(page, path_in_site)
    page = deferred_article(page, settings)
    page = inline_css(page, path_in_site, settings)
    return without_empty_tabindex(page)


def process_site(site_dir: Path, settings: Settings) -> Iterable[Path]:
    """Every HTML page under `site_dir` processed in place; yields those that changed."""
    for file in sorted(site_dir.rglob("*.html")):
        before = file.read_text()
        after = process(before, file.relative_to(site_dir).as_posix(), settings)
        if after != before:
            file.write_text(after)
            yield file


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sitebuild.pages.postbuild",
        description="Process every HTML page of a built site in place (figure sources, zoom on "
        "first use, deferred <details> and listings, small stylesheets inline, valid navigation "
        "labels).",
    )
    parser.add_argument("site_dir", type=Path, help="the built site, e.g. site/")
    parser.add_argument("--config", type=Path, default=Path("mkdocs.yml"), help="mkdocs.yml")
    args = parser.parse_args(argv)
    if not args.site_dir.is_dir():
        parser.error(f"{args.site_dir} is not a directory: build the site first")
    try:
        settings = load_settings(args.config)
        changed = list(process_site(args.site_dir, settings))
    except PostBuildError as e:
        print(f"postbuild: {e}", file=sys.stderr)
        return 1
    print(f"postbuild: {len(changed)} pages of {args.site_dir} changed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
