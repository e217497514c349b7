"""The start-up chart: the medians of scripts/output/startup_cost.txt as bars on a log scale.

A process, a container and a VM start in times that differ by orders of magnitude, so a linear
axis would show the VM and nothing else. Drawn at build time from the verified output (never
committed as an image), so the chart and the table beside it cannot disagree.

    python -m sitebuild.figures.startup_chart > chart.svg    # to look at it
"""

from __future__ import annotations

import html
import math
import re
import sys
from dataclasses import dataclass
from pathlib import Path

OUTPUT = Path(__file__).resolve().parents[2] / "scripts" / "output" / "startup_cost.txt"
ROW = re.compile(r"^(.+?) +(\d+) +(\d+\.\d\d) +(\d+\.\d\d) +(\d+\.\d\d)$", re.MULTILINE)
# One colour per kind of start; all pass WCAG AA contrast against white with the text beside.
COLOURS = {"process": "#1565C0", "container": "#2E7D32", "vm": "#C62828"}
WIDTH, LEFT, RIGHT, BAR, GAP, TOP = 760, 270, 90, 22, 10, 36


@dataclass(frozen=True)
class Row:
    label: str
    runs: int
    median: float  # ms

    @property
    def kind(self) -> str:
        if self.label.startswith("VM"):
            return "vm"
        if self.label.startswith(("container", "docker")):
            return "container"
        return "process"


def rows(text: str) -> list[Row]:
    """The measured rows of the lab's table (skipped rows have no numbers, so no bar)."""
    found = [Row(m[1].strip(), int(m[2]), float(m[3])) for m in ROW.finditer(text)]
    if not found:
        raise ValueError(f"{OUTPUT}: no measured rows; re-record it: see the startup_cost lab")
    return found


def accelerator(text: str) -> str:
    found = re.search(r"^VM accelerator: (\w+)", text, re.MULTILINE)
    return found[1] if found else ""


def _ms(value: float) -> str:
    return f"{value / 1000:.1f} s" if value >= 1000 else f"{value:.1f} ms"


def svg(text: str) -> str:
    """The chart as a standalone, accessible SVG document."""
    data = rows(text)
    low = math.floor(math.log10(min(r.median for r in data)))
    high = math.ceil(math.log10(max(r.median for r in data)))
    high = max(high, low + 1)
    span = WIDTH - LEFT - RIGHT

    def x(ms: float) -> float:
        return LEFT + (math.log10(ms) - low) / (high - low) * span

    height = TOP + len(data) * (BAR + GAP) + 64
    accel = accelerator(text)
    title = "Median time to start a trivial command, log scale"
    desc = "; ".join(f"{r.label}: {_ms(r.median)}" for r in data)
    if accel:
        desc += f". The VM ran under {accel}."
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" role="img" aria-labelledby="t d" '
        'font-family="Helvetica, Arial, sans-serif" font-size="13">',
        f'<title id="t">{html.escape(title)}</title>',
        f'<desc id="d">{html.escape(desc)}</desc>',
        f'<rect width="{WIDTH}" height="{height}" fill="#ffffff"/>',
        f'<text x="{LEFT}" y="20" font-weight="bold" fill="#212121">{html.escape(title)}</text>',
    ]
    bottom = TOP + len(data) * (BAR + GAP)
    for power in range(low, high + 1):
        tick = x(10**power)
        label = _ms(10**power).replace(".0 ", " ")
        out.append(
            f'<line x1="{tick:.1f}" y1="{TOP - 6}" x2="{tick:.1f}" y2="{bottom}" '
            'stroke="#BDBDBD" stroke-width="1"/>'
        )
        out.append(
            f'<text x="{tick:.1f}" y="{bottom + 18}" text-anchor="middle" '
            f'fill="#424242">{label}</text>'
        )
    for i, r in enumerate(data):
        y = TOP + i * (BAR + GAP)
        end = x(r.median)
        out.append(
            f'<text x="{LEFT - 8}" y="{y + BAR * 0.7:.1f}" text-anchor="end" '
            f'fill="#212121">{html.escape(r.label)}</text>'
        )
        out.append(
            f'<rect x="{LEFT}" y="{y}" width="{max(end - LEFT, 1):.1f}" height="{BAR}" '
            f'fill="{COLOURS[r.kind]}"><title>{html.escape(r.label)}: '
            f"{_ms(r.median)}</title></rect>"
        )
        out.append(
            f'<text x="{end + 6:.1f}" y="{y + BAR * 0.7:.1f}" fill="#212121">{_ms(r.median)}</text>'
        )
    legend = (("process", "a process"), ("container", "a container"), ("vm", "a VM"))
    for i, (kind, label) in enumerate(legend):
        lx = LEFT + i * 130
        out.append(
            f'<rect x="{lx}" y="{bottom + 32}" width="14" height="14" fill="{COLOURS[kind]}"/>'
        )
        out.append(f'<text x="{lx + 20}" y="{bottom + 44}" fill="#212121">{label}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    sys.stdout.write(svg(OUTPUT.read_text()))
