"""The "Try it in your browser" page's own script (docs/javascripts/vmlab.js) where a reader hits
trouble: a download that fails, a restored VM that never answers, a cleared screen, an output
longer than the screen keeps, and where the page leaves the reader after a step.

The emulator here is a stand-in (fake_v86.js, served in place of libv86.js) that answers like the
VM's shell, so each test takes seconds; test_vm.py runs the real emulator and VM.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Error, Page, expect

from sitebuild.vm.browser_vm import MEMORY_MB
from tests.browser import trypage

pytestmark = [pytest.mark.slow, pytest.mark.browser]
FAKE_V86 = Path(__file__).with_name("fake_v86.js")


@pytest.fixture
def page(browser: Browser, site_url: str) -> Iterator[Page]:
    context = browser.new_context()
    page = context.new_page()
    errors: list[Error] = []
    page.on("pageerror", lambda error: errors.append(error))
    page.goto(site_url + "try-it/")
    page.wait_for_function("window.vmLab !== undefined")
    yield page
    context.close()
    # Under Playwright's fake clock, Material's own scheduler (RxJS, in its bundle) reports the
    # timers it cancelled as errors ("executing a cancelled action"); not this page's concern.
    ours = [
        f"{e.message}\n{e.stack}"
        for e in errors
        if "/assets/javascripts/bundle." not in (e.stack or "")
    ]
    assert not ours, f"uncaught errors in the page: {ours}"


def fake_emulator(page: Page, *, silent: bool = False) -> None:
    """Serve the stand-in emulator in place of v86's; `silent`: it never answers."""
    page.evaluate("silent => { window.fakeV86 = { silent } }", silent)
    page.route("**/vm/libv86.js", lambda route: route.fulfill(path=FAKE_V86))


def start(page: Page, button: str = "Start the VM") -> None:
    page.get_by_role("button", name=button, exact=True).click()


def started(page: Page) -> None:
    expect(page.locator(".vmlab-form")).to_be_visible()
    expect(page.locator(".vmlab-status")).to_contain_text("VM ready")


# The stand-in VM answers at once: a prompt that takes ten seconds is not coming.
def run(page: Page, command: str, seconds: int = 10) -> str:
    return trypage.run(page, command, seconds)


def step_output(page: Page, name: str) -> str:
    """Press a step's button as a reader does; the output the page shows under it."""
    page.locator(f'button[data-step="{name}"]').click()
    out = page.locator(f'p:has(> button[data-step="{name}"]) + pre.vmlab-out')
    expect(out).not_to_be_empty()
    return out.inner_text()


def stopped_cleanly(page: Page) -> str:
    """After a failed start: both Start buttons work again, the progress bar is gone, and the
    status is one line. Returns that line."""
    for button in page.locator(".vmlab-start").all():
        expect(button).to_be_enabled()
    expect(page.locator(".vmlab-progress")).to_be_hidden()
    expect(page.locator(".vmlab-form")).to_be_hidden()
    status = page.locator(".vmlab-status").inner_text().strip()
    assert status.startswith("Could not start the VM") and "\n" not in status, status
    return status


def test_clear_then_a_step_answers(page: Page) -> None:
    fake_emulator(page)
    start(page)
    started(page)
    assert run(page, "echo before") == "ran: echo before"
    assert run(page, "clear") == ""
    expect(page.locator(".vmlab-screen")).to_have_text("vm# ")
    assert step_output(page, "vm") == "ran: uname -r; dmesg | head -n 3"
    assert run(page, "echo after") == "ran: echo after"


def test_output_longer_than_the_screen_then_a_command_answers(page: Page) -> None:
    fake_emulator(page)
    start(page)
    started(page)
    # 50,000 lines are about 240,000 characters: more than the screen keeps (200,000).
    lines = run(page, "seq 1 50000", 60).splitlines()
    assert lines[-1] == "50000" and lines[-2] == "49999", lines[-3:]
    assert run(page, "echo after") == "ran: echo after"
    page.wait_for_function(
        "document.querySelector('.vmlab-screen').textContent.endsWith('ran: echo after\\nvm# ')"
    )
    shown = page.locator(".vmlab-screen").text_content() or ""
    assert len(shown) <= 250_000, len(shown)
    # The screen kept the latest lines, each once and in order (its first may be cut).
    numbers = [int(line) for line in shown.splitlines()[1:] if line.isdigit()]
    assert numbers == list(range(numbers[0], 50_001)), numbers[:3]


