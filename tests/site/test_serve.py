"""`make serve` serves the site on 127.0.0.1, and an edit reaches an open browser by itself.

MkDocs 1.6.1 with click newer than 8.2.1 silently turns live reload off unless `serve` gets
`--livereload` (https://github.com/mkdocs/mkdocs/issues/4032). So this test runs the very
command `make serve` runs and proves, in a real browser, that the open page reloads after an
edit; an HTTP poll alone would miss it, because the rebuild happens either way only when reload
is on.
"""

from __future__ import annotations

import os
import shlex
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from playwright.sync_api import Browser

from sitebuild.project import REPO, SITE_NAME, SITE_PATH, mkdocs_env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_serve_command(port: int) -> list[str]:
    """The mkdocs command line `make serve` would run (make -n prints it without running it)."""
    dry_run = subprocess.run(
        ["make", "--no-print-directory", "-n", "serve", f"PORT={port}"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    lines = [line for line in dry_run.splitlines() if " serve " in line and "mkdocs" in line]
    assert len(lines) == 1, f"expected one mkdocs serve line in `make -n serve`:\n{dry_run}"
    command = shlex.split(lines[0])
    command[0] = str(REPO / command[0])  # the venv's mkdocs, run from the scratch copy
    return command


def get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status, response.read().decode()


def wait_until_up(url: str, server: subprocess.Popen[str], seconds: float = 120) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert server.poll() is None, f"mkdocs serve exited early:\n{server.stdout.read()}"
        try:
            status, body = get(url)
            if status == 200:
                return body
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"mkdocs serve did not answer on {url} within {seconds} s")


@pytest.fixture
def served_copy(project_copy: Path) -> Iterator[tuple[str, Path]]:
    port = free_port()
    server = subprocess.Popen(
        make_serve_command(port),
        cwd=project_copy,
        env=mkdocs_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group, so we can prove nothing is left
    )
    # mkdocs serve mounts the site under site_url's path, as GitHub Pages will.
    base = f"http://127.0.0.1:{port}{SITE_PATH}"
    try:
        wait_until_up(base, server)
        yield base, project_copy
    finally:
        os.killpg(server.pid, signal.SIGINT)  # what Ctrl-C does to `make serve`
        try:
            server.wait(timeout=20)
        finally:
            if server.poll() is None:
                os.killpg(server.pid, signal.SIGKILL)
    # No orphan: the whole process group is gone.
    with pytest.raises(ProcessLookupError):
        os.killpg(server.pid, 0)


@pytest.mark.slow
def test_serve_answers_with_site_title(served_copy: tuple[str, Path]) -> None:
    base, _ = served_copy
    status, body = get(base)
    assert status == 200
    title = BeautifulSoup(body, "html.parser").title
    assert title is not None and SITE_NAME in title.get_text(), title


@pytest.mark.browser
@pytest.mark.slow
def test_markdown_edit_reloads_the_open_page(
    served_copy: tuple[str, Path], browser: Browser
) -> None:
    base, project = served_copy
    marker = f"Live reload marker {time.time_ns()}"
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(base + "architectures/")
        page.wait_for_load_state("load")
        page_md = project / "docs" / "architectures.md"
        page_md.write_text(page_md.read_text() + f"\n{marker}\n")
        # The test never navigates again: only live reload can bring the marker in.
        # Up to 15 s, as every browser expectation here: a rebuild takes 4 s on 2 loaded cores.
        page.get_by_text(marker).wait_for(timeout=15_000)
        # The rebuilt page is a whole page: hooks/serve.py once lost the search box on rebuilds.
        search = page.locator('input[data-md-component="search-query"][aria-label="Search"]')
        assert search.count() == 1, "the rebuilt page has no search box"
    finally:
        context.close()
