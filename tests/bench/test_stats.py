"""The pure parts of `make bench` (bench/stats.py, bench/run.py's helpers): no build, no browser.

`make bench` itself is not part of `make test` (its numbers are reported, not asserted); these
tests keep its arithmetic, verdicts and table honest.
"""

from __future__ import annotations

import ast

import pytest

from bench import run
from bench.stats import KB, at_least, at_most, format_table, ratio, seconds, summarise, verdict


def test_summarise_gives_median_min_max_and_keeps_the_values() -> None:
    summary = summarise([0.9, 0.3, 0.5, 0.7, 2.0])
    assert summary == {
        "median": 0.7,
        "min": 0.3,
        "max": 2.0,
        "runs": 5,
        "values": [0.9, 0.3, 0.5, 0.7, 2.0],
    }
    assert summarise([1.0, 3.0])["median"] == 2.0  # even count: the mean of the middle two


def test_summarise_refuses_no_measurements() -> None:
    with pytest.raises(ValueError, match="at least one"):
        summarise([])


def test_budgets_judge_both_sides_of_the_limit_and_missing_measurements() -> None:
    assert at_most("figure", 40 * KB, 40 * KB, "KB").met is True
    assert at_most("figure", 40 * KB + 1, 40 * KB, "KB").met is False
    assert at_most("edit", None, 1.0, "s").met is None
    assert at_least("seo", 99, 100).met is False and at_least("seo", 100, 100).met is True
    budget = at_most("warm / cold", ratio(1.0, 4.0), 0.5, "x")
    assert (budget.measured, budget.limit, budget.met) == ("0.25x", "<= 0.50x", True)
    assert ratio(1.0, 0.0) is None
    assert [verdict(v) for v in (True, False, None)] == ["met", "NOT MET", "not measured"]
    assert seconds(0.25) == "250 ms" and seconds(2.5) == "2.50 s"


def test_table_aligns_columns_and_right_aligns_numbers() -> None:
    table = format_table("Builds", ["build", "median"], [["cold", "12.00 s"], ["warm", "900 ms"]])
    assert table.splitlines() == [
        "== Builds",
        "build  median",
        "-----  -------",
        "cold   12.00 s",
        "warm    900 ms",
    ]


def test_table_refuses_a_row_of_the_wrong_width() -> None:
    with pytest.raises(ValueError, match="row 2 has 1 cells, headers have 2"):
        format_table("t", ["a", "b"], [["1", "2"], ["3"]])


def test_budgets_pick_the_worst_page_and_figure() -> None:
    lighthouse_entry = {c: {"median": 100} for c in run.CATEGORIES}
    results = {
        "lighthouse": {
            "": {"mobile": {**lighthouse_entry, "performance": {"median": 93}}},
            "faq/": {"desktop": lighthouse_entry},
        },
        "pages": {
            "": {"gzip_without_figures": 120 * KB},
            "faq/": {"gzip_without_figures": 151 * KB},
        },
        "figures": {"a": {"gzip": 3 * KB}, "b": {"gzip": 39 * KB}},
        "builds": {"wall": {"cold": {"median": 4.0}, "warm": {"median": 1.0}}},
        "edits": {"markdown": {"median": 1.2}},
    }
    found = {b.name.split(" (")[0]: b for b in run.budgets(results)}
    assert found["Lighthouse performance"].met is False
    assert found["Lighthouse performance"].measured == "93 on / mobile"
    assert found["Lighthouse seo"].met is True
    assert found["first visit, gzip, without figures"].measured == "151.0 KB on /faq/"
    assert found["first visit, gzip, without figures"].met is False
    assert found["each figure, gzip"].measured == "39.0 KB (b)"
    assert found["warm build / cold build"].met is True
    assert found["Markdown edit to browser"].met is False


def test_diagram_edit_rewrites_exactly_the_literal_the_figure_shows() -> None:
    script = 'TITLE = "Host OS"\n\ndef draw():\n    Node("Host OS")  # é\n    Node("Kernel")\n'
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><text>Host OS</text><text>x</text></svg>'
    literal = run.label_literal(script, svg)
    assert isinstance(literal, ast.Constant) and literal.lineno == 1
    edited = run.replace_literal(script, literal, "Host OS 1x")
    assert edited == script.replace('"Host OS"', "'Host OS 1x'", 1)
    # A literal after a multi-byte character on its line is still found by its exact position.
    late = 'def draw():\n    x = "é"; Node("Kernel")\n'
    node = run.label_literal(
        late, b'<svg xmlns="http://www.w3.org/2000/svg"><text>Kernel</text></svg>'
    )
    assert node is not None
    assert run.replace_literal(late, node, "K2") == late.replace('"Kernel"', "'K2'")
