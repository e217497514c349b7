"""scripts/volumes_outlive.py: the writable layer dies with the container, the volume lives on."""

from __future__ import annotations

import pytest

from tests.scripts.labkit import Lab, lab_fixture, page_output

LAB = "volumes_outlive"
lab = lab_fixture(LAB)
pytestmark = [pytest.mark.timeout(120), pytest.mark.root]


def test_only_the_volume_survives_and_output_matches_page(lab: Lab) -> None:
    result = lab.run()
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert 'etc/motd: a "whiteout": a 0,0 device' in out
    assert "  /tmp-cache.txt    gone" in out
    assert "  /data/orders.csv  present" in out
    assert "same as before" in out and "DIFFERENT" not in out
    # Nothing here varies between runs or machines: the page shows it exactly.
    shown, expected = page_output(LAB, out)
    assert shown == expected, "the page shows other output: see labkit.page_output"
