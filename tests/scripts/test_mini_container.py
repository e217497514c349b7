"""scripts/mini_container.py: a root filesystem, namespaces, pivot_root, /proc and cgroups."""

from __future__ import annotations

import os
import re

import pytest

from tests.scripts.labkit import (
    Lab,
    assert_one_line_refusal,
    lab_fixture,
    page_output,
    private_mounts,
)

LAB = "mini_container"
lab = lab_fixture(LAB)
pytestmark = [pytest.mark.timeout(120), pytest.mark.root]

# What may differ from the committed run: our PID, the kernel, where our own cgroup sits,
# and how many commands this busybox build provides.
RULES = [
    (r"^Root filesystem: \d+ commands", "Root filesystem: <n> commands"),
    (r"^(kernel      )\S+", r"\1<release>"),
    # The lab prints its cgroup relative to where it started: ".../" stands for that (v1 nests
    # under the lab's own cgroup), "/" for a tree's root.
    (r"\d*:([a-z,]*):(?:\.\.\.)?/mini-container-\d+", r"<n>:\1:<start>/mini-container-<pid>"),
]
HIDE_BUSYBOX = private_mounts('mount --bind /dev/null "$(command -v busybox)"')


def inside(out: str, label: str) -> str:
    return re.search(rf"^{label} +(.*)$", out, re.MULTILINE)[1]


def test_container_sees_its_own_world_and_output_matches_page(lab: Lab) -> None:
    result = lab.run()
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert inside(out, "hostname") == "mini"
    assert inside(out, "my PID") == "1"
    assert inside(out, "kernel").split()[0] == os.uname().release
    assert inside(out, "files in /") == "bin etc proc tmp"  # pivot_root: the host's / is gone
    assert inside(out, "network").split()[0] == "lo"
    cgroups = re.findall(r"^cgroup +(.*)$", out, re.MULTILINE)  # one per hierarchy
    assert cgroups and all(
        re.fullmatch(r"\d+:[a-z,]*:(\.\.\.)?/mini-container-\d+", c) for c in cgroups
    )
    assert re.search(r"^ +1 root +sh$", out, re.MULTILINE)  # ps: the shell is PID 1
    shown, expected = page_output(LAB, out, RULES)
    assert shown == expected, "the page shows other output: see labkit.page_output"


def test_without_a_static_busybox_it_refuses_in_one_line(lab: Lab) -> None:
    result = lab.run(wrapper=HIDE_BUSYBOX)
    assert_one_line_refusal(result, LAB)
    assert "static busybox (apt install busybox-static)" in result.stderr
