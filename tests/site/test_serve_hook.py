"""hooks/serve.py: `mkdocs serve` polls for edits every 0.1 s, an edited template is compiled
again even though compiled templates are kept between rebuilds, and the search index is built
once per `serve`. (That the open page reloads
after an edit is tests/site/test_serve.py's job, through `make serve` itself.)"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path
from types import ModuleType

import jinja2
from mkdocs.config import load_config
from mkdocs.livereload import LiveReloadServer

from sitebuild.project import REPO, SITE_PATH, config


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
    site = tmp_path / "site"
    index = site / "search" / "search_index.json"

    def build(written_by_search: bytes | None) -> bool:
        """One build as MkDocs runs the events; True when the search plugin was left on."""
        site_config = load_config(str(REPO / "mkdocs.yml"), site_dir=str(site))
        hook.on_config(site_config)
        enabled = site_config.plugins["material/search"].config.enabled
        shutil.rmtree(site, ignore_errors=True)  # MkDocs cleans the site before each build
        if enabled and written_by_search is not None:
            index.parent.mkdir(parents=True)
            index.write_bytes(written_by_search)
        hook.on_post_build(site_config)
        return enabled

    hook.on_startup(command="build", dirty=False)
    assert build(b"built") and build(b"built")  # `mkdocs build` always indexes
    hook.on_startup(command="serve", dirty=False)
    assert build(b"first")  # serve's first build indexes the site ...
    assert not build(None)  # ... and a rebuild does not, yet still serves that index
    assert index.read_bytes() == b"first"
