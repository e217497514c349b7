"""MkDocs hook: each finished page goes through the post-build pass, sitebuild/pages/postbuild.py
(figure sources, zoom on first use, deferred <details> and listings, small stylesheets inline,
valid navigation labels), which also runs alone over a site another builder made."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page

from sitebuild.pages import postbuild

settings: postbuild.Settings | None = None


def on_config(config: MkDocsConfig) -> None:
    """What MkDocs already read, as the pass's settings (`mkdocs serve` reads it per rebuild)."""
    global settings
    try:
        settings = postbuild.Settings(
            docs_dir=Path(config.docs_dir),
            root=Path(config.config_file_path).resolve().parent,
            features=tuple(config.theme["features"]),
            highlight=dict(config.mdx_configs.get("pymdownx.highlight", {})),
            extra_css=tuple(str(path) for path in config.extra_css),
            site_path=urlsplit(config.site_url or "/").path or "/",
        )
    except postbuild.PostBuildError as e:
        raise PluginError(str(e)) from None


def _settings() -> postbuild.Settings:
    assert settings is not None, "on_config sets it"
    return settings


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    try:
        postbuild.check_page_assets(page.meta, f"docs/{page.file.src_uri}", _settings())
    except postbuild.PostBuildError as e:
        raise PluginError(str(e)) from None
    return markdown


def on_post_page(output: str, page: Page, config: MkDocsConfig) -> str:
    """After every plugin's on_post_page (hooks run after plugins): glightbox's markup is in."""
    try:
        return postbuild.process(output, page.file.dest_uri, _settings())
    except postbuild.PostBuildError as e:
        raise PluginError(str(e)) from None


def on_post_template(output_content: str, template_name: str, config: MkDocsConfig) -> str:
    """404.html is a theme template, not a page: the same pass."""
    if not template_name.endswith(".html"):
        return output_content
    try:
        return postbuild.process(output_content, template_name, _settings())
    except postbuild.PostBuildError as e:
        raise PluginError(str(e)) from None
