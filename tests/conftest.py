"""Fixtures (a browser, a strict build of the real site, a scratch project copy) and hooks (each
test held to its markers, what a marker expression left out, the summary line). Only pytest imports
this file: what test modules share is in tests/support.py, what they share with the benchmark and
the link checker in sitebuild/project.py."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Generator, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from sitebuild.project import CHROMIUM, CHROMIUM_ARGS, REPO, build, copy_project
from sitebuild.setup import programs
from tests import markers
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


@pytest.fixture(scope="session")
def zensical_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same site built by Zensical (make build-zensical) in a scratch copy of the project."""
    from sitebuild.zensical import build as zensical

    project = copy_project(tmp_path_factory.mktemp("zensical") / "project")
    result = zensical.build_in(project)
    assert result.returncode == 0, f"Zensical build failed:\n{result.stdout}\n{result.stderr}"
    return project / zensical.SITE.relative_to(zensical.REPO)


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    """A scratch copy of the project for tests that edit or break it."""
    return copy_project(tmp_path / "project")


# --- each test held to its markers (the rules are in tests/markers.py) --------------------------


def _check_command(event: str, args: tuple[object, ...]) -> None:
    """Python's audit hook: every subprocess a test starts must be covered by its markers."""
    if event == "subprocess.Popen" and markers.running is not None:
        markers.hold(markers.command_needs(args[1]))  # type: ignore[arg-type]


def pytest_configure(config: pytest.Config) -> None:
    # An audit hook cannot be removed: install it once per process (pytest may configure twice).
    if not getattr(sys, "_containers_vs_vms_marker_hook", False):
        sys.addaudithook(_check_command)
        sys._containers_vs_vms_marker_hook = True  # type: ignore[attr-defined]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Generator[None, object, object]:
    markers.running = item
    try:
        return (yield)
    finally:
        markers.running = None


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Before any fixture starts: a fixture that needs a marker needs it on the test."""
    markers.hold(markers.fixture_needs(getattr(item, "fixturenames", ())))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A test that caught the MissingMarker error and passed anyway still fails; a program that
    is not installed is named first, with its Debian package, not only as FileNotFoundError."""
    report = yield
    program = programs.not_found(call.excinfo.value) if call.excinfo else None
    if program and report.failed:
        report.longrepr = f"{programs.missing(program)}\n\n{report.longrepr}"
    broken = item.stash.get(markers.BROKEN, [])
    if broken and report.when == "call" and report.passed:
        report.outcome = "failed"
        report.longrepr = "\n".join(f"{item.nodeid} {problem}" for problem in broken)
    return report


# --- what a marker expression left out ----------------------------------------------------------

_left_out: Counter[str] = Counter()


def pytest_deselected(items: list[pytest.Item]) -> None:
    for item in items:
        names = {m.name for m in item.iter_markers()} & set(markers.MARKERS)
        _left_out.update(names or {"other"})
        _left_out["tests"] += 1


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """One line saying what `-m` (or `-k`) left out, by marker, so a fast run hides nothing."""
    total = _left_out["tests"]
    if not total:
        return
    kinds = ", ".join(
        f"{_left_out[name]} {name}" for name in (*markers.MARKERS, "other") if _left_out[name]
    )
    terminalreporter.write_line(
        f"left out: {total} test{'s' * (total != 1)} ({kinds}; a test may count under several);"
        " `make test` runs them all"
    )


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
