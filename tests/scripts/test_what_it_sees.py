"""scripts/what_it_sees.py: under a memory limit and a CPU quota, the usual answers are the
host's; the limits are in the cgroup's files; the quota acts. Runs on v1 here, v2 simulated."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.scripts.labkit import (
    Lab,
    assert_one_line_refusal,
    lab_fixture,
    load,
    page_output,
    private_mounts,
)

LAB = "what_it_sees"
lab = lab_fixture(LAB)
pytestmark = pytest.mark.timeout(120)
what_it_sees = load(LAB)
MIB = 1024 * 1024

# What may differ from the committed run: our PID, the machine's size, the CPU time we got.
RULES = [
    (r"lab-what-it-sees-\d+", "lab-what-it-sees-<pid>"),
    (r"^(  /proc/meminfo MemTotal +)\d+\.\d GiB", r"\1<n> GiB"),
    (r"^(  (?:os\.cpu_count\(\)|os\.sched_getaffinity\(0\)|nproc) +)\d+", r"\1<n>"),
    (r"got \d\.\d\d s of CPU", "got <t> s of CPU"),
    (r"^in \d+ periods", "in <n> periods"),
]
# Only when this machine's cgroup version differs from the committed run's (v1): the limit
# files have other names and one file holds both CPU numbers; the story is the same.
OTHER_VERSION = [
    (r"^cgroup v\d here", "cgroup <version> here"),
    (r"^  (?:memory|cpu)\.\S+ +\d+(?: \d+)?\n", ""),
]
UNMOUNT_CGROUPS = private_mounts("umount -R /sys/fs/cgroup")


def value(out: str, label: str) -> str:
    return re.search(rf"^  {re.escape(label)} +(\S+(?: GiB)?)", out, re.MULTILINE)[1]


@pytest.mark.root
def test_usual_answers_are_the_hosts_limits_are_in_files_and_output_matches_page(
    lab: Lab,
) -> None:
    result = lab.run()
    assert result.returncode == 0, result.stderr
    out = result.stdout
    # Checked against the test's own view of the host, not only the lab's verdict.
    kib = int(re.search(r"^MemTotal: +(\d+) kB", Path("/proc/meminfo").read_text(), re.M)[1])
    assert value(out, "/proc/meminfo MemTotal") == f"{kib / 2**20:.1f} GiB"
    assert value(out, "os.cpu_count()") == str(os.cpu_count())
    assert value(out, "os.sched_getaffinity(0)") == str(len(os.sched_getaffinity(0)))
    version = re.search(r"^cgroup v(\d) here", out, re.MULTILINE)[1]
    # GNU nproc counts the affinity; from coreutils 9.8 it also honours a cgroup v2 quota
    # (0.5 CPU rounds up to 1).
    coreutils = subprocess.run(["nproc", "--version"], capture_output=True, text=True).stdout
    major, minor = map(int, re.search(r"(\d+)\.(\d+)", coreutils).groups())
    honours_quota = version == "2" and (major, minor) >= (9, 8)
    assert value(out, "nproc") == ("1" if honours_quota else str(len(os.sched_getaffinity(0))))
    if version == "1":
        assert value(out, "memory.limit_in_bytes") == str(64 * MIB)
        assert value(out, "cpu.cfs_quota_us") == "50000"
        assert value(out, "cpu.cfs_period_us") == "100000"
    else:
        assert value(out, "memory.max") == str(64 * MIB)
        assert re.search(r"^  cpu\.max +50000 100000$", out, re.MULTILINE)
    assert "  that is 64 MiB of memory and 0.5 CPU." in out
    # The quota held: at most half a CPU (plus one period of slack), and the kernel says
    # it throttled the loop. (The lab's high CPU weight keeps a busy machine from hiding it.)
    got = float(re.search(r"got (\d\.\d\d) s of CPU", out)[1])
    assert 0 < got <= 0.5 + 0.1, got
    assert int(re.search(r"^in (\d+) periods the kernel throttled it", out, re.M)[1]) >= 1
    committed = (Path(__file__).parents[2] / "scripts/output/what_it_sees.txt").read_text()
    same = re.search(r"^cgroup (v\d)", committed, re.M)[1] == f"v{version}"
    shown, expected = page_output(LAB, out, RULES if same else RULES + OTHER_VERSION)
    assert shown == expected, "the page shows other output: see labkit.page_output"


@pytest.mark.root
def test_without_cgroup_controllers_it_refuses_in_one_line(lab: Lab) -> None:
    result = lab.run(wrapper=UNMOUNT_CGROUPS)
    assert_one_line_refusal(result, LAB)
    assert "no cgroup memory and cpu controllers are mounted" in result.stderr


# --- cgroup v2, which this machine cannot run (its memory and cpu controllers are on v1) ------

PURE_V2 = "31 23 0:28 {root} {point} rw,nosuid,nodev,noexec,relatime - cgroup2 cgroup2 rw\n"
HYBRID = """\
32 31 0:32 / {point}/memory rw,relatime - cgroup cgroup rw,memory
33 31 0:36 / {point}/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
34 31 0:38 / {point}/unified rw,relatime - cgroup2 cgroup2 rw
"""


def fake_v2(tmp_path: Path, enabled: str = "cpu io memory pids") -> Path:
    point = tmp_path / "cgroup"
    point.mkdir()
    (point / "cgroup.controllers").write_text("cpuset cpu io memory hugetlb pids\n")
    (point / "cgroup.subtree_control").write_text(enabled + "\n")
    return point


def test_v2_finds_its_own_cgroup_and_makes_ours_at_the_root(tmp_path: Path) -> None:
    point = fake_v2(tmp_path)
    mountinfo = PURE_V2.format(root="/", point=point)
    version, found = what_it_sees.own_cgroups(mountinfo, "0::/user.slice/session-1.scope\n")
    assert version == 2
    assert found == dict.fromkeys(("memory", "cpu"), (point, point / "user.slice/session-1.scope"))
    dirs = what_it_sees.where(2, found, "lab")
    assert dirs == {"memory": point / "lab", "cpu": point / "lab"}
    what_it_sees.make_cgroup(2, dirs)
    assert (point / "lab/memory.max").read_text() == str(64 * MIB)
    assert (point / "lab/cpu.max").read_text() == "50000 100000"
    assert not (point / "lab/memory.limit_in_bytes").exists()


@pytest.mark.parametrize(
    ("root", "own"),
    [
        ("/", "/"),  # a cgroup namespace of its own: its cgroup is "/" to it
        ("/system.slice/docker-abc.scope", "/system.slice/docker-abc.scope"),  # the host's
    ],
)
def test_v2_inside_a_container_reads_the_limits_of_the_tree_it_was_given(
    tmp_path: Path, root: str, own: str
) -> None:
    """A container sees only its part of the tree, mounted at /sys/fs/cgroup: its own cgroup is
    the mount point, whether or not it has a cgroup namespace."""
    point = fake_v2(tmp_path)
    (point / "memory.max").write_text("67108864\n")
    (point / "cpu.max").write_text("max 100000\n")
    mountinfo = PURE_V2.format(root=root, point=point)
    version, found = what_it_sees.own_cgroups(mountinfo, f"0::{own}\n")
    dirs = {controller: own for controller, (_, own) in found.items()}
    assert dirs == {"memory": point, "cpu": point}
    limits = what_it_sees.read_limits(version, dirs)
    assert limits == {"memory.max": "67108864", "cpu.max": "max 100000"}
    assert what_it_sees.meaning(limits) == (64.0, None)  # "max": no CPU quota


def test_v2_with_controllers_not_enabled_names_the_file(tmp_path: Path) -> None:
    point = fake_v2(tmp_path, enabled="io pids")
    found = what_it_sees.own_cgroups(PURE_V2.format(root="/", point=point), "0::/\n")
    assert found == f"memory and cpu are not enabled in {point / 'cgroup.subtree_control'}"


def test_hybrid_uses_v1_nested_under_our_own_cgroups(tmp_path: Path) -> None:
    point = tmp_path / "cgroup"
    (point / "unified").mkdir(parents=True)
    (point / "unified/cgroup.controllers").write_text("\n")  # memory and cpu are bound to v1
    self_cgroup = "4:memory:/user.slice/a\n2:cpu,cpuacct:/\n0::/\n"
    version, found = what_it_sees.own_cgroups(HYBRID.format(point=point), self_cgroup)
    assert version == 1
    assert found == {
        "memory": (point / "memory", point / "memory/user.slice/a"),
        "cpu": (point / "cpu,cpuacct", point / "cpu,cpuacct"),
    }
    assert what_it_sees.where(1, found, "lab") == {
        "memory": point / "memory/user.slice/a/lab",
        "cpu": point / "cpu,cpuacct/lab",
    }


def test_v1_limits_mean_the_same() -> None:
    limits = {
        "memory.limit_in_bytes": str(64 * MIB),
        "cpu.cfs_quota_us": "50000",
        "cpu.cfs_period_us": "100000",
    }
    assert what_it_sees.meaning(limits) == (64.0, 0.5)
    unlimited = {**limits, "memory.limit_in_bytes": "9223372036854771712", "cpu.cfs_quota_us": "-1"}
    assert what_it_sees.meaning(unlimited) == (None, None)


def test_no_cgroup_mounts_is_a_reason_not_a_crash() -> None:
    found = what_it_sees.own_cgroups("22 27 0:21 / /proc rw - proc proc rw\n", "")
    assert found == "no cgroup memory and cpu controllers are mounted (v2 or v1)"
