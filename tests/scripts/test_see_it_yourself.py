"""docs/labs/: an overview and one page per lab, with its code, its command and its real output."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from bs4 import BeautifulSoup, Tag
from labkit import OUTPUT, REPO

# The shared strict build (built_site) may happen in this module's first test.
pytestmark = pytest.mark.timeout(300)
LAB_PAGES = REPO / "docs" / "labs"
INDEX = LAB_PAGES / "index.md"
LABS = [
    "same_kernel",
    "just_a_process",
    "cgroup_limits",
    "what_it_sees",
    "mini_container",
    "network_namespaces",
    "volumes_outlive",
    "immutable_layers",
    "startup_cost",
]


# A page named for what the reader learns rather than for its script.
SLUGS = {"what_it_sees": "what-a-container-sees"}


def slug(lab: str) -> str:
    return SLUGS.get(lab, lab.replace("_", "-"))


def lab_page(built_site: Path, lab: str) -> Tag:
    """The article of the lab's own page, docs/labs/<lab with hyphens>.md."""
    page = built_site / "labs" / slug(lab) / "index.html"
    assert page.is_file(), f"docs/labs/{slug(lab)}.md is missing: every lab has a page of its own"
    article = BeautifulSoup(page.read_text(), "html.parser").select_one("article")
    assert article is not None, f"{page}: no <article>"
    return article


def code_texts(article: Tag) -> list[str]:
    return [code.get_text() for code in article.select("div.highlight code")]


def run_line(lab: str) -> str:
    """The command the lab's own docstring tells the reader to run."""
    doc = (REPO / "scripts" / f"{lab}.py").read_text()
    command = re.search(r"^Run it: ((?:sudo )?python3 scripts/\w+\.py)", doc, re.MULTILINE)
    assert command, f"scripts/{lab}.py: its docstring has no 'Run it: ...' line"
    return command[1]


@pytest.mark.parametrize("lab", LABS)
def test_lab_page_shows_command_and_verified_output(built_site: Path, lab: str) -> None:
    """The console block is the lab's own run command followed by its verified output file."""
    expected = f"$ {run_line(lab)}\n{(OUTPUT / f'{lab}.txt').read_text()}"
    assert expected.rstrip("\n") in [t.rstrip("\n") for t in code_texts(lab_page(built_site, lab))]


@pytest.mark.parametrize("lab", LABS)
def test_lab_page_shows_the_whole_lab_to_copy(built_site: Path, lab: str) -> None:
    script = (REPO / "scripts" / f"{lab}.py").read_text()
    # Snippets drops the section markers, so compare without them.
    shown = re.sub(r"^ *# --8<-- \[(?:start|end):\w+\]\n", "", script, flags=re.MULTILINE)
    assert shown.strip() in [t.strip() for t in code_texts(lab_page(built_site, lab))]


def test_overview_has_a_description_one_title_and_a_next_step(built_site: Path) -> None:
    source = INDEX.read_text()
    front = re.match(r"---\n(.*?)\n---\n", source, re.DOTALL)
    assert front and re.search(r"^description: \S.{40,}$", front[1], re.MULTILINE)
    soup = BeautifulSoup((built_site / "labs" / "index.html").read_text(), "html.parser")
    assert len(soup.select("article h1")) == 1
    last = soup.select("article h2")[-1]
    links = [a["href"] for a in last.find_all_next("a", href=True)]
    assert {"../reference/comparison/", "../reference/security/"} <= set(links)


def test_every_lab_is_in_the_table_and_make_labs() -> None:
    source = INDEX.read_text()
    # What `make labs` would run (make -n prints its recipe without running it).
    recipe = subprocess.run(
        ["make", "--no-print-directory", "-n", "labs"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for lab in LABS:
        assert f"]({slug(lab)}.md)" in source, f"{lab} missing from docs/labs/index.md's table"
        assert re.search(rf"\b{lab}\b", recipe), f"`make labs` would not run {lab}"
    assert sorted(p.stem for p in (REPO / "scripts").glob("*.py")) == sorted(LABS)
    assert sorted(p.stem for p in OUTPUT.glob("*.txt")) == sorted(LABS)
