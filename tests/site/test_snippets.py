"""Check 3: the code a reader sees is code CI runs.

* Every snippet a page names (`--8<-- "scripts/x.py:section"`) exists: file and section.
* Every code block on the built site is made of snippets from scripts/ (labs and their verified
  output) or diagrams/ (a figure's "Source" block), plus lines that run a lab
  (`sudo python3 scripts/x.py`), unless it is listed in illustrative_blocks.yml with a reason.
* Every file in scripts/ is shown on at least one page and named by at least one test.

"Made of snippets" is decided by text: the block's lines must equal, piece by piece, what
pymdownx.snippets (configured as in mkdocs.yml) yields for a whole file or one named section.
A hand-copied block passes only while it is identical, which is the point.
"""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import markdown
import pytest
import yaml
from bs4 import BeautifulSoup
from conftest import REPO, build, report
from mkdocs.config import load_config
from mkdocs.structure.files import File
from pymdownx.snippets import SnippetMissingError, SnippetPreprocessor

ILLUSTRATIVE = Path(__file__).with_name("illustrative_blocks.yml")
SNIPPET_SOURCES = ("scripts", "diagrams")  # diagrams/: each figure's "Source" block
RULE_SNIPPET = "every snippet a page names must exist: file and section"
RULE_FROM_SCRIPTS = "code on the site comes from scripts/ through snippets, or is listed"
RULE_EMBEDDED = "every file in scripts/ is shown on at least one page"
RULE_TESTED = "every file in scripts/ is exercised by at least one test"
# A line that runs a lab, as a page tells the reader to: `$ sudo python3 scripts/x.py --flag`.
RUN_LAB = re.compile(r"^(?:[$#] )?(?:sudo )?python3? (?P<path>scripts/\S+\.py)(?: .*)?$")


# ------------------------------------------------------------------- snippets, as MkDocs does


@cache
def _snippets_config(root: Path) -> dict:
    config = load_config(str(root / "mkdocs.yml"))
    options = dict(config["mdx_configs"].get("pymdownx.snippets", {}))
    # Paths are relative to where MkDocs runs (the project root); auto_append is page furniture.
    options["base_path"] = [str(root / p) for p in options.get("base_path", ["."])]
    options.update(check_paths=True, auto_append=[])
    return options


def _preprocessor(root: Path) -> SnippetPreprocessor:
    md = markdown.Markdown(
        extensions=["pymdownx.snippets"],
        extension_configs={"pymdownx.snippets": _snippets_config(root)},
    )
    return md.preprocessors["snippet"]


def _normalise(lines: list[str]) -> tuple[str, ...]:
    """Trailing spaces and surrounding blank lines never reach the reader's eye."""
    out = [line.rstrip() for line in lines]
    while out and not out[0]:
        out.pop(0)
    while out and not out[-1]:
        out.pop()
    return tuple(out)


def snippet_files(root: Path, top: str = "scripts") -> list[Path]:
    """What a page may show from `top`: its Python files and, in scripts/output/, the verified
    output. (Tool settings such as scripts/ruff.toml are not reader-facing.)"""
    return sorted(
        p
        for p in (root / top).rglob("*")
        if p.is_file()
        and "__pycache__" not in p.parts
        and p.stat().st_size
        and (p.suffix == ".py" or "output" in p.relative_to(root / top).parts[:-1])
    )


def snippet_texts(root: Path) -> dict[str, tuple[str, ...]]:
    """`scripts/x.py` and `scripts/x.py:section` -> the lines snippets puts on a page."""
    pre = _preprocessor(root)
    texts: dict[str, tuple[str, ...]] = {}
    for top in SNIPPET_SOURCES:
        for path in snippet_files(root, top):
            rel = path.relative_to(root).as_posix()
            try:
                lines = path.read_text(encoding="utf-8").splitlines()
            except UnicodeDecodeError:
                continue  # not text: no page can show it as code
            texts[rel] = _normalise(pre.run([f'--8<-- "{rel}"']))
            for line in lines:
                marker = SnippetPreprocessor.RE_SNIPPET_SECTION.match(line)
                if marker and marker["type"] == "start" and not marker["escape"]:
                    key = f"{rel}:{marker['name']}"
                    texts[key] = _normalise(pre.run([f'--8<-- "{key}"']))
    return {key: lines for key, lines in texts.items() if lines}


