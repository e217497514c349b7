"""scripts/same_kernel.py: inside new namespaces the kernel is the host's."""

from __future__ import annotations

import os
import re

import pytest

from tests.scripts.labkit import Lab, lab_fixture, page_output

LAB = "same_kernel"
lab = lab_fixture(LAB)
pytestmark = [pytest.mark.timeout(120), pytest.mark.root]

# What may differ from the committed run: the host's name, our PID, the kernel.
RULES = [
    (r"^(  hostname +)(?!same-kernel-lab)\S+$", r"\1<host>"),
    (r"^(  PID +)\d+$", r"\1<pid>"),
    (r"^(  kernel release  )\S+ *", r"\1<release> "),
    (r"^(  /proc/version   )Linux version .*$", r"\1<version>"),
]


def test_kernel_inside_is_the_hosts_and_output_matches_page(lab: Lab) -> None:
    result = lab.run()
    assert result.returncode == 0, result.stderr
    releases = re.findall(r"^  kernel release  (\S+)", result.stdout, re.MULTILINE)
    # Checked against the test's own view of the kernel, not only the lab's verdict.
    assert releases == [os.uname().release] * 2
    with open("/proc/version") as f:
        assert f"  /proc/version   {f.read().strip()}\n" in result.stdout
    assert re.search(r"^  PID +1 +<- its own numbering$", result.stdout, re.MULTILINE)
    assert re.search(r"^  hostname +same-kernel-lab +<- its own$", result.stdout, re.MULTILINE)
    assert "  /proc/version   the same text as the host's\n" in result.stdout
    shown, expected = page_output(LAB, result.stdout, RULES)
    assert shown == expected, "the page shows other output: see labkit.page_output"
