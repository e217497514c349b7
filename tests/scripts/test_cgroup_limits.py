"""scripts/cgroup_limits.py: the OOM killer and the pids limit act on a cgroup, v1 or v2."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.scripts.labkit import (
    Lab,
    assert_one_line_refusal,
    lab_fixture,
    load,
    normalise,
    page_output,
    private_mounts,
)

LAB = "cgroup_limits"
lab = lab_fixture(LAB)
pytestmark = pytest.mark.timeout(120)
cgroup_limits = load(LAB)
MIB = 1024 * 1024

# What may differ from the committed run: our PID, how far the child got, how often it hit
# the limit.
RULES = [
    (r"lab-cgroup-limits-\d+", "lab-cgroup-limits-<pid>"),
    (r"about \d+ MiB", "about <n> MiB"),
    (r"^( +memory\.(?:failcnt|max_usage_in_bytes|peak|events max) +)\d+ *", r"\1<n> "),
]
# Only when this machine's cgroup version differs from the committed run's (v1 here): the
# counter files have other names, the story is the same.
OTHER_VERSION = [
    (r"^cgroup v\d here: .*$", "cgroup <version> here"),
    (r"^( +)memory\.[a-z_.]+(?: [a-z_]+)? +(\S+) +", r"\1<memory counter> <n> "),
]
UNMOUNT_CGROUPS = private_mounts("umount -R /sys/fs/cgroup")


def version(text: str) -> str:
    return re.search(r"^cgroup (v\d) here", text, re.MULTILINE)[1]


@pytest.mark.root
def test_oom_kill_and_fork_limit_and_output_matches_page(lab: Lab) -> None:
    result = lab.run()
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "It was killed by SIGKILL after allocating about" in out
    assert re.search(r"^     memory\.\S+ oom_kill +1 ", out, re.MULTILINE)
    assert "fork() failed after 15 new processes: Resource temporarily unavailable." in out
    assert re.search(r"^     pids\.current +16 ", out, re.MULTILINE)
    assert re.search(r"^     pids\.events max +1 ", out, re.MULTILINE)
    committed = (Path(__file__).parents[2] / "scripts/output/cgroup_limits.txt").read_text()
    rules = RULES if version(out) == version(committed) else RULES + OTHER_VERSION
    shown, expected = page_output(LAB, out, rules)
    assert shown == expected, "the page shows other output: see labkit.page_output"


@pytest.mark.root
def test_cgroups_are_made_where_expected_then_removed_on_ctrl_c(lab: Lab) -> None:
    during = lab.interrupt_at("created")
    made = during.cgroups - lab.before.cgroups
    assert made and all(Path(d).name.startswith("lab-cgroup-limits-") for d in made), made
    # Proves the snapshot sees the lab's cgroups, so "nothing left" above means something.
    controllers = {Path(d).relative_to("/sys/fs/cgroup").parts[0] for d in made}
    assert controllers in ({"memory", "pids"}, {Path(next(iter(made))).name})


@pytest.mark.root
def test_without_cgroup_controllers_it_refuses_in_one_line(lab: Lab) -> None:
    result = lab.run(wrapper=UNMOUNT_CGROUPS)
    assert_one_line_refusal(result, LAB)
    assert "no cgroup memory and pids controllers" in result.stderr


# --- cgroup v2, which this machine cannot run (its memory and pids controllers are on v1) --------

PURE_V2 = """\
22 27 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw
31 23 0:28 / {root} rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate
"""
HYBRID = """\
32 31 0:32 / {root}/memory rw,relatime - cgroup cgroup rw,memory
33 31 0:36 / {root}/pids rw,relatime - cgroup cgroup rw,pids
34 31 0:38 / {root}/unified rw,relatime - cgroup2 cgroup2 rw
"""


def fake_v2(tmp_path: Path, controllers: str, enabled: str) -> Path:
    root = tmp_path / "cgroup"
    root.mkdir()
    (root / "cgroup.controllers").write_text(controllers + "\n")
    (root / "cgroup.subtree_control").write_text(enabled + "\n")
    return root


def test_v2_makes_one_cgroup_at_the_root(tmp_path: Path) -> None:
    root = fake_v2(tmp_path, "cpuset cpu io memory hugetlb pids rdma misc", "cpu io memory pids")
    found = cgroup_limits.find_cgroup(PURE_V2.format(root=root), "0::/user.slice/s.scope\n", "x")
    assert found == cgroup_limits.Cgroup(2, root / "x", root / "x")
    assert found.dirs == [root / "x"]


def test_v2_without_controllers_enabled_turns_them_on_as_runc_does(tmp_path: Path) -> None:
    """A bare kernel (no systemd) enables no controller for the root's children: the lab does.
    (The real thing runs in a VM: tests/scripts/test_labs_on_cgroup_v2.py.)"""
    root = fake_v2(tmp_path, "cpu io memory pids", "cpu io")
    found = cgroup_limits.find_cgroup(PURE_V2.format(root=root), "0::/\n", "x")
    assert found == cgroup_limits.Cgroup(2, root / "x", root / "x")
    assert cgroup_limits.enable_controllers(found) is True
    assert (root / "cgroup.subtree_control").read_text() == "+memory +pids"
    (root / "cgroup.subtree_control").write_text("cpu io memory pids\n")
    assert cgroup_limits.enable_controllers(found) is False  # already on: nothing written
    assert (root / "cgroup.subtree_control").read_text() == "cpu io memory pids\n"


def test_hybrid_uses_v1_nested_under_our_own_cgroups(tmp_path: Path) -> None:
    root = tmp_path / "cgroup"
    (root / "unified").mkdir(parents=True)
    (root / "unified/cgroup.controllers").write_text("hugetlb\n")  # memory is bound to v1
    self_cgroup = "8:pids:/\n4:memory:/user.slice/a\n1:cpu,cpuacct:/\n0::/\n"
    found = cgroup_limits.find_cgroup(HYBRID.format(root=root), self_cgroup, "x")
    assert found == cgroup_limits.Cgroup(1, root / "memory/user.slice/a/x", root / "pids/x")


def test_no_cgroup_mounts_is_a_reason_not_a_crash() -> None:
    found = cgroup_limits.find_cgroup(PURE_V2.split("\n")[0], "", "x")
    assert found.startswith("no cgroup memory and pids controllers are mounted")


def test_v2_limits_membership_and_counters(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    root = fake_v2(tmp_path, "memory pids", "memory pids")
    group = cgroup_limits.Cgroup(2, root / "lab", root / "lab")
    cgroup_limits.create(group)
    assert (root / "lab/memory.max").read_text() == str(32 * MIB)
    assert (root / "lab/pids.max").read_text() == "16"
    assert not (root / "lab/memory.limit_in_bytes").exists()
    cgroup_limits.join(group)
    assert (root / "lab/cgroup.procs").read_text() == str(os.getpid())
    # What a v2 kernel writes after one OOM kill and one refused fork.
    (root / "lab/memory.events").write_text("low 0\nhigh 0\nmax 57\noom 1\noom_kill 1\n")
    (root / "lab/memory.peak").write_text("33554432\n")
    (root / "lab/pids.current").write_text("16\n")
    (root / "lab/pids.events").write_text("max 1\n")
    memory = cgroup_limits.show_counters(group, "memory")
    pids = cgroup_limits.show_counters(group, "pids")
    assert memory == {"oom_kill": 1, "max": 57, "memory.peak": 33554432}
    assert pids == {"pids.current": 16, "max": 1}
    shown = normalise(capsys.readouterr().out, [(r" +", " ")])
    assert "memory.events oom_kill 1 processes the OOM killer killed" in shown
    assert "pids.events max 1 times fork() was refused" in shown