def snippet_reference_errors(root: Path) -> list[str]:
    """Every `--8<--` line in docs/, resolved exactly as the build will, named by page:line."""
    pre = _preprocessor(root)
    errors = []
    for page in sorted((root / "docs").rglob("*.md")):
        block = False
        for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), start=1):
            marker = SnippetPreprocessor.RE_ALL_SNIPPETS.match(line)
            if marker and marker["block_marker"]:
                block = not block
                continue
            if marker and marker["escape"]:
                continue
            if marker:
                target = marker["snippet"][1:-1].strip()
            elif block and line.strip() and not line.strip().startswith(";"):
                target = line.strip()
            else:
                continue
            try:
                pre.run([f'--8<-- "{target}"'])
            except SnippetMissingError as err:
                file = target.split(":", 1)[0]
                errors.append(
                    f"{page.relative_to(root)}:{number}: {target}: {err} (in {file}) "
                    f"(rule: {RULE_SNIPPET})"
                )
    return errors


# ------------------------------------------------------------------- code blocks on the site


@dataclass(frozen=True)
class Block:
    page: str  # the Markdown source, relative to docs/ ("" for theme pages such as 404.html)
    html: str  # the built page, relative to the site
    language: str
    lines: tuple[str, ...]

    @property
    def first_line(self) -> str:
        return next((line.strip() for line in self.lines if line.strip()), "")

    def __str__(self) -> str:
        where = f"docs/{self.page} ({self.html})" if self.page else self.html
        return f"{where}: {self.language or 'plain'} block starting {self.first_line!r}"


def source_pages(root: Path) -> dict[str, str]:
    """Built page (e.g. `reference/faq/index.html`) -> its Markdown source (`reference/faq.md`)."""
    config = load_config(str(root / "mkdocs.yml"))
    docs = root / "docs"
    out = {}
    for md in docs.rglob("*.md"):
        src = md.relative_to(docs).as_posix()
        file = File(src, str(docs), "/site", use_directory_urls=config["use_directory_urls"])
        out[file.dest_uri] = src
    return out


def code_blocks(site: Path, root: Path) -> list[Block]:
    """Every highlighted code block (pymdownx.highlight's div.highlight) on every built page."""
    sources = source_pages(root)
    blocks = []
    for path in sorted(site.rglob("*.html")):
        html = path.relative_to(site).as_posix()
        soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
        for div in soup.select("div.highlight"):
            code = div.find("code")  # line numbers, if any, sit in a <pre> without <code>
            if code is None:
                continue
            language = next(
                (c.removeprefix("language-") for c in div["class"] if c.startswith("language-")),
                "",
            )
            lines = _normalise(code.get_text().split("\n"))
            blocks.append(Block(sources.get(html, ""), html, language, lines))
    return blocks


def made_of_snippets(
    lines: tuple[str, ...], texts: dict[str, tuple[str, ...]], root: Path
) -> list[str] | None:
    """The snippet keys and lab runs the block is made of, in order; None if it is not.

    Pieces: a whole snippet text, a line running an existing scripts/ file, a blank line.
    """
    # reach[i]: a way to cover lines[:i], as the list of pieces used
    reach: dict[int, list[str]] = {0: []}
    for i in range(len(lines) + 1):
        if i not in reach:
            continue
        if i == len(lines):
            return reach[i]
        line = lines[i]
        run = RUN_LAB.match(line)
        if not line:
            reach.setdefault(i + 1, reach[i])
        elif run and (root / run["path"]).is_file():
            reach.setdefault(i + 1, [*reach[i], f"run {run['path']}"])
        for key, text in texts.items():
            if lines[i : i + len(text)] == text:
                reach.setdefault(i + len(text), [*reach[i], key])
    return None


# ------------------------------------------------------------------- the illustrative list


@dataclass(frozen=True)
class Illustrative:
    page: str
    first_line: str
    reason: str
    line: int  # in illustrative_blocks.yml


