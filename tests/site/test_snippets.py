"""The code a reader sees is code CI runs, checked on the Markdown fences themselves.

* Every fenced block in docs/ holds only snippet lines embedding a file of scripts/
  (`--8<-- "scripts/x.py"`, or one section: `"scripts/x.py:name"`). A console block may first
  run a lab (`$ sudo python3 scripts/x.py`) and then shows that lab's verified output, one file
  of scripts/output/. Any other block is illustrative: listed with its reason in
  illustrative_blocks.yml, or the check fails naming docs/PAGE:LINE.
* Every file of scripts/ (each lab and each verified output) is shown on a page and named by a
  test.
* No code reaches the site another way: each built page has exactly the highlighted blocks that
  its checked fences and its figures' Source blocks account for.

Whether each snippet's file and section exist is the build's job: `mkdocs build --strict` with
`check_paths: true` fails naming the page (the last test keeps that so).
"""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from mkdocs.structure.files import File

from sitebuild.checks import reasoned_list
from sitebuild.project import REPO, build, config
from tests.support import report

ILLUSTRATIVE = Path(__file__).with_name("illustrative_blocks.yml")
RULE_FROM_SCRIPTS = "code on the site comes from scripts/ through snippets, or is listed"
RULE_EMBEDDED = "every file in scripts/ is shown on at least one page"
RULE_TESTED = "every file in scripts/ is exercised by at least one test"
FENCE = re.compile(r"^[ \t]*(?P<fence>`{3,}|~{3,})[ \t]*(?P<language>[\w+-]*)")
SNIPPET = re.compile(r'^--8<-- "(?P<file>[^":]+)(?::[\w-]+)?"$')
# A line that runs a lab, as a page tells the reader to: `$ sudo python3 scripts/x.py --flag`.
RUN_LAB = re.compile(r"^\$ (?:sudo )?python3 (?P<path>scripts/\w+\.py)(?: .*)?$")
# sitebuild.figures.markdown's marker.
FIGURE = re.compile(r"^[ \t]*\[\[figure[ \t]+\S+?[ \t]*\]\][ \t]*$")


@dataclass(frozen=True)
class Fence:
    page: str  # relative to docs/
    line: int  # the opening fence's line
    language: str
    lines: tuple[str, ...]  # the non-blank lines inside, stripped

    @property
    def first_line(self) -> str:
        return self.lines[0] if self.lines else ""

    def __str__(self) -> str:
        return f"docs/{self.page}:{self.line}: {self.language or 'plain'} block"


@dataclass(frozen=True)
class Page:
    fences: list[Fence]
    figures: int  # `[[figure NAME]]` lines: each becomes a figure with its own Source block


def read_page(path: Path, docs: Path) -> Page:
    """The fenced blocks of one page (CommonMark's rule: a fence closes on a line of at least as
    many of the same character; an unclosed one runs to the end), and its figure markers."""
    page, lines = path.relative_to(docs).as_posix(), path.read_text(encoding="utf-8").splitlines()
    fences, figures, i = [], 0, 0
    while i < len(lines):
        opening = FENCE.match(lines[i])
        if opening is None:
            figures += bool(FIGURE.match(lines[i]))
            i += 1
            continue
        char, size = opening["fence"][0], len(opening["fence"])
        closing = re.compile(rf"^[ \t]*{re.escape(char)}{{{size},}}[ \t]*$")
        end = next((j for j in range(i + 1, len(lines)) if closing.match(lines[j])), len(lines))
        body = tuple(line.strip() for line in lines[i + 1 : end] if line.strip())
        fences.append(Fence(page, i + 1, opening["language"], body))
        i = end + 1
    return Page(fences, figures)


def read_docs(docs: Path) -> dict[str, Page]:
    return {p.relative_to(docs).as_posix(): read_page(p, docs) for p in sorted(docs.rglob("*.md"))}


