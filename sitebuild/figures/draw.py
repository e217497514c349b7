"""Execute one diagram script and turn what it draws into DOT source with stable ids.

A script defines TITLE, ALT, CAPTION and DESCRIPTION (strings), optionally DIRECTION and
GRAPH_ATTR, and a `draw()` that creates `diagrams` nodes, edges and clusters. The pipeline opens
the `diagrams.Diagram` itself, so the script never names a file, a format or a path.

`diagrams` gives every node a random uuid4 name, which makes two renders differ and leaves
meaningless hex as each node's SVG <title>. While a script draws, nodes without an explicit
`nodeid=` get one from their cluster path and label, and clusters get unique names (two clusters
with the same label would otherwise merge in Graphviz).
"""

from __future__ import annotations

import contextlib
import contextvars
import re
import traceback
import types
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

import diagrams

FONT = "Helvetica"  # one of Graphviz's built-in metrics (see layout.py)
REQUIRED = ("TITLE", "ALT", "CAPTION", "DESCRIPTION")
DIRECTIONS = ("TB", "BT", "LR", "RL")

# Pipeline defaults over the `diagrams` ones: 0.15 in of padding instead of 2 in, a white
# background (the figure reads the same on any page colour and in the zoomed view), plain splines
# (`diagrams` defaults to ortho, which cannot place edge labels).
GRAPH_DEFAULTS = {"pad": "0.15", "bgcolor": "white", "splines": "spline", "fontname": FONT}


class ScriptError(Exception):
    """A script that cannot be drawn; `line` is the line in the script to look at."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


@dataclass(frozen=True)
class Meta:
    title: str
    alt: str
    caption: str
    description: str


@dataclass
class Drawing:
    meta: Meta
    dot: str  # DOT source, ready for Graphviz
    draw_line: int  # where draw() starts: the line to blame for a layout failure
    # Graphviz node or cluster name -> the words a reader sees (the SVG <title> of that element)
    titles: dict[str, str] = field(default_factory=dict)
    nodes: int = 0


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower())[:48].strip("-")


def _words(label: str) -> str:
    """The text a reader sees in a label; an HTML-like label (`<...>`) loses its markup."""
    if label.startswith("<") and label.endswith(">"):
        label = re.sub(r"<[^>]*>", " ", label[1:-1])
    return " ".join(label.split())


def _cluster_path() -> list[str]:
    labels, cluster = [], diagrams.getcluster()
    while cluster is not None:
        labels.append(cluster.label)
        cluster = cluster._parent
    return labels[::-1]


@contextlib.contextmanager
def _stable_names(drawing: Drawing) -> Iterator[None]:
    """Patch `diagrams` for the duration of one draw(): stable names, our font, titles recorded."""
    used: set[str] = set()

    def unique(base: str) -> str:
        name, n = base, 1
        while name in used:
            n += 1
            name = f"{base}-{n}"
        used.add(name)
        return name

    node_init, cluster_init = diagrams.Node.__init__, diagrams.Cluster.__init__

    def init_node(self: diagrams.Node, label: str = "", *, nodeid: str | None = None, **attrs: Any):
        path = [*_cluster_path(), _words(label)]
        nodeid = unique(nodeid or _slug(" ".join(path)) or "node")
        drawing.titles[nodeid] = _words(label)
        drawing.nodes += 1
        node_init(self, label, nodeid=nodeid, **attrs)

    def init_cluster(self: diagrams.Cluster, label: str = "cluster", *args: Any, **kwargs: Any):
        path = [*_cluster_path(), label]
        cluster_init(self, label, *args, **kwargs)
        self.name = self.dot.name = unique("cluster_" + _slug(" ".join(path)))
        drawing.titles[self.name] = _words(label)

    with (
        mock.patch.object(diagrams.Node, "__init__", init_node),
        mock.patch.object(diagrams.Cluster, "__init__", init_cluster),
        mock.patch.dict(diagrams.Cluster._default_graph_attrs, fontname=FONT, fontsize="13"),
        mock.patch.dict(diagrams.Edge._default_edge_attrs, fontname=FONT),
    ):
        yield


def _blame(path: Path, error: BaseException) -> int:
    """The deepest line of `path` in the traceback: where the script went wrong."""
    lines = [f.lineno for f in traceback.extract_tb(error.__traceback__) if f.filename == str(path)]
    return (lines[-1] or 1) if lines else 1


def _execute(path: Path, source: bytes) -> dict[str, Any]:
    try:
        code = compile(source, str(path), "exec")
    except SyntaxError as e:
        raise ScriptError(e.lineno or 1, f"SyntaxError: {e.msg}") from None
    module = types.ModuleType(f"figure_{path.stem}")
    module.__file__ = str(path)
    try:
        exec(code, module.__dict__)
    except Exception as e:
        raise ScriptError(_blame(path, e), f"{type(e).__name__}: {e}") from e
    return module.__dict__


def _meta(namespace: dict[str, Any]) -> Meta:
    values = {}
    for key in REQUIRED:
        value = namespace.get(key)
        if not isinstance(value, str) or not value.strip():
            raise ScriptError(1, f"{key} is missing: define {key} = '...' (a non-empty string)")
        values[key.lower()] = " ".join(value.split())
    return Meta(**values)


def draw(path: Path, source: bytes) -> Drawing:
    """Run the script `source` (the bytes of `path`) and return what it drew as DOT."""
    namespace = _execute(path, source)
    meta = _meta(namespace)
    draw_fn = namespace.get("draw")
    if not callable(draw_fn):
        raise ScriptError(1, "no draw() function: define def draw() -> None: ... using diagrams")
    draw_line = getattr(getattr(draw_fn, "__code__", None), "co_firstlineno", 1)
    direction = namespace.get("DIRECTION", "TB")
    if direction not in DIRECTIONS:
        raise ScriptError(1, f"DIRECTION must be one of {', '.join(DIRECTIONS)}, not {direction!r}")
    drawing = Drawing(meta=meta, dot="", draw_line=draw_line)

    def run() -> diagrams.Diagram:
        # A fresh context: a script that fails inside a Cluster cannot leak it into the next one.
        with _stable_names(drawing):
            diagram = diagrams.Diagram(
                name="",
                direction=direction,
                outformat="svg",
                show=False,
                graph_attr={**GRAPH_DEFAULTS, **namespace.get("GRAPH_ATTR", {})},
                # Icons at the top of their node, so a two-line label below never overlaps them.
                node_attr={"fontname": FONT, "imagepos": "tc"},
                edge_attr={"fontname": FONT},
            )
            diagrams.setdiagram(diagram)
            draw_fn()
            return diagram

    try:
        diagram = contextvars.copy_context().run(run)
    except Exception as e:
        raise ScriptError(_blame(path, e), f"{type(e).__name__}: {e}") from e
    if drawing.nodes == 0:
        raise ScriptError(
            draw_line,
            "draw() drew nothing: create diagrams nodes inside draw(), without opening a "
            "Diagram of its own (the pipeline opens it)",
        )
    drawing.dot = diagram.dot.source
    return drawing