def load_illustrative(path: Path = ILLUSTRATIVE) -> list[Illustrative]:
    text = path.read_text(encoding="utf-8")
    data = yaml.safe_load(text) or []
    nodes = yaml.compose(text).value if data else []
    if not isinstance(data, list):
        raise ValueError(f"{path}:1: expected a list of entries with page, first_line, reason")
    entries = []
    for item, node in zip(data, nodes, strict=True):
        line = node.start_mark.line + 1
        if not isinstance(item, dict) or set(item) != {"page", "first_line", "reason"}:
            raise ValueError(f"{path}:{line}: each entry needs exactly page, first_line, reason")
        if not all(isinstance(item[k], str) and item[k].strip() for k in item):
            raise ValueError(f"{path}:{line}: page, first_line and reason must be non-empty text")
        page = item["page"].strip().removeprefix("docs/")
        entries.append(Illustrative(page, item["first_line"].strip(), item["reason"].strip(), line))
    return entries


def check_blocks(
    blocks: list[Block], illustrative: list[Illustrative], root: Path
) -> tuple[list[str], dict[Block, list[str]]]:
    """Failures, and for each block made of snippets the pieces it is made of."""
    texts = snippet_texts(root)
    listed = {(e.page, e.first_line): e for e in illustrative}
    used: set[tuple[str, str]] = set()
    failures, from_snippets = [], {}
    for block in blocks:
        pieces = made_of_snippets(block.lines, texts, root)
        if pieces is not None:
            from_snippets[block] = pieces
        elif (block.page, block.first_line) in listed:
            used.add((block.page, block.first_line))
        else:
            failures.append(
                f"{block}: not from scripts/ through snippets (rule: {RULE_FROM_SCRIPTS}). "
                f'Embed the tested code with --8<-- "scripts/NAME.py:section", or, if it cannot '
                f"run here, list it in {ILLUSTRATIVE.relative_to(REPO)} (page: {block.page}, "
                f"first_line: {block.first_line!r}, reason: why)"
            )
    for entry in illustrative:
        if (entry.page, entry.first_line) not in used:
            failures.append(
                f"{ILLUSTRATIVE.relative_to(REPO)}:{entry.line}: no hand-written block on "
                f"docs/{entry.page} starts with {entry.first_line!r}: fix first_line or remove "
                "the entry (rule: the list names only blocks that exist)"
            )
    return failures, from_snippets


# ------------------------------------------------------------------- tests of scripts/


