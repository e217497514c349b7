"""scripts/just_a_process.py: PID 1 inside, an ordinary PID outside."""

from __future__ import annotations

import re

import pytest

from tests.scripts.labkit import Lab, lab_fixture, page_output

LAB = "just_a_process"
lab = lab_fixture(LAB)
pytestmark = [pytest.mark.timeout(120), pytest.mark.root]

# What may differ from the committed run: host PIDs, namespace inode numbers, the host's name.
RULES = [
    (r"(PID |/proc/)\d+", r"\1<pid>"),
    (r"^(  NSpid +)\d+", r"\1<pid>"),
    (r"(\w+):\[\d+\] *", r"\1:[<inode>] "),
    (r"^(  hostname +)\S+", r"\1<host>"),
]


def test_one_process_two_views_and_output_matches_page(lab: Lab) -> None:
    result = lab.run()
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert re.search(r"^  its PID +1$", out, re.MULTILINE)
    assert re.search(r"^  PIDs in its /proc +1 ", out, re.MULTILINE)
    # The host PID the lab names, the /proc entry and the NSpid line all agree.
    host_pid = re.search(r"^  /proc/(\d+)  exists: PID (\d+),", out, re.MULTILINE)
    assert host_pid and host_pid[1] == host_pid[2] and host_pid[1] != "1"
    assert re.search(rf"^  NSpid +{host_pid[1]} 1 ", out, re.MULTILINE)
    verdicts = dict(re.findall(r"^    (\w+) +\w+:\[\d+\] +(NEW|shared with the host)$", out, re.M))
    assert {ns for ns, v in verdicts.items() if v == "NEW"} == {"mnt", "pid", "uts"}
    assert {"net", "ipc", "user", "cgroup"} <= verdicts.keys()
    assert "SIGTERM  still running" in out and "SIGKILL  gone" in out
    shown, expected = page_output(LAB, out, RULES)
    assert shown == expected, "the page shows other output: see labkit.page_output"
