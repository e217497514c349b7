"""A MkDocs hook that bench's scale run adds to the site's hooks: seconds per build stage.

Each event is bracketed by a handler of the first and one of the last priority (MkDocs'
CombinedEvent), so the time between the two is what every plugin and hook did at that event;
it adds up per stage over the pages and is written as JSON to the file named by BENCH_STAGES.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

from mkdocs.plugins import CombinedEvent, event_priority

FIRST, LAST = 100, -100
totals: dict[str, float] = {}
_started: dict[str, float] = {}


def _start(stage: str) -> None:
    _started[stage] = time.perf_counter()


def _stop(stage: str) -> None:
    totals[stage] = totals.get(stage, 0.0) + time.perf_counter() - _started.pop(stage)


def _bracket(stage: str, then: str | None = None) -> CombinedEvent:
    """An event handler pair: start `stage` first, stop it last (and start `then`)."""

    @event_priority(FIRST)
    def first(*args: Any, **kwargs: Any) -> Any:
        _start(stage)
        return args[0] if args else next(iter(kwargs.values()), None)

    @event_priority(LAST)
    def last(*args: Any, **kwargs: Any) -> Any:
        _stop(stage)
        if then:
            _start(then)
        return args[0] if args else next(iter(kwargs.values()), None)

    return CombinedEvent(first, last)


@event_priority(FIRST)
def on_pre_build(config: Any) -> None:
    totals.clear()


# gen-files runs the figure pipeline (sitebuild/generate.py) when MkDocs collects the files.
on_files = _bracket("figures (gen-files)")


# Markdown to HTML for every page; sitebuild.figures.markdown expands figure markers on the way.
@event_priority(FIRST)
def on_page_markdown(markdown: str, **kwargs: Any) -> str:
    _start("Markdown")
    return markdown


@event_priority(LAST)
def on_page_content(html: str, **kwargs: Any) -> str:
    _stop("Markdown")
    return html


# Material's search plugin indexes each page at on_page_context, and writes the index at the end.
on_page_context = _bracket("search index", then="templates")


@event_priority(LAST)
def on_post_page(output: str, **kwargs: Any) -> str:
    _stop("templates")  # the page's template, then every plugin's post-processing (glightbox)
    return output


@event_priority(FIRST)
def _post_build_start(config: Any) -> None:
    _start("search index")


@event_priority(LAST)
def _post_build_stop(config: Any) -> None:
    _stop("search index")
    with open(os.environ["BENCH_STAGES"], "w") as out:
        json.dump(totals, out)


on_post_build = CombinedEvent(_post_build_start, _post_build_stop)
