"""hooks/serve.py: `mkdocs serve` polls for edits every 0.1 s, an edited template is compiled
again even though compiled templates are kept between rebuilds, and the search index is built
once per `serve`, and a code block is highlighted once per `serve` yet every page comes out as
`mkdocs build` writes it. (That the open page reloads
after an edit is tests/site/test_serve.py's job, through `make serve` itself.)"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType, SimpleNamespace
from unittest import mock

import jinja2
import markdown
import pymdownx.highlight
import pytest
from mkdocs.config import load_config
from mkdocs.livereload import LiveReloadServer

from sitebuild.pages import highlight_cache
from sitebuild.pages.highlight_cache import CachedHighlightExtension
from sitebuild.project import REPO, SITE_PATH, config, mkdocs_env


def serve_hook() -> ModuleType:
    spec = importlib.util.spec_from_file_location("serve_hook", REPO / "hooks" / "serve.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_serve_polls_every_tenth_of_a_second_and_builds_at_once(tmp_path: Path) -> None:
    hook = serve_hook()
    default = LiveReloadServer(
        builder=lambda: None, host="127.0.0.1", port=0, root=str(tmp_path), mount_path=SITE_PATH
    )
    faster = hook.on_serve(default, config=config(), builder=default.builder)
    assert default.observer.timeout == 0.5  # MkDocs' own, which the hook replaces
    assert faster.observer.timeout == hook.POLLING_INTERVAL == 0.1
    # The wait for more changes after one is seen: MkDocs' 0.1 s, which the hook shortens.
    assert default.build_delay == 0.1 and faster.build_delay == hook.BUILD_DELAY == 0.02
    assert (faster.root, faster.mount_path, faster.builder) == (
        default.root,
        default.mount_path,
        default.builder,
    )


def test_kept_templates_are_compiled_again_when_their_source_changes() -> None:
    hook = serve_hook()
    sources = {"page.html": "one {{ x }}"}

    def environment() -> jinja2.Environment:  # a rebuild makes a new environment each time
        env = jinja2.Environment(loader=jinja2.FunctionLoader(lambda name: sources[name]))
        return hook.on_env(env, config=None, files=None)

    assert environment().get_template("page.html").render(x=1) == "one 1"
    assert hook.CACHE.code, "the compiled template was not kept"
    sources["page.html"] = "two {{ x }}"
    assert environment().get_template("page.html").render(x=2) == "two 2"


def test_serve_indexes_search_once_and_keeps_that_index(tmp_path: Path) -> None:
    hook = serve_hook()
    site_config = load_config(str(REPO / "mkdocs.yml"), site_dir=str(tmp_path / "site"))
    index = tmp_path / "site" / "search" / "search_index.json"

    def build(written_by_search: bytes) -> dict[str, object]:
        """One build as MkDocs runs the events; a page's `search` meta as the plugin sees it."""
        page = SimpleNamespace(meta={"search": {"boost": 2}})
        hook.on_config(site_config)
        hook.on_page_content("<p>x</p>", page=page, config=site_config, files=None)
        index.parent.mkdir(parents=True, exist_ok=True)
        index.write_bytes(written_by_search)  # the search plugin's on_post_build
        hook.on_post_build(site_config)
        return page.meta["search"]

    hook.on_startup(command="build", dirty=False)
    assert build(b"built") == build(b"built") == {"boost": 2}  # `mkdocs build` always indexes
    assert index.read_bytes() == b"built"
    hook.on_startup(command="serve", dirty=False)
    assert build(b"first") == {"boost": 2}  # serve's first build indexes the site ...
    assert build(b"empty") == {"boost": 2, "exclude": True}  # ... a rebuild indexes no page,
    assert index.read_bytes() == b"first"  # ... yet still serves the first index


SAMPLE = """
```python title="lab.py" hl_lines="2" linenums="1"
import os
print(os.getpid())
```

Inline `#!python print(1)` and a shell block:

```bash
echo $$ > /sys/fs/cgroup/lab/cgroup.procs
```
"""


