"""One loader for the project's hand-kept exception lists: a YAML list of mappings, one entry per
exception, each with a `reason` a maintainer can judge (the link check's excludes, the
illustrative code blocks, the accepted HTML-checker errors).

Every error has one shape, `FILE:LINE: what is wrong; what to do`, so whoever edits a list is
sent to the line to fix.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml


class ListError(ValueError):
    """A bad list or entry: `FILE:LINE: what is wrong; what to do`."""

    def __init__(self, path: Path, line: int, problem: str, fix: str) -> None:
        super().__init__(f"{path}:{line}: {problem}; {fix}")


@dataclass(frozen=True)
class Entry:
    """One entry: its keys' values (text, stripped) and where it starts."""

    values: dict[str, str]
    path: Path
    line: int

    def __getitem__(self, key: str) -> str:
        return self.values.get(key, "")

    def fail(self, problem: str, fix: str) -> ListError:
        """An error at this entry, for checks a caller adds (a valid regular expression...)."""
        return ListError(self.path, self.line, problem, fix)


def load(path: Path, required: Sequence[str], optional: Sequence[str] = ()) -> list[Entry]:
    """The entries of `path`; each must have every key of `required` (one of them `reason`) and
    may have those of `optional`, all non-empty text. An empty file is an empty list."""
    keys = ", ".join(f"`{k}`" for k in [*required, *optional])
    text = path.read_text(encoding="utf-8")
    try:
        root = yaml.compose(text)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark else 1
        raise ListError(path, line, f"not valid YAML ({err.problem})", "fix the syntax") from None
    if root is None:
        return []
    if not isinstance(root, yaml.SequenceNode):
        raise ListError(path, 1, "not a list", f"write one `- ` entry per item, with {keys}")
    entries = []
    for item, node in zip(yaml.safe_load(text), root.value, strict=True):
        line = node.start_mark.line + 1
        if not isinstance(item, dict):
            raise ListError(path, line, "this entry is not a mapping", f"give it {keys}")
        missing = [k for k in required if k not in item]
        unknown = sorted(set(item) - {*required, *optional})
        if missing:
            raise ListError(path, line, f"missing {', '.join(missing)}", f"each entry has {keys}")
        if unknown:
            raise ListError(path, line, f"unknown key {', '.join(unknown)}", f"use only {keys}")
        for key, value in item.items():
            if not isinstance(value, str) or not value.strip():
                fix = "say why this entry is needed" if key == "reason" else "give it as text"
                raise ListError(path, line, f"`{key}` is empty or not text", fix)
        values = {key: value.strip() for key, value in item.items()}
        entries.append(Entry(values, path, line))
    return entries
