"""diagrams/figures.sha256: the SHA-256 of each figure's SVG as the site publishes it, committed,
so a figure that changes without its script being meant to change (a pipeline edit, a new
`diagrams` or Graphviz) is noticed by a test (tests/figures/test_hashes.py) rather than by a
reader. One line per figure, as `sha256sum` writes them: `HASH  NAME.svg`.

`python -m sitebuild.figures --update-hashes` renders every figure and rewrites the list: run it
when a figure is meant to change, look at the figure (`make figure NAME=...`), commit both.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

from sitebuild import figures, files

LIST = "diagrams/figures.sha256"
UPDATE = "python -m sitebuild.figures --update-hashes"


def digest(figure: figures.Figure) -> str:
    """The hash of the bytes sitebuild/generate.py writes to figures/NAME.svg."""
    return hashlib.sha256(figure.svg.encode()).hexdigest()


def listed(root: Path) -> dict[str, str]:
    """NAME -> hash, as committed (empty if there is no list yet)."""
    path = root / LIST
    if not path.exists():
        return {}
    entries = {}
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        value, _, file = line.partition("  ")
        if not file.endswith(".svg") or len(value) != 64:
            raise ValueError(f"{LIST}:{number}: expected `SHA256  NAME.svg`; run `{UPDATE}`")
        entries[file.removesuffix(".svg")] = value
    return entries


def text(rendered: Iterable[figures.Figure]) -> str:
    return "".join(f"{digest(f)}  {f.name}.svg\n" for f in sorted(rendered, key=lambda f: f.name))


def problems(expected: dict[str, str], rendered: Iterable[figures.Figure]) -> list[str]:
    """What differs between the list and the figures as rendered, one sentence per figure."""
    found = {f.name: digest(f) for f in rendered}
    out = []
    for name in sorted(expected.keys() | found.keys()):
        if name not in found:
            out.append(f"{name}.svg is listed, but no diagrams/ script draws it any more")
        elif name not in expected:
            out.append(f"{name}: a figure that is not in the list")
        elif expected[name] != found[name]:
            out.append(f"{name}: its SVG is no longer the bytes listed")
    return out


def update(root: Path) -> Path:
    """Render every figure (cache first) and write the list."""
    path = root / LIST
    files.write_atomic(path, text(figures.render_all(root)).encode())
    return path