def markdown_html(extension: object, text: str) -> str:
    """`text` converted with the site's own Markdown extensions and settings, `extension` in
    place of pymdownx.highlight."""
    site = config()
    extensions = [
        extension if name == "pymdownx.highlight" else name for name in site.markdown_extensions
    ]
    return markdown.Markdown(extensions=extensions, extension_configs=site.mdx_configs).convert(
        text
    )


def test_serving_highlights_a_code_block_once_per_process_and_again_when_it_changes() -> None:
    settings = config().mdx_configs["pymdownx.highlight"]
    plain = markdown_html("pymdownx.highlight", SAMPLE)
    highlight_cache.kept.clear()
    with mock.patch.object(
        pymdownx.highlight, "highlight", wraps=pymdownx.highlight.highlight
    ) as pygments:
        first = markdown_html(CachedHighlightExtension(**settings), SAMPLE)
        assert pygments.call_count == 3  # two blocks and the inline code
        again = markdown_html(CachedHighlightExtension(**settings), SAMPLE)
        assert pygments.call_count == 4, (
            "a block unchanged since the last build was highlighted again"
        )
        edited = markdown_html(
            CachedHighlightExtension(**settings), SAMPLE.replace("getpid", "getppid")
        )
        assert pygments.call_count == 6  # the edited block and the inline code (never kept)
    assert first == again == plain
    assert "getppid" in edited and edited.replace("getppid", "getpid") != edited


def test_serve_swaps_in_the_cached_highlighter_only_while_serving() -> None:
    hook = serve_hook()
    site = config()

    def extensions_after_on_config(command: str) -> list[object]:
        hook.on_startup(command=command, dirty=False)
        fresh = load_config(str(REPO / "mkdocs.yml"))
        return hook.on_config(fresh).markdown_extensions

    assert extensions_after_on_config("build") == site.markdown_extensions
    served = extensions_after_on_config("serve")
    index = site.markdown_extensions.index("pymdownx.highlight")
    swapped = served[index]
    assert isinstance(swapped, CachedHighlightExtension)
    assert (
        swapped.getConfigs()["line_spans"] == site.mdx_configs["pymdownx.highlight"]["line_spans"]
    )
    assert served[:index] + served[index + 1 :] == [
        name for name in site.markdown_extensions if name != "pymdownx.highlight"
    ]


# Under `serve`: a first build fills the caches, the rebuild reads them. Output to compare, and
# how many sections Material's search plugin indexed each time (its own SearchIndex.entries).
SERVE_TWICE = """
import sys
from mkdocs.commands.build import build
from mkdocs.config import load_config
site_dir = sys.argv[1]
load_config("mkdocs.yml", site_dir=site_dir).plugins.on_startup(command="serve", dirty=False)
for _ in range(2):
    config = load_config("mkdocs.yml", site_dir=site_dir)
    build(config)
    print(len(config.plugins["material/search"].search_index.entries))
"""


@pytest.mark.slow
def test_a_rebuild_under_serve_writes_the_same_pages_as_mkdocs_build(
    built_site: Path, tmp_path: Path
) -> None:
    served = tmp_path / "served"
    result = subprocess.run(
        [sys.executable, "-c", SERVE_TWICE, str(served)],
        cwd=REPO,
        env=mkdocs_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    first, rebuild = map(int, result.stdout.split())
    assert first > 100 and rebuild == 0, "the rebuild indexed pages again"
    pages = sorted(path.relative_to(built_site) for path in built_site.rglob("*.html"))
    assert len(pages) > 20
    differing = [
        str(page)
        for page in pages
        if (served / page).read_bytes() != (built_site / page).read_bytes()
    ]
    assert not differing, f"a rebuild under serve changed {differing}"
    index = Path("search", "search_index.json")
    assert (served / index).read_bytes() == (built_site / index).read_bytes()
