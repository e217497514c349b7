"""docs/labs/: an overview and one page per lab, with its code, its command and its real output."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from bs4 import BeautifulSoup, Tag

from tests.scripts.labkit import OUTPUT, REPO
from tests.support import text_of

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
    "vm_own_kernel",
    "startup_cost",
    "user_namespace",
    "capabilities",
    "seccomp_filter",
]
# Labs whose pages show a cgroup v2 run (recorded in the VM of test_labs_on_cgroup_v2.py) first.
CGROUP_V2 = ["cgroup_limits", "mini_container"]


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
    return [text_of(code) for code in article.select("div.highlight code")]


def run_line(lab: str) -> str:
    """The command the lab's own docstring tells the reader to run."""
    doc = (REPO / "scripts" / f"{lab}.py").read_text()
    command = re.search(r"^Run it: ((?:sudo )?python3 scripts/\w+\.py)", doc, re.MULTILINE)
    assert command, f"scripts/{lab}.py: its docstring has no 'Run it: ...' line"
    return command[1]


@pytest.mark.slow
@pytest.mark.parametrize("lab", LABS)
def test_lab_page_shows_command_and_verified_output(built_site: Path, lab: str) -> None:
    """The console block is the lab's own run command followed by its verified output file."""
    expected = f"$ {run_line(lab)}\n{(OUTPUT / f'{lab}.txt').read_text()}"
    assert expected.rstrip("\n") in [t.rstrip("\n") for t in code_texts(lab_page(built_site, lab))]


@pytest.mark.slow
@pytest.mark.parametrize("lab", LABS)
def test_lab_page_shows_the_whole_lab_to_copy(built_site: Path, lab: str) -> None:
    script = (REPO / "scripts" / f"{lab}.py").read_text()
    # Snippets drops the section markers, so compare without them.
    shown = re.sub(r"^ *# --8<-- \[(?:start|end):\w+\]\n", "", script, flags=re.MULTILINE)
    assert shown.strip() in [t.strip() for t in code_texts(lab_page(built_site, lab))]


@pytest.mark.slow
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
    outputs = LABS + [f"{lab}_v2" for lab in CGROUP_V2]
    assert sorted(p.stem for p in OUTPUT.glob("*.txt")) == sorted(outputs)


@pytest.mark.slow
@pytest.mark.parametrize("lab", CGROUP_V2)
def test_cgroup_lab_pages_show_the_v2_run_first_then_v1(built_site: Path, lab: str) -> None:
    article = lab_page(built_site, lab)
    tabs = [label.get_text(" ", strip=True) for label in article.select(".tabbed-labels label")]
    assert tabs[:2] == ["cgroup v2 (current distributions)", "cgroup v1 (older systems)"]
    codes = [t.rstrip("\n") for t in code_texts(article)]
    v2 = f"$ {run_line(lab)}\n{(OUTPUT / f'{lab}_v2.txt').read_text()}".rstrip("\n")
    v1 = f"$ {run_line(lab)}\n{(OUTPUT / f'{lab}.txt').read_text()}".rstrip("\n")
    assert codes.index(v2) < codes.index(v1)


@pytest.mark.slow
def test_startup_page_shows_the_chart_drawn_from_the_verified_output(built_site: Path) -> None:
    from sitebuild.figures import startup_chart

    article = lab_page(built_site, "startup_cost")
    img = article.select_one('img[src$="startup-cost-chart.svg"]')
    assert img is not None and "logarithmic" in img["alt"]
    chart = (built_site / "labs" / "startup-cost" / img["src"]).resolve().read_text()
    assert chart == startup_chart.svg((OUTPUT / "startup_cost.txt").read_text())
    assert "VM: QEMU start to /init" in chart and "TCG" in chart
