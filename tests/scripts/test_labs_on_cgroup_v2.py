"""Every lab on a pure cgroup v2 hierarchy, for real: inside one VM (see labvm.py).

This host mounts cgroup v1, so the labs' own test modules prove the v1 path; this module boots
Debian's kernel once, with cgroup2 alone on /sys/fs/cgroup, runs every lab there and checks the
v2 outputs the pages show (scripts/output/NAME_v2.txt).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from sitebuild.vm import guest as guest_lock
from tests.scripts import labvm
from tests.scripts.labkit import OUTPUT, normalise

# One boot for the module: about 20 s idle, a minute or two on a loaded machine (TCG).
pytestmark = [pytest.mark.timeout(600), pytest.mark.vm]

CGROUP_LIMITS_RULES = [
    (r"lab-cgroup-limits-\d+", "lab-cgroup-limits-<pid>"),
    (r"about \d+ MiB", "about <n> MiB"),
    (r"^( +memory\.(?:events max|peak) +)\d+ *", r"\1<n> "),
]
MINI_CONTAINER_RULES = [(r"mini-container-\d+", "mini-container-<pid>")]


@pytest.fixture(scope="module")
def guest() -> Iterator[labvm.GuestRun]:
    yield labvm.boot()


def test_the_guest_mounts_cgroup_v2_alone_with_memory_and_pids(guest: labvm.GuestRun) -> None:
    assert guest.mounts == ["cgroup2"], guest.console[-2000:]
    assert {"memory", "pids"} <= set(guest.controllers)


@pytest.mark.parametrize("lab", list(labvm.LABS))
def test_the_lab_holds_on_cgroup_v2(guest: labvm.GuestRun, lab: str) -> None:
    run = guest.labs.get(lab)
    assert run is not None, f"{lab} never started in the guest: {guest.console[-2000:]}"
    assert run.code == 0, "\n".join(run.err)


def test_the_guest_runs_its_own_kernel(guest: labvm.GuestRun) -> None:
    """The locked Debian kernel, not the host's."""
    kernel = next(p.name for p in guest_lock.packages("amd64") if p.name.startswith("linux-image-"))
    out = guest.labs["same_kernel"].stdout
    assert f"\n  kernel release  {guest_lock.kernel_release(kernel)}\n" in out, out


def test_cgroup_limits_on_v2_kills_at_the_limit_and_matches_page(guest: labvm.GuestRun) -> None:
    out = guest.labs["cgroup_limits"].stdout
    assert out.startswith("cgroup v2 here: one tree at /sys/fs/cgroup.\n")
    assert re.search(r"^     memory\.events oom_kill +1 ", out, re.MULTILINE)
    assert re.search(r"^     pids\.current +16 ", out, re.MULTILINE)
    expected = (OUTPUT / "cgroup_limits_v2.txt").read_text()
    rules = CGROUP_LIMITS_RULES
    assert normalise(out, rules) == normalise(expected, rules), "re-record: labvm.py --record"


def test_mini_container_on_v2_shows_its_one_cgroup_and_matches_page(
    guest: labvm.GuestRun,
) -> None:
    out = guest.labs["mini_container"].stdout
    assert re.findall(r"^cgroup +(.*)$", out, re.MULTILINE) == [
        re.search(r"0::/mini-container-\d+", out)[0]  # type: ignore[index]
    ]
    expected = (OUTPUT / "mini_container_v2.txt").read_text()
    rules = MINI_CONTAINER_RULES
    assert normalise(out, rules) == normalise(expected, rules), "re-record: labvm.py --record"


def test_user_namespace_root_cannot_load_a_module_on_debians_kernel(
    guest: labvm.GuestRun,
) -> None:
    """The reference machine's kernel has no modules (ENOSYS); Debian's refuses with EPERM."""
    out = guest.labs["user_namespace"].stdout
    assert "  load a kernel module (init_module)   EPERM\n" in out
    assert "  open /etc/shadow                     EACCES\n" in out


def test_startup_cost_skips_its_vm_rows_without_qemu_and_says_why(guest: labvm.GuestRun) -> None:
    """The guest has no QEMU: the lab runs as it would anywhere without it, no option needed."""
    out = guest.labs["startup_cost"].stdout
    assert out.count(" skipped: qemu-system-x86_64 is not installed\n") == 3, out
