"""Fixtures (a browser, a strict build of the real site, a scratch project copy) and hooks (the
summary line). Only pytest imports this file: what test modules share is in tests/support.py,
what they share with the benchmark and the link checker in sitebuild/project.py."""

from __future__ import annotations

from collections.abc import Generator, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from sitebuild.project import CHROMIUM, CHROMIUM_ARGS, REPO, build, copy_project
from tests.support import SUMMARY_KEYS, counts


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
    summary = counts()
    if summary:
        reporter.write_sep("=", "site checks")
        reporter.write_line(
            " | ".join(f"{key}: {summary[key]}" for key in SUMMARY_KEYS if key in summary)
        )
    # Every count must come from a check that ran; a silent gap would read as "all fine".
    missing = [key for key in SUMMARY_KEYS if key not in summary]
    if missing and session.exitstatus == pytest.ExitCode.OK and _whole_suite(session.config):
        reporter.write_line(
            f"no count for: {', '.join(missing)} (the check reporting it did not run)", red=True
        )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    return result
