"""`[[bench NAME]]` in a page becomes a number the benchmark measured: the page's sizes and times
come from `make bench`'s latest record (bench/vm-latest.json, written by its vm stage and
committed with the date, machine and load it was measured on), never from hand-typed text.

A Python-Markdown extension (mkdocs.yml `markdown_extensions`), so any builder that runs
Python-Markdown runs it. An unknown NAME, or no record, fails the build with what to do.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from markdown import Extension, Markdown
from markdown.preprocessors import Preprocessor

RECORD = Path(__file__).resolve().parents[2] / "bench" / "vm-latest.json"
TOKEN = re.compile(r"\[\[bench ([a-z_]+)\]\]")


def _mb(n: float) -> str:
    return f"{n / 1e6:.1f} MB"


def _seconds(s: float) -> str:
    return f"{s:.1f} seconds" if s >= 0.95 else f"{s:.2f} seconds"


# Each name: the record's row it reads, and how the page says it.
NUMBERS: dict[str, tuple[str, Callable[[Any], str]]] = {
    "resume_bytes": ("resume bytes on the wire", _mb),
    "resume_time": ("resume to prompt", _seconds),
    "resume_slow_time": ("resume to prompt, 4x slowdown", _seconds),
    "cold_bytes": ("cold boot bytes on the wire", _mb),
    "cold_time": ("cold boot", _seconds),
    "slowest_step_slow": ("slowest step, 4x slowdown", _seconds),
    "measured": ("measured", lambda d: f"{date.fromisoformat(d):%-d %B %Y}"),
    "machine": ("machine", str),
}


class BenchError(Exception):
    pass


def load(path: Path | None = None) -> dict[str, Any]:
    path = path or RECORD
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise BenchError(
            f"{path}: cannot read the benchmark's record ({exc}); run `make bench BENCH=vm`"
        ) from None


def say(name: str, record: dict[str, Any]) -> str:
    if name not in NUMBERS:
        raise BenchError(f"[[bench {name}]]: no such number; the names are {', '.join(NUMBERS)}")
    row, form = NUMBERS[name]
    if row not in record:
        raise BenchError(f"{RECORD.name} has no {row!r}; run `make bench BENCH=vm` to record it")
    return form(record[row])


class _Numbers(Preprocessor):
    def run(self, lines: list[str]) -> list[str]:
        if not any("[[bench " in line for line in lines):
            return lines
        record = load()
        return [TOKEN.sub(lambda m: say(m[1], record), line) for line in lines]


class BenchNumbers(Extension):
    def extendMarkdown(self, md: Markdown) -> None:
        md.preprocessors.register(_Numbers(md), "bench_numbers", 27)


def makeExtension(**kwargs: Any) -> BenchNumbers:
    return BenchNumbers(**kwargs)
