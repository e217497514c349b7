"""The pure parts of `make bench`: summarising repeated runs, judging budgets, drawing the table.

No I/O here, so tests/bench/test_bench.py can check it without building anything.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

# Budgets speak in KB; bench reads 1 KB as 1000 bytes, the stricter of the two usual meanings.
KB = 1000


def summarise(values: Sequence[float]) -> dict[str, Any]:
    """Median, min and max of repeated measurements, with the raw values kept for results.json."""
    if not values:
        raise ValueError("summarise() needs at least one measurement, got none")
    return {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "runs": len(values),
        "values": list(values),
    }


def ratio(numerator: float, denominator: float) -> float | None:
    """numerator / denominator, or None when the denominator is zero (nothing to compare with)."""
    return numerator / denominator if denominator else None


def seconds(value: float | None) -> str:
    """A duration for the table: milliseconds below one second, else seconds."""
    if value is None:
        return "n/a"
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def kilobytes(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value / KB:.1f} KB"


def times(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}x"


@dataclass(frozen=True)
class Budget:
    """One budget of bench/budgets.py: what it limits, the limit, the measurement, the verdict."""

    name: str
    limit: str
    measured: str
    met: bool | None  # None: not measured in this run (the table says why in `measured`)
    before: str = ""  # what it measured before the work that set the limit (bench/budgets.py)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def at_most(name: str, measured: float | None, limit: float, unit: str) -> Budget:
    """A budget that holds when `measured` <= `limit`; `unit` formats both ("s", "KB", "x", "")."""
    show = {"s": seconds, "KB": kilobytes, "x": times}.get(unit, lambda v: f"{v:g}")
    if measured is None:
        return Budget(name, f"<= {show(limit)}", "not measured", None)
    return Budget(name, f"<= {show(limit)}", show(measured), measured <= limit)


def at_least(name: str, measured: float | None, limit: float) -> Budget:
    if measured is None:
        return Budget(name, f">= {limit:g}", "not measured", None)
    return Budget(name, f">= {limit:g}", f"{measured:g}", measured >= limit)


def verdict(met: bool | None) -> str:
    return {True: "met", False: "NOT MET", None: "not measured"}[met]


def _numeric(cell: str) -> bool:
    head = cell.split(" ")[0].rstrip("x%")
    try:
        float(head)
    except ValueError:
        return False
    return True


def format_table(title: str, headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain-text table: a title line, headers, a rule, then rows; numbers right-aligned."""
    cells = [[str(c) for c in headers]] + [[str(c) for c in row] for row in rows]
    for number, row in enumerate(cells[1:], start=1):
        if len(row) != len(headers):
            raise ValueError(
                f"table {title!r}: row {number} has {len(row)} cells, headers have {len(headers)}"
            )
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: list[str], align_numbers: bool) -> str:
        parts = [
            cell.rjust(width) if align_numbers and _numeric(cell) else cell.ljust(width)
            for cell, width in zip(row, widths, strict=True)
        ]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * width for width in widths)
    body = [line(row, align_numbers=True) for row in cells[1:]]
    return "\n".join([f"== {title}", line(cells[0], align_numbers=False), rule, *body])


def median_cell(summary: dict[str, Any] | None, show=seconds) -> list[str]:
    """Median, min and max of a summary as three table cells."""
    if summary is None:
        return ["n/a", "n/a", "n/a"]
    return [show(summary["median"]), show(summary["min"]), show(summary["max"])]
