"""What the tests of Try it in your browser share: opening the page, and typing at the VM's shell
through the page's own test hook (window.vmLab)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from playwright.sync_api import Browser, Page

MINUTE = 60_000


@contextmanager
def open_try_it(browser: Browser, site_url: str) -> Iterator[Page]:
    """The page in a fresh context, its script ready, and nothing of the VM fetched yet."""
    context = browser.new_context()
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(site_url + "try-it/")
    page.wait_for_function("window.vmLab !== undefined")
    # Nothing of the VM loads before the reader asks for it.
    assert not [u for u in requests if "/vm/" in u], requests
    page.set_default_timeout(5 * MINUTE)
    try:
        yield page
    finally:
        context.close()


def run(page: Page, command: str, seconds: int = 120) -> str:
    """Type `command` at the VM's shell; its output. Fails if no prompt follows in `seconds`."""
    return page.evaluate(
        """([command, seconds]) => Promise.race([
            window.vmLab.run(command),
            new Promise((_, fail) => setTimeout(() => fail(
                new Error(`no prompt ${seconds} s after typing ${command}`)), seconds * 1000)),
        ])""",
        [command, seconds],
    )


def step(page: Page, name: str) -> str:
    """Type what a step's button types (the page's script reads it from the <code> beside it)."""
    command = page.get_attribute(f'button[data-step="{name}"]', "data-command")
    assert command, f"no step {name!r} on the page"
    return run(page, command)
