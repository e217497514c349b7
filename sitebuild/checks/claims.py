"""The claims table, claims/claims.yml: one row per footnote of the site, so the next fact-check
starts from what the last one found. Kept in the repository, not on the site.

Each row: `page` (docs/….md), `footnote` (its id), `claim` (what the page says, in short),
`source` (the URL the claim was checked against: one of the footnote's links), `quote` (the
footnote's quoted words, a list; absent when it quotes none), `verdict` (one of VERDICTS),
`checked` (YYYY-MM-DD, the day someone compared claim and source), and optionally `note`.

tests/content/test_claims.py keeps the table in step with the pages: a footnote with no row, a
row whose footnote is gone, a source or quote the footnote no longer has, or a page whose
`checked:` date is not its oldest row's, each fails naming page and footnote.
`python -m sitebuild.checks.claims` prints a row to fill in for each footnote that lacks one.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import yaml

from sitebuild.project import REPO

TABLE = REPO / "claims" / "claims.yml"
DOCS = REPO / "docs"
REQUIRED = ("page", "footnote", "claim", "source", "verdict", "checked")
OPTIONAL = ("quote", "note")
VERDICTS = {  # the words of the fact-check passes' own claim tables
    "holds": "the source says it, for the runtime and platform the page names",
    "fixed": "the page said something else; it now says what the source does",
    "softened": "the page was more certain or more general than the source; now it is not",
}
DEFINITION = re.compile(r"^\[\^([^\]\s]+)\]:[ \t]*(.*(?:\n(?:[ \t]+.*|[ \t]*$))*)", re.MULTILINE)
QUOTED = re.compile(r'"([^"]{2,}?)"')
LINK = re.compile(r"\]\((https?://[^)\s]+)\)|<(https?://[^>\s]+)>")


class TableError(ValueError):
    """`FILE:LINE: what is wrong; what to do`, as for the project's other hand-kept lists."""

    def __init__(self, path: Path, line: int, problem: str, fix: str) -> None:
        super().__init__(f"{path}:{line}: {problem}; {fix}")


@dataclass(frozen=True)
class Footnote:
    page: str  # docs/….md
    id: str
    text: str  # the definition's Markdown, continuation lines joined
    line: int

    @property
    def urls(self) -> list[str]:
        return [a or b for a, b in LINK.findall(self.text)]

    @property
    def quotes(self) -> list[str]:
        """Quoted words after the first link and outside link texts, as the quote checker reads
        them (sitebuild/checks/quotecheck.py): a quoted title before any link, or in a link's text,
        has no source to be checked against."""
        first = LINK.search(self.text)
        if first is None:
            return []
        outside = re.sub(r"\[[^\]]*\]\([^)]*\)|<https?://[^>\s]+>", " ", self.text[first.end() :])
        return [" ".join(q.split()) for q in QUOTED.findall(outside)]


@dataclass(frozen=True)
class Row:
    page: str
    footnote: str
    claim: str
    source: str
    quote: tuple[str, ...]
    verdict: str
    checked: date
    line: int


def footnotes(docs: Path = DOCS) -> list[Footnote]:
    """Every footnote definition (`[^id]: …`) of every page, in page order."""
    found = []
    for path in sorted(docs.rglob("*.md")):
        text = path.read_text(encoding="utf-8")
        page = f"docs/{path.relative_to(docs).as_posix()}"
        for match in DEFINITION.finditer(text):
            body = " ".join(match.group(2).split())
            found.append(
                Footnote(page, match.group(1), body, text.count("\n", 0, match.start()) + 1)
            )
    return found


def load(path: Path = TABLE) -> list[Row]:
    """The table's rows; a malformed one raises TableError naming its line."""
    text = path.read_text(encoding="utf-8")
    try:
        root = yaml.compose(text)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark else 1
        raise TableError(path, line, "not valid YAML", "fix the syntax") from None
    if root is None:
        return []
    if not isinstance(root, yaml.SequenceNode):
        raise TableError(path, 1, "not a list", "write one `- page: …` entry per footnote")
    rows = []
    for item, node in zip(yaml.safe_load(text), root.value, strict=True):
        line = node.start_mark.line + 1
        keys = ", ".join(f"`{k}`" for k in (*REQUIRED, *OPTIONAL))
        if not isinstance(item, dict):
            raise TableError(path, line, "this entry is not a mapping", f"give it {keys}")
        missing = [k for k in REQUIRED if not item.get(k)]
        unknown = sorted(set(item) - {*REQUIRED, *OPTIONAL})
        if missing or unknown:
            problem = f"missing {', '.join(missing)}" if missing else f"unknown {unknown}"
            raise TableError(path, line, problem, f"each row has {keys}")
        if item["verdict"] not in VERDICTS:
            raise TableError(
                path, line, f"verdict {item['verdict']!r}", f"use one of {sorted(VERDICTS)}"
            )
        checked = item["checked"]
        if not isinstance(checked, date) or checked > date.today():
            raise TableError(path, line, f"checked {checked!r}", "give the day as YYYY-MM-DD")
        quote = item.get("quote") or []
        if not isinstance(quote, list) or not all(isinstance(q, str) for q in quote):
            raise TableError(path, line, "`quote` is not a list of text", "write `quote: [...]`")
        rows.append(
            Row(
                page=str(item["page"]),
                footnote=str(item["footnote"]),
                claim=" ".join(str(item["claim"]).split()),
                source=str(item["source"]),
                quote=tuple(" ".join(q.split()) for q in quote),
                verdict=item["verdict"],
                checked=checked,
                line=line,
            )
        )
    return rows