def _test_tokens(root: Path) -> dict[Path, set[str]]:
    """Names and words in string literals of every test module, other than the site checks."""
    out = {}
    for module in sorted((root / "tests").rglob("test_*.py")):
        if module.parent.name == "site":
            continue
        words: set[str] = set()
        source = module.read_text(encoding="utf-8")
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.NAME:
                words.add(tok.string)
            elif tok.type == tokenize.STRING:
                words.update(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", tok.string))
        out[module] = words
    return out


def untested_files(root: Path) -> list[str]:
    tokens = _test_tokens(root)
    failures = []
    for path in snippet_files(root):
        rel = path.relative_to(root / "scripts")
        stem = path.stem
        if not any(stem in words for words in tokens.values()):
            failures.append(
                f"scripts/{rel.as_posix()}: no test names {stem!r} (rule: {RULE_TESTED}). Add "
                f"tests/scripts/test_{stem}.py that runs it (and checks its output file)"
            )
    return failures


# ------------------------------------------------------------------- the tests


def test_every_snippet_a_page_names_exists() -> None:
    errors = snippet_reference_errors(REPO)
    assert not errors, "\n".join(errors)


@cache
def _site_check(site: Path) -> tuple[list[str], dict[Block, list[str]]]:
    """The block check on the real site, computed once for the tests below."""
    return check_blocks(code_blocks(site, REPO), load_illustrative(), REPO)


def test_every_code_block_is_tested_code_or_listed_illustrative(built_site: Path) -> None:
    failures, from_snippets = _site_check(built_site)
    assert not failures, "\n".join(failures)
    report("snippets", len(from_snippets))


def test_every_file_in_scripts_is_shown_on_a_page(built_site: Path) -> None:
    _, from_snippets = _site_check(built_site)
    shown = {piece.split(":", 1)[0] for pieces in from_snippets.values() for piece in pieces}
    failures = [
        f"{path.relative_to(REPO).as_posix()}: not on any page (rule: {RULE_EMBEDDED}). Embed "
        f'it with --8<-- "{path.relative_to(REPO).as_posix()}" or a section of it'
        for path in snippet_files(REPO)
        if path.relative_to(REPO).as_posix() not in shown
    ]
    assert not failures, "\n".join(failures)


def test_every_file_in_scripts_is_named_by_a_test() -> None:
    failures = untested_files(REPO)
    assert not failures, "\n".join(failures)


def test_illustrative_list_names_the_line_of_a_bad_entry(tmp_path: Path) -> None:
    bad = tmp_path / "illustrative.yml"
    bad.write_text("- page: faq.md\n  first_line: docker ps\n  reason: ok\n- page: faq.md\n")
    with pytest.raises(ValueError, match=r"illustrative\.yml:4: each entry needs exactly"):
        load_illustrative(bad)


LAB = "scripts/same_kernel.py"


@pytest.mark.slow
def test_missing_snippet_file_and_section_fail_naming_page_line_and_rule(
    project_copy: Path,
) -> None:
    page = project_copy / "docs" / "labs" / "same-kernel.md"
    lines = page.read_text().splitlines()
    page.write_text(
        "\n".join(
            [
                *lines,
                "",
                "```python",
                '--8<-- "scripts/no_such_lab.py"',
                "```",
                "",
                "```python",
                f'--8<-- "{LAB}:no-such-section"',
                "```",
                "",
            ]
        )
    )
    errors = snippet_reference_errors(project_copy)
    file_line, section_line = len(lines) + 3, len(lines) + 7
    assert len(errors) == 2, errors
    assert errors[0].startswith(f"docs/labs/same-kernel.md:{file_line}: scripts/no_such_lab.py:")
    assert "could not be found" in errors[0] and RULE_SNIPPET in errors[0]
    assert errors[1].startswith(f"docs/labs/same-kernel.md:{section_line}: {LAB}:no-such-section")
    assert "'no-such-section' could not be located" in errors[1] and f"(in {LAB})" in errors[1]
    # The strict build stops too, naming the page (it reports the first of the two).
    built = build(project_copy, project_copy / "site")
    assert built.returncode != 0
    assert "labs/same-kernel.md" in built.stderr and "no_such_lab.py" in built.stderr


@pytest.mark.slow
def test_hand_written_or_drifted_code_fails_naming_page_and_block(project_copy: Path) -> None:
    lab = (project_copy / LAB).read_text().splitlines()
    section = next(  # any named section of the lab, to show that a section embed passes
        m["name"]
        for m in map(SnippetPreprocessor.RE_SNIPPET_SECTION.match, lab)
        if m and m["type"] == "start"
    )
    (project_copy / "scripts" / "output").mkdir(exist_ok=True)
    (project_copy / "scripts" / "output" / "fault_demo.txt").write_text("kernel: same\n")
    drifted = [*lab[:-1], lab[-1] + "  # edited on the page, not in the script"]
    fences = {
        "typed": ["```python", "print('typed into the page')", "```"],
        "drifted": ["```python", *drifted, "```"],
        "section": ["```python", f'--8<-- "{LAB}:{section}"', "```"],
        "run": [
            "```console",
            f"$ sudo python3 {LAB}",
            '--8<-- "scripts/output/fault_demo.txt"',
            "```",
        ],
    }
    page = project_copy / "docs" / "together.md"
    page.write_text(page.read_text() + "".join("\n\n" + "\n".join(f) for f in fences.values()))
    site = project_copy / "site"
    built = build(project_copy, site)
    assert built.returncode == 0, built.stderr

    blocks = [b for b in code_blocks(site, project_copy) if b.page == "together.md"]
    failures, from_snippets = check_blocks(blocks, load_illustrative(), project_copy)
    where = "docs/together.md (together/index.html): python block starting"
    typed = [f for f in failures if f.startswith(f"{where} \"print('typed into the page')\"")]
    assert len(typed) == 1 and RULE_FROM_SCRIPTS in typed[0], failures
    assert sum(f.startswith(f"{where} {drifted[0].strip()!r}") for f in failures) == 1, failures
    # Tested code passes: a section embed, and a run of a lab followed by its output file.
    assert [f"{LAB}:{section}"] in from_snippets.values()
    assert [f"run {LAB}", "scripts/output/fault_demo.txt"] in from_snippets.values()
