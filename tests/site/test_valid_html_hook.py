"""hooks/valid_html.py removes Material's empty tabindex from section labels, and nothing else.

The built site is checked by the Nu checker in test_html_valid.py; this pins the transformation.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("valid_html", REPO / "hooks" / "valid_html.py")
assert spec and spec.loader
valid_html = importlib.util.module_from_spec(spec)
spec.loader.exec_module(valid_html)

SECTION = '<label class="md-nav__link " for="__nav_1" id="__nav_1_label" tabindex="">'
FOCUSABLE = '<label class="md-nav__link" for="__nav_2" id="__nav_2_label" tabindex="0">'


def test_the_empty_tabindex_goes_and_the_label_stays() -> None:
    page = f"<nav>{SECTION}<span>Explainer</span></label>{FOCUSABLE}More</label></nav>"
    assert valid_html.without_empty_tabindex(page) == page.replace(' tabindex=""', "")


def test_other_elements_and_values_are_left_alone() -> None:
    others = [
        FOCUSABLE,
        '<label class="md-nav__link" tabindex="-1">',
        '<label class="md-search__icon" tabindex="">',  # not the navigation: not ours to judge
        '<div class="md-nav__link" tabindex="">',
        '<label class="md-nav__link">tabindex=""</label>',  # text, not an attribute
    ]
    for html in others:
        assert valid_html.without_empty_tabindex(html) == html
