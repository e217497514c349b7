"""Shared fixtures: the repository, a strict build of the real site, a scratch project copy."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from collections.abc import Generator, Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml
from playwright.sync_api import Browser, sync_playwright

REPO = Path(__file__).resolve().parents[1]
MKDOCS = [sys.executable, "-m", "mkdocs"]


def _top_level_setting(key: str) -> str:
    """A plain top-level value of mkdocs.yml (the file's !!python tags stop a whole safe_load)."""
    lines = (REPO / "mkdocs.yml").read_text().splitlines()
    return yaml.safe_load("\n".join(line for line in lines if line.startswith(f"{key}:")))[key]


SITE_NAME = _top_level_setting("site_name")
SITE_PATH = urlparse(_top_level_setting("site_url")).path  # e.g. "/explainer/"

# The things a build reads. A scratch copy holds these, so a test can break one on purpose.
PROJECT_FILES = [
    "mkdocs.yml",
    "docs",
    "diagrams",
    "scripts",
    "sitebuild",
    "overrides",
    "includes",
    "hooks",
]


@functools.cache  # every build in a test run asks; the answer cannot change during the run
def last_commit_epoch() -> str:
    """Seconds since the epoch of the last commit: `make` exports it as SOURCE_DATE_EPOCH."""
    return subprocess.run(
        # safe.directory: `sudo make test` runs git as root in a checkout owned by someone else.
        ["git", "-C", str(REPO), "-c", f"safe.directory={REPO}", "log", "-1", "--format=%ct"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def mkdocs_env() -> dict[str, str]:
    """The environment `make` gives MkDocs: the two MkDocs 2 banners silenced, and dates taken
    from the last commit (SOURCE_DATE_EPOCH), not the clock, so builds are reproducible."""
    env = dict(os.environ)
    env.update(NO_MKDOCS_2_WARNING="1", DISABLE_MKDOCS_2_WARNING="true")
    env.setdefault("SOURCE_DATE_EPOCH", last_commit_epoch())
    return env


def build(project: Path, site_dir: Path) -> subprocess.CompletedProcess[str]:
    """`mkdocs build --strict` of `project` into `site_dir`; output kept for assertions."""
    return subprocess.run(
        [*MKDOCS, "build", "--strict", "--site-dir", str(site_dir)],
        cwd=project,
        env=mkdocs_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )


def copy_project(dest: Path) -> Path:
    """A copy of everything a build reads, in `dest`, to edit or break without touching the repo."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in PROJECT_FILES:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
        elif source.exists():
            shutil.copy2(source, dest / name)
    # The figure cache is keyed by content, so sharing it keeps copies fast and stays correct.
    if (REPO / ".cache").exists():
        (dest / ".cache").symlink_to(REPO / ".cache")
    return dest


CHROMIUM = "/usr/bin/chromium"  # Debian's; Playwright's own browser download does not work here
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the whole run; each test opens its own context.

    Playwright's sync API allows one instance per thread, so every test that drives a browser
    shares this one rather than starting its own.
    """
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real site, built once per test run with --strict; tests read it, never write it."""
    site = tmp_path_factory.mktemp("site")
    result = build(REPO, site)
    assert result.returncode == 0, f"strict build failed:\n{result.stdout}\n{result.stderr}"
    return site


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    """A scratch copy of the project for tests that edit or break it."""
    return copy_project(tmp_path / "project")


# One summary at the end of `make test`. Each check calls `report("internal links", n)` with
# what it examined; the counts print after pytest's own summary.
SUMMARY_KEYS = [
    "pages",
    "internal links",
    "external links",
    "snippets",
    "figures",
    "HTML errors",
    "accessibility violations",
    "browser checks",
]
_summary: dict[str, int] = {}


def report(check: str, count: int) -> None:
    """Record a count for the end-of-run summary (adds up when called more than once)."""
    assert check in SUMMARY_KEYS, f"unknown summary key {check!r}; use one of {SUMMARY_KEYS}"
    _summary[check] = _summary.get(check, 0) + count


def _whole_suite(config: pytest.Config) -> bool:
    """True for `make test`'s plain `pytest`: every test collected, none filtered out."""
    option = config.option
    return config.args_source == pytest.Config.ArgsSource.TESTPATHS and not (
        option.keyword or option.markexpr or option.deselect or getattr(option, "lf", False)
    )


# A wrapper that runs first finishes last: the summary prints after pytest's own result line,
# so it is the last thing `make test` prints (the Makefile lints before pytest).
@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_sessionfinish(session: pytest.Session) -> Generator[None, object, object]:
    result = yield
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None:
        return result
    if _summary:
        reporter.write_sep("=", "site checks")
        reporter.write_line(
            " | ".join(f"{key}: {_summary[key]}" for key in SUMMARY_KEYS if key in _summary)
        )
    # Every count must come from a check that ran; a silent gap would read as "all fine".
    missing = [key for key in SUMMARY_KEYS if key not in _summary]
    if missing and session.exitstatus == pytest.ExitCode.OK and _whole_suite(session.config):
        reporter.write_line(
            f"no count for: {', '.join(missing)} (the check reporting it did not run)", red=True
        )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    return result