def _units(text: str) -> list[str]:
    """Paragraphs, with each list item and table row a unit of its own, whitespace joined."""
    units: list[str] = []
    for paragraph in re.split(r"\n\s*\n", text):
        current: list[str] = []
        for line in paragraph.splitlines():
            if re.match(r"\s*(?:[-*|]|\d+\.)\s", line) and current:
                units.append(" ".join(current))
                current = []
            current.append(line.strip())
        units.append(" ".join(current))
    return [" ".join(u.split()) for u in units if u.strip()]


def page_dates(docs: Path = DOCS) -> dict[str, date]:
    """Each page's `checked:` date, as hooks/checked.py reads it (pages without one left out)."""
    dates = {}
    for path in sorted(docs.rglob("*.md")):
        found = re.search(r"(?m)^checked:[ \t]*['\"]?(\d{4}-\d{2}-\d{2})", path.read_text("utf-8"))
        if found:
            dates[f"docs/{path.relative_to(docs).as_posix()}"] = date.fromisoformat(found.group(1))
    return dates


def problems(
    notes: Sequence[Footnote], rows: Sequence[Row], dates: dict[str, date], table: Path = TABLE
) -> list[str]:
    """Every way the table and the pages disagree, one line each, naming page and footnote."""
    table = table.relative_to(REPO) if table.is_relative_to(REPO) else table
    out = []
    by_key: dict[tuple[str, str], Row] = {}
    for row in rows:
        if (row.page, row.footnote) in by_key:
            out.append(f"{table}:{row.line}: a second row for {row.page} [^{row.footnote}]")
        by_key[(row.page, row.footnote)] = row
    seen = set()
    for note in notes:
        key = (note.page, note.id)
        seen.add(key)
        row = by_key.get(key)
        if row is None:
            out.append(
                f"{note.page}:{note.line}: footnote [^{note.id}] has no row in {table}; add one "
                "(`python -m sitebuild.checks.claims` prints it) after checking the claim"
            )
            continue
        where = f"{table}:{row.line}: {note.page} [^{note.id}]"
        if row.source not in note.urls:
            out.append(f"{where}: source {row.source} is not a link of the footnote {note.urls}")
        if list(row.quote) != note.quotes:
            out.append(f"{where}: quote {list(row.quote)} is not the footnote's {note.quotes}")
    for key, row in by_key.items():
        if key not in seen:
            out.append(
                f"{table}:{row.line}: {row.page} has no footnote [^{row.footnote}] any more; "
                "remove the row (or fix its page or footnote)"
            )
    oldest: dict[str, date] = {}
    for row in rows:
        oldest[row.page] = min(row.checked, oldest.get(row.page, row.checked))
    for page, day in sorted(oldest.items()):
        if page in dates and dates[page] != day:
            out.append(
                f"{page}: `checked: {dates[page]}` but its oldest row in {table} was checked "
                f"{day}; the page's date is the day all its claims had been checked"
            )
    return out


def claim_of(note: Footnote, docs: Path = DOCS) -> str:
    """The sentence of the page that cites the footnote, links and marks reduced to text."""
    text = (docs / note.page.removeprefix("docs/")).read_text(encoding="utf-8")
    for unit in _units(DEFINITION.sub("", text)):
        if f"[^{note.id}]" not in unit:
            continue
        unit = re.sub(r"\[([^\]^]*)\]\([^)]*\)", r"\1", unit)
        marked = re.sub(r"([.!?])((?:\[\^[^\]]+\])*)\s+(?=[A-Z`*(])", "\\1\\2\n", unit)
        for sentence in marked.splitlines():
            if f"[^{note.id}]" in sentence:
                sentence = re.sub(r"\[\^[^\]]+\]", "", sentence)
                sentence = re.sub(r"(\*\*|\*|__)([^*_]+)\1", r"\2", sentence)
                return sentence.strip("-*| ")
    return ""


def skeleton(note: Footnote, checked: str, verdict: str) -> str:
    """A row for `note`, as YAML, to be read and finished by whoever checked it."""
    row: dict[str, object] = {
        "page": note.page,
        "footnote": note.id,
        "claim": claim_of(note),
        "source": note.urls[0] if note.urls else "",
    }
    if note.quotes:
        row["quote"] = note.quotes
    row.update(verdict=verdict, checked=date.fromisoformat(checked))
    dumped = yaml.safe_dump([row], sort_keys=False, allow_unicode=True, width=96)
    return dumped


def main() -> int:
    have = {(r.page, r.footnote) for r in load()} if TABLE.exists() else set()
    missing = [n for n in footnotes() if (n.page, n.id) not in have]
    for note in missing:
        print(skeleton(note, date.today().isoformat(), "holds"), end="")
    print(f"# {len(missing)} footnotes without a row in {TABLE.relative_to(REPO)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
