"""Try it in your browser, step 9: an escape tried inside the VM, and the fences that stop it.

The commands come from the page's own buttons. Each step must say what the page says it shows:
the privileged container renames the VM and reads its secret; a PID namespace, then a user
namespace, each stop the same attempt. Slow, like test_vm.py: the VM runs in an emulator.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page

from tests.browser.trypage import open_try_it, step

pytestmark = [pytest.mark.slow, pytest.mark.browser]


@pytest.fixture
def page(browser: Browser, site_url: str) -> Iterator[Page]:
    with open_try_it(browser, site_url) as page:
        yield page


def lines(page: Page, name: str) -> list[str]:
    return step(page, name).splitlines()


@pytest.mark.timeout(600)
def test_privileged_escapes_and_each_fence_stops_the_same_attempt(page: Page) -> None:
    page.evaluate("window.vmLab.boot({fromState: true})")

    # Every capability and the VM's PID namespace: init is PID 1, its secret and hostname fall.
    escape = lines(page, "escape")
    assert escape[0].startswith("PID ") and escape[0].endswith("; PID 1 is init"), escape
    assert escape[1:] == ["a secret of the VM", "the VM is now called escaped"], escape
    # The step names the VM back, so the next steps (and the reader) start from "vm".
    assert lines(page, "uts")[-1] == "outside: vm"

    # Its own PID namespace: PID 1 is its own shell, and init's root cannot be named.
    pidns = lines(page, "pidns-holds")
    assert pidns[0] == "PID 1 here; PID 1 is busybox", pidns
    assert "/proc/1/root/root/secret': No such file or directory" in pidns[1], pidns
    assert pidns[-1] == "the VM is still called vm", pidns

    # A user namespace: root by its own count, init in sight, and every door refused.
    userns = lines(page, "userns-holds")
    assert userns[:2] == ["uid=0 gid=0", "PID 1 is init"], userns
    assert "/proc/1/root/root/secret': Permission denied" in userns[2], userns
    assert "nsenter: can't open '/proc/1/ns/" in userns[3] and "Permission denied" in userns[3]
    assert userns[-1] == "the VM is still called vm", userns
