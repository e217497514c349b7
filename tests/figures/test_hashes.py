"""diagrams/figures.sha256 holds each figure's hash: an unintended redraw fails here, by name."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from sitebuild import figures
from sitebuild.figures import hashes, layout
from sitebuild.project import REPO


def test_every_figure_is_the_bytes_its_hash_says() -> None:
    rendered = figures.render_all(REPO)  # the project's cache: its key covers all that matters
    problems = hashes.problems(hashes.listed(REPO), rendered)
    assert not problems, (
        f"{hashes.LIST} disagrees with the figures as rendered:\n  "
        + "\n  ".join(problems)
        + f"\nIf the change is meant (an edited script, kit or pipeline), look at each figure "
        f"(`make figure NAME=...`), then run `{hashes.UPDATE}` and commit the list. If nothing "
        f"of ours changed, the SVGs are the tools': Graphviz comes from Debian, not pinned "
        f"(here {layout.graphviz().version}), and `diagrams` from requirements.lock; a Debian "
        "update of graphviz may change a layout: check the figures, then update the list."
    )


def _figure(name: str, svg: str) -> figures.Figure:
    return figures.Figure(name, f"diagrams/{name}.py", "t", "a", "c", "d", 1, 1, svg)


def test_the_check_names_a_changed_an_unlisted_and_a_vanished_figure() -> None:
    kept, changed = _figure("kept", "<svg/>"), _figure("changed", "<svg/>")
    listed = {"kept": hashes.digest(kept), "changed": hashes.digest(changed), "gone": "0" * 64}
    redrawn = dataclasses.replace(changed, svg="<svg></svg>")
    assert hashes.problems(listed, [kept, redrawn, _figure("new", "<svg/>")]) == [
        "changed: its SVG is no longer the bytes listed",
        "gone.svg is listed, but no diagrams/ script draws it any more",
        "new: a figure that is not in the list",
    ]
    assert hashes.problems(listed | {"changed": hashes.digest(redrawn)}, [kept, redrawn]) == [
        "gone.svg is listed, but no diagrams/ script draws it any more"
    ]


def test_the_list_is_what_sha256sum_writes_and_reads_back(tmp_path: Path) -> None:
    one, two = _figure("b-figure", "<svg>b</svg>"), _figure("a-figure", "<svg>a</svg>")
    (tmp_path / "diagrams").mkdir()
    (tmp_path / hashes.LIST).write_text(hashes.text([one, two]))
    assert (tmp_path / hashes.LIST).read_text().splitlines()[0].endswith("  a-figure.svg")
    assert hashes.listed(tmp_path) == {
        "a-figure": hashes.digest(two),
        "b-figure": hashes.digest(one),
    }
    (tmp_path / hashes.LIST).write_text("not a hash line\n")
    with pytest.raises(ValueError, match=r"figures\.sha256:1: expected .*--update-hashes"):
        hashes.listed(tmp_path)
