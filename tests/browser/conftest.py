"""The built site, served from 127.0.0.1 for every browser test (see tests/browser/pages.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.pages import serve

# CI shares 2 cores with builds and Java; Playwright's default 5 s wait for an expectation is
# tight there (one unexplained failure seen under load), and a wait costs nothing when it passes.
expect.set_options(timeout=15_000)


@pytest.fixture(scope="session")
def site_url(built_site: Path) -> Iterator[str]:
    """The built site, served from 127.0.0.1 for the whole session; the home page's URL."""
    with serve(built_site) as url:
        yield url
