"""MkDocs hook: `mkdocs serve` shows an edit sooner. Built files are the same either way.

- MkDocs' development server looks for changed files by polling every 0.5 s, so an edit waits
  0.25 s on average before the rebuild starts. The `on_serve` event may return the server to use:
  this hook returns one made with the same public constructor and `polling_interval=0.1`, and
  watches what `mkdocs serve` watched before the event (the docs and the config file; the
  `watch:` list is added after the event). Polling a few hundred files ten times a second costs
  well under 1 % of a core.
- Every rebuild loads the config again, so the theme's Jinja environment, and every template
  compiled in it, is new each time. Jinja's public bytecode cache (keyed by the template's source,
  so an edited override is compiled again) keeps the compiled templates in memory between rebuilds:
  0.83 -> 0.69-0.75 s of CPU per rebuild, measured in one process, 4 rebuilds each way.
"""

from __future__ import annotations

import jinja2
from jinja2.bccache import Bucket
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.livereload import LiveReloadServer
from mkdocs.structure.files import Files

POLLING_INTERVAL = 0.1  # seconds; MkDocs' default is 0.5


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


CACHE = (
    MemoryBytecodeCache()
)  # a hook module is loaded once per process, so this outlives a rebuild


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
    faster.watch(config.docs_dir)
    if config.config_file_path:
        faster.watch(config.config_file_path)
    return faster
