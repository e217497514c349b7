"""The "Try it in your browser" page: a real Linux VM runs in Chromium and each step does what the
page says. Commands come from the page's own buttons, so the page and this test cannot drift.

Slow: the emulator runs x86 code in WebAssembly on a shared 2-core machine. The resume test takes
about half a minute there; the cold boot a few minutes.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from sitebuild.vm.browser_vm import prompt
from tests.browser.trypage import MINUTE, open_try_it, run, step

pytestmark = [pytest.mark.slow, pytest.mark.browser]


@pytest.fixture
def page(browser: Browser, site_url: str) -> Iterator[Page]:
    with open_try_it(browser, site_url) as page:
        yield page


@pytest.mark.timeout(600)
def test_resume_then_build_a_container_step_by_step(page: Page) -> None:
    times = page.evaluate("window.vmLab.boot({fromState: true})")
    assert times["mode"] == "resume" and times["bytes"] > 1_000_000

    vm = step(page, "vm")
    # The page's own kernel (sitebuild/vm/browser_vm_kernel.py), from Debian's linux-source-6.12.
    assert "6.12." in vm and "(build@containers-vs-vms)" in vm, vm
    assert "BIOS-provided physical RAM map" in vm

    # BusyBox's clear empties the screen; the page still finds every later command's output.
    assert run(page, "clear") == ""
    expect(page.locator(".vmlab-screen")).to_have_text(prompt())

    pid = step(page, "pid")
    assert "my PID is 1" in pid

    uts = step(page, "uts")
    assert "inside: ctr1" in uts and "outside: vm" in uts

    pids = step(page, "pids")
    assert "can't fork" in pids and "max 1" in pids

    memory = step(page, "memory")
    # The OOM killer ends dd, the cgroup's biggest process; the shell that started it carries on.
    assert memory.splitlines() == ["Killed", "survived", "oom_kill 1"], memory

    overlay = step(page, "overlay")
    lines = overlay.splitlines()
    assert "v1" in lines and "v2" in lines  # the image keeps v1; the merged view shows v2
    whiteout = [line for line in lines if line.endswith(" old.txt")]
    assert whiteout and whiteout[0].startswith("c") and "0,   0" in whiteout[0], overlay

    step(page, "prepare")
    # By keyboard, as a reader without a mouse would: focus the button, press Enter.
    page.focus('button[data-step="container"]')
    page.keyboard.press("Enter")
    page.wait_for_function("window.vmLab.times.container_s !== undefined")
    screen = page.inner_text(".vmlab-screen")
    assert "I am ctr1, PID 1" in screen, screen[-2000:]
    assert "Container:" in page.inner_text(".vmlab-times")


@pytest.mark.timeout(1200)
def test_cold_boot_from_firmware(page: Page) -> None:
    times = page.evaluate("window.vmLab.boot({fromState: false})")
    assert times["mode"] == "cold boot"
    boot_log = page.inner_text(".vmlab-screen")
    assert "Linux version 6.12." in boot_log and "Run /init as init process" in boot_log
    assert "uname" not in boot_log
    assert step(page, "vm").splitlines()[0].startswith("6.12.")


@pytest.mark.timeout(300)
def test_a_state_the_emulator_cannot_restore_ends_with_a_message(page: Page) -> None:
    # The real emulator, given bytes that are no saved state, never gets to "ready".
    size = len(page.request.get(page.url + "../vm/state.bin.zst").body())
    page.route("**/vm/state.bin.zst", lambda route: route.fulfill(body=bytes(size)))
    page.clock.install()
    page.get_by_role("button", name="Start the VM", exact=True).click()
    status = page.locator(".vmlab-status")
    expect(status).to_contain_text("Restoring", timeout=MINUTE)
    page.clock.run_for(61_000)
    expect(status).to_contain_text("did not answer within 60 s")
    for button in page.locator(".vmlab-start").all():
        expect(button).to_be_enabled()
    expect(page.locator(".vmlab-progress")).to_be_hidden()


@pytest.mark.timeout(900)
def test_the_walk_passes_on_a_phone_speed_cpu(page: Page) -> None:
    """At 4x CPU slowdown (Chromium's throttling, as Lighthouse's mobile preset), the resumed VM
    still does every step; make bench reports how long each takes."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": 4})
    assert page.evaluate("window.vmLab.boot({fromState: true})")["mode"] == "resume"
    assert "my PID is 1" in step(page, "pid")
    assert "outside: vm" in step(page, "uts")
    assert "can't fork" in step(page, "pids")
    assert step(page, "memory").splitlines() == ["Killed", "survived", "oom_kill 1"]
    assert "v2" in step(page, "overlay").splitlines()
    step(page, "prepare")
    assert "I am ctr1, PID 1" in step(page, "container")


@pytest.mark.timeout(600)
def test_on_a_phone_the_keyboard_leaves_the_box_and_the_last_line_in_view(
    browser: Browser, site_url: str
) -> None:
    context = browser.new_context(
        viewport={"width": 375, "height": 812}, is_mobile=True, has_touch=True
    )
    try:
        page = context.new_page()
        page.goto(site_url + "try-it/")
        page.wait_for_function("window.vmLab !== undefined")
        page.set_default_timeout(5 * MINUTE)
        page.evaluate("window.vmLab.boot({fromState: true})")
        step(page, "uts")
        page.tap("#vmlab-input")
        # An on-screen keyboard covers about half of a phone's screen: the viewport shrinks.
        page.set_viewport_size({"width": 375, "height": 400})
        page.wait_for_timeout(300)
        box = page.locator("#vmlab-input").bounding_box()
        screen = page.locator(".vmlab-screen").bounding_box()
        header = page.locator("header").bounding_box()
        assert box and screen and header
        assert header["height"] <= box["y"] and box["y"] + box["height"] <= 400, box
        # The terminal follows its output, so its last line is at its bottom edge: in view.
        assert screen["y"] + screen["height"] > header["height"] + 40, screen
        assert page.evaluate(
            "(s => s.scrollTop + s.clientHeight >= s.scrollHeight - 2)"
            "(document.querySelector('.vmlab-screen'))"
        )
    finally:
        context.close()