def shown_files(fence: Fence, root: Path) -> list[str] | str:
    """The files of scripts/ the block embeds, in order; or, as text, why it is not tested code."""
    lines = list(fence.lines)
    run = RUN_LAB.match(lines[0]) if lines and fence.language == "console" else None
    if lines and fence.language == "console" and lines[0].startswith("$ ") and not run:
        return f"`{lines[0]}` does not run a lab of scripts/"
    if run:
        if not (root / run["path"]).is_file():
            return f"`{lines[0]}` runs {run['path']}, which does not exist"
        lines = lines[1:]
    if not lines:
        return "it embeds no file"
    files = []
    for line in lines:
        snippet = SNIPPET.match(line)
        if snippet is None:
            return f'{line!r} is not a snippet line (--8<-- "scripts/FILE")'
        if not snippet["file"].startswith("scripts/"):
            return f"it embeds {snippet['file']}, which is not in scripts/"
        files.append(snippet["file"])
    if run:
        lab = Path(run["path"]).stem
        output = Path(files[0])
        if len(files) > 1 or output.parent.as_posix() != "scripts/output" or lab not in output.stem:
            return f"after {run['path']} it must show that lab's output, scripts/output/{lab}.txt"
    return files


def _shown(path: Path) -> Path:
    return path.relative_to(REPO) if path.is_relative_to(REPO) else path


def load_illustrative(path: Path = ILLUSTRATIVE) -> list[reasoned_list.Entry]:
    return reasoned_list.load(path, ("page", "first_line", "reason"))


def check_fences(
    fences: list[Fence], illustrative: list[reasoned_list.Entry], root: Path
) -> tuple[list[str], dict[Fence, list[str]]]:
    """Failures, and for each block made of snippets the files of scripts/ it shows."""
    listed = {(e["page"].removeprefix("docs/"), e["first_line"]): e for e in illustrative}
    used, failures, shown = set(), [], {}
    for fence in fences:
        files = shown_files(fence, root)
        if isinstance(files, list):
            shown[fence] = files
        elif (fence.page, fence.first_line) in listed:
            used.add((fence.page, fence.first_line))
        else:
            failures.append(
                f"{fence}: {files} (rule: {RULE_FROM_SCRIPTS}). Embed tested code with "
                '--8<-- "scripts/NAME.py:section" (in a console block: `$ sudo python3 '
                'scripts/NAME.py`, then --8<-- "scripts/output/NAME.txt"), or, if it cannot run '
                f"here, list it in {_shown(ILLUSTRATIVE)} (page: {fence.page}, "
                f"first_line: {fence.first_line!r}, reason: why)"
            )
    failures += [
        f"{_shown(e.path)}:{e.line}: no hand-written block on docs/{e['page']} starts with "
        f"{e['first_line']!r}; fix first_line or remove the entry"
        for key, e in listed.items()
        if key not in used
    ]
    return failures, shown


def snippet_files(root: Path) -> list[Path]:
    """What a page may show from scripts/: its Python files and, in scripts/output/, the verified
    output. (Tool settings such as scripts/ruff.toml are not reader-facing.)"""
    top = root / "scripts"
    return sorted(
        p
        for p in top.rglob("*")
        if p.is_file()
        and "__pycache__" not in p.parts
        and p.stat().st_size
        and (p.suffix == ".py" or "output" in p.relative_to(top).parts[:-1])
    )


def _test_tokens(root: Path) -> list[set[str]]:
    """Names and words in string literals of every test module, other than the site checks."""
    out = []
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
        out.append(words)
    return out


# ------------------------------------------------------------------- the tests


def test_every_code_block_is_tested_code_or_listed_illustrative() -> None:
    fences = [f for page in read_docs(REPO / "docs").values() for f in page.fences]
    failures, shown = check_fences(fences, load_illustrative(), REPO)
    assert not failures, "\n".join(failures)
    report("snippets", len(shown))


def test_every_file_in_scripts_is_shown_on_a_page() -> None:
    fences = [f for page in read_docs(REPO / "docs").values() for f in page.fences]
    _, shown = check_fences(fences, load_illustrative(), REPO)
    on_pages = {file for files in shown.values() for file in files}
    failures = [
        f'{rel}: not on any page (rule: {RULE_EMBEDDED}). Embed it with --8<-- "{rel}" or a '
        "section of it"
        for rel in (p.relative_to(REPO).as_posix() for p in snippet_files(REPO))
        if rel not in on_pages
    ]
    assert not failures, "\n".join(failures)


