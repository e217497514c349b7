"""docs/see-it-yourself.md: one section per lab, showing its code, its command, its real output."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from bs4 import BeautifulSoup, Tag
from labkit import OUTPUT, REPO

# The shared strict build (built_site) may happen in this module's first test.
pytestmark = pytest.mark.timeout(300)
PAGE = REPO / "docs" / "see-it-yourself.md"
LABS = [
    "same_kernel",
    "just_a_process",
    "cgroup_limits",
    "mini_container",
    "volumes_outlive",
    "immutable_layers",
    "startup_cost",
]


def section(soup: BeautifulSoup, lab: str) -> list[Tag]:
    """The elements from the lab's h2 (id = lab name with hyphens) up to the next h2."""
    heading = soup.find("h2", id=lab.replace("_", "-"))
    assert heading, f"docs/see-it-yourself.md has no section {{ #{lab.replace('_', '-')} }}"
    parts = []
    for sibling in heading.find_next_siblings():
        if sibling.name == "h2":
            break
        parts.append(sibling)
    return parts


def code_texts(parts: list[Tag]) -> list[str]:
    return [code.get_text() for part in parts for code in part.select("div.highlight code")]


def run_line(lab: str) -> str:
    """The command the lab's own docstring tells the reader to run."""
    doc = (REPO / "scripts" / f"{lab}.py").read_text()
    command = re.search(r"^Run it: ((?:sudo )?python3 scripts/\w+\.py)", doc, re.MULTILINE)
    assert command, f"scripts/{lab}.py: its docstring has no 'Run it: ...' line"
    return command[1]


@pytest.fixture(scope="module")
def soup(built_site: Path) -> BeautifulSoup:
    html = (built_site / "see-it-yourself" / "index.html").read_text()
    return BeautifulSoup(html, "html.parser")


@pytest.mark.parametrize("lab", LABS)
def test_section_shows_command_and_verified_output(soup: BeautifulSoup, lab: str) -> None:
    """The console block is the lab's own run command followed by its verified output file."""
    expected = f"$ {run_line(lab)}\n{(OUTPUT / f'{lab}.txt').read_text()}"
    assert expected.rstrip("\n") in [t.rstrip("\n") for t in code_texts(section(soup, lab))]


@pytest.mark.parametrize("lab", LABS)
def test_section_shows_the_whole_lab_to_copy(soup: BeautifulSoup, lab: str) -> None:
    script = (REPO / "scripts" / f"{lab}.py").read_text()
    # Snippets drops the section markers, so compare without them.
    shown = re.sub(r"^ *# --8<-- \[(?:start|end):\w+\]\n", "", script, flags=re.MULTILINE)
    assert shown.strip() in [t.strip() for t in code_texts(section(soup, lab))]


def test_page_has_a_description_one_title_and_a_next_step(soup: BeautifulSoup) -> None:
    source = PAGE.read_text()
    front = re.match(r"---\n(.*?)\n---\n", source, re.DOTALL)
    assert front and re.search(r"^description: \S.{40,}$", front[1], re.MULTILINE)
    assert len(soup.select("article h1")) == 1
    last = soup.select("article h2")[-1]
    links = [a["href"] for a in last.find_all_next("a", href=True)]
    assert {"../reference/comparison/", "../reference/security/"} <= set(links)


def test_every_lab_is_in_the_table_and_make_labs() -> None:
    source = PAGE.read_text()
    # What `make labs` would run (make -n prints its recipe without running it).
    recipe = subprocess.run(
        ["make", "--no-print-directory", "-n", "labs"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for lab in LABS:
        assert f"](#{lab.replace('_', '-')})" in source, f"{lab} missing from the page's table"
        assert re.search(rf"\b{lab}\b", recipe), f"`make labs` would not run {lab}"
    assert sorted(p.stem for p in (REPO / "scripts").glob("*.py")) == sorted(LABS)
    assert sorted(p.stem for p in OUTPUT.glob("*.txt")) == sorted(LABS)
