"""Run Graphviz `dot` so its output depends on the input and the Graphviz version only.

Graphviz measures text through its pango plugin, that is through whatever fonts the machine has,
so the same graph lays out differently on two machines. Here `dot` sees only its core and dot-layout
plugins (a private plugin directory, GVBINDIR) and falls back to its built-in font metrics:
the same bytes everywhere. The figures use Helvetica, one of the fonts those metrics describe.
"""

from __future__ import annotations

import atexit
import functools
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

DOT = "dot"
# The plugins a deterministic SVG needs: the svg renderer (core) and the dot layout.
_PLUGINS = ("libgvplugin_core", "libgvplugin_dot_layout")


class GraphvizError(Exception):
    """`dot` is missing, failed, or complained about the graph."""


@dataclass(frozen=True)
class Graphviz:
    version: str  # e.g. "dot - graphviz version 2.43.0 (0)"; part of every cache key
    env: dict[str, str]  # the environment `dot` runs in
    metrics: str  # "builtin" (hermetic) or "system" (fonts of this machine)


@functools.cache
def graphviz() -> Graphviz:
    """Look up Graphviz once per process: its version and a hermetic plugin directory."""
    try:
        probe = subprocess.run(
            [DOT, "-v", "-Tcanon"], input="graph{}", capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError) as e:
        raise GraphvizError(
            f"cannot run {DOT!r} ({e}); install Graphviz (apt install graphviz)"
        ) from e
    version = probe.stderr.splitlines()[0].strip()
    libdir = re.search(r'^libdir = "(.*)"$', probe.stderr, re.MULTILINE)
    env = dict(os.environ)
    env.pop("GVBINDIR", None)
    libraries = (
        [lib for name in _PLUGINS for lib in sorted(Path(libdir[1]).glob(name + "*"))]
        if libdir
        else []
    )
    if not all(any(lib.name.startswith(name) for lib in libraries) for name in _PLUGINS):
        # An unusual Graphviz build: still render, with the machine's fonts, and say so in the
        # cache key so such output never mixes with the hermetic kind.
        return Graphviz(version, env, "system")
    plugin_dir = tempfile.mkdtemp(prefix="figures-graphviz-")
    atexit.register(shutil.rmtree, plugin_dir, ignore_errors=True)
    for lib in libraries:
        os.symlink(lib, os.path.join(plugin_dir, lib.name))
    env["GVBINDIR"] = plugin_dir
    # `dot -c` writes the plugin configuration for exactly the libraries linked above.
    subprocess.run([DOT, "-c"], env=env, check=True, capture_output=True)
    return Graphviz(version, env, "builtin")


def render_svg(source: str, cwd: Path) -> bytes:
    """Lay out a DOT graph and return its SVG. Any Graphviz warning is an error: it means a
    figure that does not look the way its script says."""
    gv = graphviz()
    result = subprocess.run(
        [DOT, "-Tsvg"], input=source.encode(), capture_output=True, env=gv.env, cwd=cwd
    )
    messages = result.stderr.decode(errors="replace").strip()
    if result.returncode != 0 or messages:
        raise GraphvizError(f"Graphviz: {messages or f'exit status {result.returncode}'}")
    return result.stdout