def test_every_file_in_scripts_is_named_by_a_test() -> None:
    tokens = _test_tokens(REPO)
    failures = [
        f"{path.relative_to(REPO).as_posix()}: no test names {path.stem!r} (rule: {RULE_TESTED})."
        f" Add tests/scripts/test_{path.stem}.py that runs it (and checks its output file)"
        for path in snippet_files(REPO)
        if not any(path.stem in words for words in tokens)
    ]
    assert not failures, "\n".join(failures)


def test_hand_written_blocks_fail_naming_page_and_line(tmp_path: Path) -> None:
    lab, output = "scripts/same_kernel.py", "scripts/output/same_kernel.txt"
    blocks = {
        "typed": ["```python", "print('typed into the page')", "```"],
        "copied": ["```python", (REPO / lab).read_text().splitlines()[0], "```"],
        "elsewhere": ["```yaml", '--8<-- "mkdocs.yml"', "```"],
        "no lab": ["```console", "$ python3 scripts/no_such_lab.py", f'--8<-- "{output}"', "```"],
        "wrong output": ["```console", f"$ python3 {lab}", f'--8<-- "{lab}"', "```"],
        "section": ["~~~~python", f'--8<-- "{lab}:child"', "~~~~"],
        "run": ["```console", f"$ sudo python3 {lab}", f'--8<-- "{output}"', "```"],
        "listed": ["```bash", "docker ps", "```"],
    }
    (tmp_path / "docs").mkdir()
    text = "\n\n".join("\n".join(block) for block in blocks.values())
    (tmp_path / "docs" / "page.md").write_text(f"# Page\n\n{text}\n")
    starts, line = {}, 3  # each block's opening line: after the heading and a blank line
    for name, block in blocks.items():
        starts[name], line = line, line + len(block) + 1
    listed = tmp_path / "listed.yml"
    listed.write_text(
        "- page: page.md\n  first_line: docker ps\n  reason: needs an engine\n"
        "- page: page.md\n  first_line: docker pss\n  reason: a typo\n"
    )
    fences = read_docs(tmp_path / "docs")["page.md"].fences
    failures, shown = check_fences(fences, load_illustrative(listed), REPO)

    bad = ["typed", "copied", "elsewhere", "no lab", "wrong output"]
    for name in bad:
        hits = [f for f in failures if f.startswith(f"docs/page.md:{starts[name]}: ")]
        assert len(hits) == 1 and RULE_FROM_SCRIPTS in hits[0], (name, failures)
    assert "no_such_lab.py, which does not exist" in failures[3], failures
    assert failures[-1].startswith(f"{listed}:4: no hand-written block"), failures
    assert len(failures) == len(bad) + 1, failures
    assert sorted(shown.values()) == [[output], [lab]], "a section and a lab's run pass"


@pytest.mark.slow
def test_no_code_reaches_the_site_unchecked(built_site: Path) -> None:
    """Each built page's highlighted blocks are its checked fences plus its figures' Source
    blocks: an indented code block or a block from anywhere else would be counted here."""
    docs = REPO / "docs"
    use_directory_urls = config().use_directory_urls
    failures = []
    for src, page in read_docs(docs).items():
        html = built_site / File(src, str(docs), "/site", use_directory_urls).dest_uri
        found = len(BeautifulSoup(html.read_text(), "html.parser").select("div.highlight"))
        if found != len(page.fences) + page.figures:
            failures.append(
                f"docs/{src}: {found} code blocks on the built page, but {len(page.fences)} "
                f"fenced blocks and {page.figures} figures in the Markdown: write code only in "
                "fenced blocks, so this check sees it"
            )
    assert not failures, "\n".join(failures)


@pytest.mark.slow
def test_a_missing_snippet_section_fails_the_strict_build_naming_the_page(
    project_copy: Path,
) -> None:
    assert config().mdx_configs["pymdownx.snippets"]["check_paths"] is True
    page = project_copy / "docs" / "labs" / "same-kernel.md"
    page.write_text(page.read_text() + '\n```python\n--8<-- "scripts/same_kernel.py:nope"\n```\n')
    built = build(project_copy, project_copy / "site")
    assert built.returncode != 0
    assert "labs/same-kernel.md" in built.stderr and "'nope' could not be located" in built.stderr