def test_a_missing_state_leaves_the_start_buttons_usable(page: Page) -> None:
    fake_emulator(page)
    page.route("**/vm/state.bin.zst", lambda route: route.fulfill(status=404, body="Not Found"))
    start(page)
    expect(page.locator(".vmlab-status")).to_contain_text("Could not start")
    status = stopped_cleanly(page)
    assert "state.bin.zst" in status and "HTTP 404" in status, status
    # The reader can try again, and it works once the file is there.
    page.unroute("**/vm/state.bin.zst")
    start(page)
    started(page)


@pytest.mark.parametrize("code", [404, 500])
def test_a_failing_manifest_says_so(page: Page, code: int) -> None:
    fake_emulator(page)
    page.route("**/vm/manifest.json", lambda route: route.fulfill(status=code, body="<h1>No</h1>"))
    start(page, "Boot from scratch")
    expect(page.locator(".vmlab-status")).to_contain_text("Could not start")
    status = stopped_cleanly(page)
    assert f"manifest.json: HTTP {code}" in status, status


def test_a_browser_that_refuses_the_memory_says_so_before_any_download(page: Page) -> None:
    fake_emulator(page)
    fetched: list[str] = []
    page.on("request", lambda r: fetched.append(r.url))
    # As a device short of memory does: WebAssembly refuses an allocation the size of the guest's.
    page.evaluate(
        """() => {
            const Real = WebAssembly.Memory;
            WebAssembly.Memory = function (d) {
                if (d.initial > 256) throw new RangeError("could not allocate memory");
                return new Real(d);
            };
        }"""
    )
    start(page)
    expect(page.locator(".vmlab-status")).to_contain_text("Could not start")
    status = stopped_cleanly(page)
    assert f"refused the {MEMORY_MB} MB of memory the VM needs: could not allocate" in status
    assert [u.rsplit("/", 1)[-1] for u in fetched if "/vm/" in u] == ["manifest.json"], fetched


def test_a_restored_vm_that_never_answers_gives_up(page: Page) -> None:
    fake_emulator(page, silent=True)
    page.clock.install()
    start(page)
    expect(page.locator(".vmlab-status")).to_contain_text("Restoring")
    # A slow device gets a generous minute; the page keeps pressing Enter meanwhile.
    page.clock.run_for(55_000)
    expect(page.locator(".vmlab-status")).to_contain_text("Restoring")
    page.clock.run_for(6_000)
    expect(page.locator(".vmlab-status")).to_contain_text("Could not start")
    status = stopped_cleanly(page)
    assert "did not answer within 60 s" in status and "Boot from scratch" in status, status
    fake = page.evaluate("window.fakeV86")
    assert fake["destroyed"], "the emulator that never answered is still running"
    presses = fake["sent"].count("\n")
    page.clock.run_for(10_000)
    assert page.evaluate("window.fakeV86.sent").count("\n") == presses, "still pressing Enter"
    assert 4 * 58 <= presses <= 4 * 61, presses  # four a second for the minute, then none


def test_a_step_leaves_the_reader_at_its_output(page: Page) -> None:
    fake_emulator(page)
    start(page)
    started(page)
    # The reader pressed a step at the bottom of the window: the output appears below it.
    button = page.locator('button[data-step="pids"]')
    page.evaluate(
        "b => scrollBy(0, b.getBoundingClientRect().bottom - innerHeight + 8)",
        button.element_handle(),
    )
    before = page.evaluate("scrollY")
    step_output(page, "pids")
    page.evaluate("new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
    out = page.locator('p:has(> button[data-step="pids"]) + pre.vmlab-out')
    expect(out).to_be_in_viewport(ratio=0.99)
    expect(button).to_be_in_viewport()
    assert page.evaluate("scrollY") >= before, "the page scrolled up, away from the step"
    # Focus stays on the step, so Tab goes on to the next one.
    expect(button).to_be_focused()

    # A reader who scrolled elsewhere while a step ran stays there.
    memory = page.locator('button[data-step="memory"]')
    page.evaluate("b => { b.click(); scrollTo(0, 0) }", memory.element_handle())
    expect(page.locator('p:has(> button[data-step="memory"]) + pre.vmlab-out')).not_to_be_empty()
    page.evaluate("new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
    assert page.evaluate("scrollY") == 0


def test_each_step_types_the_command_shown_beside_it(page: Page, built_site: Path) -> None:
    # Each command is written once, in the <code> beside its button.
    assert "data-command" not in (built_site / "try-it" / "index.html").read_text()
    names = [b.get_attribute("data-step") for b in page.locator(".vmlab-step").all()]
    assert len(names) >= 8, names
    fake_emulator(page)
    start(page)
    started(page)
    for name in names:
        shown = page.locator(f'p:has(> button[data-step="{name}"]) > code').text_content()
        assert shown and step_output(page, name) == f"ran: {shown}"
        assert page.evaluate("window.fakeV86.sent").endswith(shown + "\n")
