"""scripts/capabilities.py: root without CAP_SYS_ADMIN cannot mount or set the hostname."""

from __future__ import annotations

import re

import pytest

from tests.scripts.labkit import Lab, lab_fixture, load, page_output

LAB = "capabilities"
lab = lab_fixture(LAB)
pytestmark = pytest.mark.timeout(120)

# What may differ from the committed run: which capabilities this host's root holds at the start
# (our reference machine's root has no CAP_SYS_RESOURCE), and so the first two sets.
RULES = [
    (
        r"^(  CapEff        )[0-9a-f]{16}, \d+ capabilities:\n    all this kernel has.*$",
        r"\1<host>",
    ),
]
# Docker's default set, as CapEff shows it: bits 0-8, 10, 13, 18, 27, 29 and 31.
DOCKER_CAP_EFF = "00000000a80425fb"


def steps(stdout: str) -> list[str]:
    return stdout.split("\n\n")[:3]


@pytest.mark.root
def test_root_without_capabilities_is_refused_and_output_matches_page(lab: Lab) -> None:
    result = lab.run()
    assert result.returncode == 0, result.stderr
    start, no_admin, docker = steps(result.stdout)
    assert all("\n  uid           0\n" in step for step in (start, no_admin, docker))
    assert "  mount a tmpfs ok\n  sethostname   ok\n" in start
    for step in (no_admin, docker):
        assert "  mount a tmpfs EPERM\n  sethostname   EPERM\n  chown a file  ok" in step
        assert "  CapBnd        the same" in step
    assert "but SYS_ADMIN" in no_admin and "SYS_ADMIN" not in start.split("but")[-1]
    assert f"  CapEff        {DOCKER_CAP_EFF}, 14 capabilities:\n" in docker
    shown, expected = page_output(LAB, result.stdout, RULES)
    assert shown == expected, "the page shows other output: see labkit.page_output"


def test_the_names_decode_capeff_as_the_kernel_numbers_them() -> None:
    module = load(LAB)
    assert module.names(int(DOCKER_CAP_EFF, 16)) == sorted(
        module.DOCKER_DEFAULT, key=module.NAMES.index
    )
    # <linux/capability.h>: CAP_SYS_ADMIN is 21, CAP_CHECKPOINT_RESTORE (the last) 40.
    assert module.NAMES.index("SYS_ADMIN") == 21 and len(module.NAMES) == 41
    assert re.fullmatch(r"[A-Z_]+", "".join(module.NAMES))
