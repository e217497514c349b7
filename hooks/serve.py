"""MkDocs hook: `mkdocs serve` shows an edit sooner. Built files are the same either way
(tests/site/test_serve_hook.py compares a rebuild's pages with `mkdocs build`'s).

- A faster watcher: on_serve returns a server made with the same public constructor and
  `polling_interval=0.1` (MkDocs polls every 0.5 s), watching what `mkdocs serve` watched before
  the event (the `watch:` list is added after it); polling costs well under 1 % of a core.
- A shorter `build_delay` (a public attribute): with a polling watcher every change of one poll
  arrives at once, so waiting for more only delays the rebuild.
- Compiled templates kept between rebuilds, in Jinja's public bytecode cache (keyed by the
  template's source, so an edited override is compiled again): each rebuild loads the config and
  so the theme's Jinja environment anew.
- The search index built once, by the first build, and kept: indexing every page is a large part
  of a rebuild. Each rebuild marks every page with Material's front matter switch
  `search: {exclude: true}`, so the plugin stays on (its search box and its clean-up of
  `data-search-*` attributes are in every page, as in a build) but indexes nothing, and the first
  index is written back. Search under `make serve` finds what the site held at start-up; restart
  it to index new pages. `mkdocs build` is never affected.
- Each code block's highlighting kept for the life of the process (sitebuild/pages/
  highlight_cache.py in place of pymdownx.highlight, configured the same): Pygments is a large
  part of a rebuild, and the blocks of pages an author did not touch come out the same.

What this leans on in MkDocs' and pymdownx's internals is listed in sitebuild/pages/theme.py.
"""

from __future__ import annotations

from pathlib import Path

import jinja2
from jinja2.bccache import Bucket
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.livereload import LiveReloadServer
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page

from sitebuild.pages.highlight_cache import CachedHighlightExtension

POLLING_INTERVAL = 0.1  # seconds; MkDocs' default is 0.5
BUILD_DELAY = 0.02  # seconds; MkDocs' default is 0.1
HIGHLIGHT = "pymdownx.highlight"
INDEX = Path("search", "search_index.json")  # where the plugin writes it, under site_dir

# A hook module is loaded once per process, so these outlive every rebuild of `serve`.
serving = False
kept_index: bytes | None = None


class MemoryBytecodeCache(jinja2.BytecodeCache):
    """Compiled templates by key and source checksum, for the life of the process."""

    def __init__(self) -> None:
        self.code: dict[str, tuple[str, bytes]] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        checksum, code = self.code.get(bucket.key, ("", b""))
        if checksum == bucket.checksum:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.code[bucket.key] = (bucket.checksum, bucket.bytecode_to_string())


# A hook module is loaded once per process, so this outlives a rebuild.
CACHE = MemoryBytecodeCache()


def on_startup(command: str, dirty: bool) -> None:
    global serving
    serving = command == "serve"


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    extensions = config.markdown_extensions
    if serving and HIGHLIGHT in extensions:
        # Markdown takes an extension object in place of a name; its settings stay the same.
        settings = config.mdx_configs.get(HIGHLIGHT, {})
        extensions[extensions.index(HIGHLIGHT)] = CachedHighlightExtension(**settings)
    return config


def on_page_content(html: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    """Before the search plugin's on_page_context, which skips a page marked so."""
    if serving and kept_index is not None:
        page.meta["search"] = {**(page.meta.get("search") or {}), "exclude": True}
    return html


def on_post_build(config: MkDocsConfig) -> None:
    """After the search plugin's own on_post_build (hooks come after plugins)."""
    global kept_index
    if not serving:
        return
    index = Path(config.site_dir) / INDEX
    if kept_index is None:
        kept_index = index.read_bytes() if index.exists() else None
    else:
        index.parent.mkdir(parents=True, exist_ok=True)
        index.write_bytes(kept_index)


def on_env(env: jinja2.Environment, config: MkDocsConfig, files: Files) -> jinja2.Environment:
    env.bytecode_cache = CACHE
    return env


def on_serve(server: LiveReloadServer, config: MkDocsConfig, builder: object) -> LiveReloadServer:
    faster = LiveReloadServer(
        builder=server.builder,
        host=config.dev_addr.host,
        port=config.dev_addr.port,
        root=server.root,
        mount_path=server.mount_path,
        polling_interval=POLLING_INTERVAL,
    )
    faster.error_handler = server.error_handler
    faster.build_delay = BUILD_DELAY
    faster.watch(config.docs_dir)
    if config.config_file_path:
        faster.watch(config.config_file_path)
    return faster
