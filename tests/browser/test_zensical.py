"""The Zensical build (make build-zensical) works for a reader where the comparison cannot see:
its search answers a typed query and opens the page it found, and the browser VM page resumes
its VM and runs a step, in Chromium.

The comparison (tests/site/test_zensical.py) checks that search.json covers every page; this
checks that Zensical's own search (its button, its dialog, its worker) reads it and that a result
leads to a real page. Zensical's search is not Material's: a button opens a dialog with a combobox
and a listbox of options, found here by their roles.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.pages import serve
from tests.browser.trypage import open_try_it, step
from tests.support import report

pytestmark = [pytest.mark.slow, pytest.mark.browser]


@pytest.fixture(scope="module")
def zensical_url(zensical_site: Path) -> Iterator[str]:
    with serve(zensical_site) as url:
        yield url


def test_zensical_search_lists_results_and_opens_one(browser: Browser, zensical_url: str) -> None:
    errors: list[str] = []
    context = browser.new_context()
    try:
        page = context.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(zensical_url)
        page.locator(".md-search__button").click()
        field = page.get_by_role("combobox", name="Search")
        expect(field).to_be_focused()
        field.press_sequentially("namespace")
        results = page.get_by_role("listbox").get_by_role("option")
        expect(results.first).to_be_visible()
        expect(results.first).to_contain_text("namespace", ignore_case=True)
        results.first.click()
        page.wait_for_url(lambda url: url.rstrip("/") != zensical_url.rstrip("/"))
        expect(page.locator("article")).to_contain_text("namespace", ignore_case=True)
    finally:
        context.close()
    assert not errors, f"script errors on the Zensical build: {errors}"
    report("browser checks", 1)


@pytest.mark.timeout(600)
def test_zensical_try_it_resumes_the_vm_and_runs_a_step(
    browser: Browser, zensical_url: str
) -> None:
    """The browser VM page works from the Zensical build too: its module scripts, the vm/ files
    from the pre-build step and the state restore, up to a container step's real output."""
    with open_try_it(browser, zensical_url) as page:
        times = page.evaluate("window.vmLab.boot({fromState: true})")
        assert times["mode"] == "resume" and times["bytes"] > 1_000_000
        assert "my PID is 1" in step(page, "pid")
        uts = step(page, "uts")
        assert "inside: ctr1" in uts and "outside: vm" in uts
    report("browser checks", 1)
