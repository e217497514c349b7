"""sitebuild/figures/startup_chart.py: start-up medians as log-scale bars, from the lab output."""

from __future__ import annotations

import math
import re

import pytest

from sitebuild.figures import startup_chart

TABLE = """\
how it starts                         runs    median       min       max
plain process (fork, exec, wait)       200      1.00      0.90      3.00
container: + pivot_root, own /proc     200     10.00      9.00     30.00
docker run --rm busybox true         skipped: no daemon answers `docker info`
VM: QEMU start to /init                  4   1000.00    900.00   1200.00

VM accelerator: KVM (/dev/kvm runs guests).
"""


def bars(svg: str) -> dict[str, float]:
    """Bar widths by label, from each bar's <title>."""
    bar = r'<rect x="[\d.]+" y="\d+" width="([\d.]+)"[^>]*><title>(.+?): [\d.]+ m?s</title>'
    found = re.findall(bar, svg)
    return {label: float(width) for width, label in found}


def test_one_bar_per_measured_row_on_a_log_scale() -> None:
    svg = startup_chart.svg(TABLE)
    widths = bars(svg)
    assert list(widths) == [
        "plain process (fork, exec, wait)",
        "container: + pivot_root, own /proc",
        "VM: QEMU start to /init",
    ]  # the skipped docker row has no bar
    # 1 ms, 10 ms, 1000 ms: equal steps per factor of ten, so 10 ms is a third of the way to 1 s.
    plain, container, vm = widths.values()
    assert math.isclose(container - plain, (vm - plain) / 3, rel_tol=0.02)
    assert "The VM ran under KVM." in svg and 'role="img"' in svg


def test_the_committed_output_draws_every_measured_row() -> None:
    text = startup_chart.OUTPUT.read_text()
    assert len(bars(startup_chart.svg(text))) == len(startup_chart.rows(text)) >= 4


def test_an_output_without_numbers_names_the_file() -> None:
    with pytest.raises(ValueError, match=r"startup_cost\.txt: no measured rows"):
        startup_chart.svg("nothing measured\n")
