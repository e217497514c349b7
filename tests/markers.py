"""What a test needs beyond Python, as pytest markers, and the rules that hold every test to them.

Markers (registered in pyproject.toml; `make test-fast` leaves out all four, `make test` runs all):

- `root`: runs a lab that needs root, or a namespace, mount or privilege tool (unshare, setpriv...).
- `vm`: boots a VM under QEMU, itself or through a lab that does.
- `browser`: drives Chromium.
- `slow`: builds the whole site (`mkdocs build` or `mkdocs serve`, or Zensical's build).

tests/conftest.py applies the rules while each test runs: a test that starts one of these programs
or uses one of these fixtures without the marker fails, naming the marker to add. The rules look
at what a test really starts (every `subprocess.Popen`, through Python's audit hook), so a new
test cannot forget its marker and still pass. What a command line does not show (labkit running
a lab as nobody, which takes root) is declared where it happens, with `hold`.
"""

from __future__ import annotations

import ast
import functools
import shlex
from collections.abc import Iterable, Sequence
from os import PathLike, fspath
from pathlib import PurePath

import pytest

from sitebuild.project import REPO

MARKERS = ("root", "vm", "browser", "slow")
# A fixture that starts one of these: using it (even through another fixture) needs the marker.
FIXTURES = {
    "browser": ("browser", "uses the `browser` fixture (Chromium)"),
    "built_site": ("slow", "uses the `built_site` fixture (a strict build of the whole site)"),
    "zensical_site": ("slow", "uses the `zensical_site` fixture (a Zensical build of the site)"),
}
# Programs that act on namespaces, mounts or privileges: they need root.
ROOT_PROGRAMS = frozenset({"unshare", "nsenter", "setpriv", "mount", "umount", "chroot"})
BROWSERS = frozenset({"chromium", "chromium-browser", "chrome", "google-chrome"})


def _words(args: str | bytes | PathLike[str] | Sequence[object]) -> list[str]:
    """A command's words, whether given as a list (the usual way) or as one shell string."""
    if isinstance(args, str | bytes):
        text = args.decode() if isinstance(args, bytes) else args
        try:
            return shlex.split(text)
        except ValueError:  # unbalanced quotes: split on spaces, enough to see the program
            return text.split()
    if isinstance(args, PathLike):
        return [fspath(args)]
    return [fspath(a) if isinstance(a, PathLike) else str(a) for a in args]


@functools.cache
def lab_needs(name: str) -> dict[str, str]:
    """What running scripts/NAME.py needs: root if it checks for it (every lab that needs root
    carries `privileged`, tests/scripts/test_lab_contract.py holds them to that), a VM if it
    starts QEMU."""
    source = (REPO / "scripts" / f"{name}.py").read_text(encoding="utf-8")
    functions = {n.name for n in ast.parse(source).body if isinstance(n, ast.FunctionDef)}
    needs = {}
    if "privileged" in functions:
        needs["root"] = f"runs scripts/{name}.py, which needs root"
    if "qemu-system-" in source:
        needs["vm"] = f"runs scripts/{name}.py, which boots a VM under QEMU"
    return needs


def lab_marks(name: str) -> list[pytest.MarkDecorator]:
    """The markers a test that runs scripts/NAME.py carries (for pytest.param(..., marks=))."""
    return [getattr(pytest.mark, marker) for marker in lab_needs(name)]


def command_needs(args: str | bytes | PathLike[str] | Sequence[object]) -> dict[str, str]:
    """The markers a test starting this command needs, each with why ({} for most commands)."""
    words = _words(args)
    if not words:
        return {}
    program = PurePath(words[0]).name
    needs: dict[str, str] = {}
    if program.startswith("qemu-system-"):
        needs["vm"] = f"starts {program}"
    if program in BROWSERS:
        needs["browser"] = f"starts {program}"
    if program in ROOT_PROGRAMS or (program == "ip" and "netns" in words):
        needs["root"] = f"starts {program}"
    runs_mkdocs = any(PurePath(w).name == "mkdocs" for w in words)
    if runs_mkdocs and ({"build", "serve"} & set(words)):
        needs["slow"] = "runs a whole-site `mkdocs build` or `mkdocs serve`"
    runs_zensical = any(PurePath(w).name == "zensical" for w in words)
    if (runs_zensical and ({"build", "serve"} & set(words))) or "sitebuild.zensical.build" in words:
        needs["slow"] = "runs a whole-site Zensical build"
    for word in words:
        path = PurePath(word)
        lab = path.suffix == ".py" and path.parent.name == "scripts"
        if lab and (REPO / "scripts" / path.name).is_file():
            needs = {**lab_needs(path.stem), **needs}
    return needs


def fixture_needs(fixturenames: Iterable[str]) -> dict[str, str]:
    """The markers a test using these fixtures (directly or not) needs, each with why."""
    return dict(FIXTURES[name] for name in fixturenames if name in FIXTURES)


def missing(needs: dict[str, str], marked: Iterable[str]) -> str:
    """One line per marker needed and not given, saying why and what to add ("" when none)."""
    have = set(marked)
    return "\n".join(
        f"needs @pytest.mark.{marker}: it {why} (tests/markers.py says which tests need it)"
        for marker, why in needs.items()
        if marker not in have
    )


class MissingMarker(Exception):
    """A test did something its markers do not declare."""


running: pytest.Item | None = None  # the test in setup, call or teardown (tests/conftest.py)
BROKEN = pytest.StashKey[list[str]]()  # on a test: what it did without its marker


def hold(needs: dict[str, str]) -> None:
    """Fail the running test, if any, unless it carries every marker of `needs` (marker: why).

    Raises at once, so the test stops before it starts what it did not declare; the problem is
    also kept on the test, which fails even if it caught the error."""
    item = running
    if item is None or not needs:
        return
    problem = missing(needs, (m.name for m in item.iter_markers()))
    if problem:
        item.stash.setdefault(BROKEN, []).append(problem)
        raise MissingMarker(f"{item.nodeid} {problem}")
