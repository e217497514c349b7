"""The site's lock holds what building needs; the test lock adds the checks, and nothing else.

A build for publishing installs requirements.lock alone, so a test tool there would ship with
every build; and the two locks must agree on every package they share, or `make setup-test`
would replace the site's packages with other versions.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def pins(lock: str) -> dict[str, str]:
    text = (REPO / lock).read_text(encoding="utf-8")
    return dict(re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", text, flags=re.MULTILINE))


def names(requirements: list[str]) -> set[str]:
    return {re.split(r"[<>=!~\[; ]", r, maxsplit=1)[0].lower() for r in requirements}


def test_the_site_lock_holds_no_test_tool() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    test_tools = names(project["dependency-groups"]["test"])
    site = pins("requirements.lock")
    assert names(project["project"]["dependencies"]) <= site.keys()
    assert not test_tools & site.keys(), (
        f"test tools in requirements.lock: {test_tools & site.keys()}"
    )


def test_the_test_lock_adds_to_the_site_lock_and_changes_nothing() -> None:
    site, test = pins("requirements.lock"), pins("requirements-test.lock")
    changed = {name: (v, test.get(name)) for name, v in site.items() if test.get(name) != v}
    assert not changed, f"run `make lock`: the locks disagree (site, test): {changed}"


def test_the_zensical_lock_adds_zensical_and_changes_nothing() -> None:
    # It installs into the same venv (make setup-test): a shared package at another version would
    # change what MkDocs or the tests run with.
    test, zensical = pins("requirements-test.lock"), pins("requirements-zensical.lock")
    changed = {n: (test[n], v) for n, v in zensical.items() if n in test and test[n] != v}
    assert not changed, f"run `make lock`: the locks disagree (test, zensical): {changed}"
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert names(project["dependency-groups"]["zensical"]) <= zensical.keys()
    assert not names(project["dependency-groups"]["zensical"]) & pins("requirements.lock").keys()
