"""Every built page is valid HTML by the Nu Html Checker (vnu.jar on Debian's Java).

One Java run checks every page (the JVM start-up is most of the cost). Errors Material writes
that no small override can remove are accepted one by one in vnu_allowlist.yml, each with its
reason; an entry that no longer matches anything fails, so the list cannot rot.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from sitebuild.checks import reasoned_list
from sitebuild.project import REPO
from tests.support import report

JAVA = "/usr/bin/java"  # Debian's; vnu-jar's postinstall would fetch a JRE, and we skip it
VNU = REPO / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
ALLOWLIST = Path(__file__).with_name("vnu_allowlist.yml")


@dataclass(frozen=True)
class Accepted:
    message: str
    within: str  # text the offending element's tag must contain; "" accepts it anywhere
    reason: str

    def covers(self, error: dict) -> bool:
        return error["message"] == self.message and self.within in element(error)


def load_allowlist(path: Path = ALLOWLIST) -> list[Accepted]:
    entries = reasoned_list.load(path, ("message", "reason"), optional=("in",))
    return [Accepted(e["message"], e["in"], e["reason"]) for e in entries]


def nu_errors(pages: list[Path]) -> list[dict]:
    """Every error the Nu checker reports on `pages`, in one Java run."""
    assert VNU.is_file(), f"{VNU} missing: run `make setup-test` (npm ci installs vnu-jar)"
    result = subprocess.run(
        [JAVA, "-jar", str(VNU), "--errors-only", "--format", "json", "--stdout", *map(str, pages)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    # Exit status 1 just means "errors found"; anything unparsable means the checker broke.
    try:
        messages = json.loads(result.stdout)["messages"]
    except (json.JSONDecodeError, KeyError) as error:
        raise AssertionError(f"vnu.jar gave no JSON ({error}):\n{result.stderr}") from error
    return [m for m in messages if m["type"] in ("error", "non-document-error")]


def element(error: dict) -> str:
    """The markup Nu highlights: the offending element's tag (or text), one line."""
    extract = error.get("extract", "")
    start = error.get("hiliteStart", 0)
    marked = extract[start : start + error.get("hiliteLength", len(extract))]
    return " ".join(marked.split())


def describe(error: dict, site: Path) -> str:
    """page:line:column: the rule (Nu's message), then the offending element."""
    url = error.get("url", "")
    page = url.removeprefix("file:")
    page = Path(page).relative_to(site).as_posix() if page.startswith(str(site)) else url
    where = f"{page}:{error.get('lastLine', '?')}:{error.get('firstColumn', '?')}"
    return f"{where}: {error['message']}\n    element: {element(error)}"


def check_site(site: Path, accepted: list[Accepted]) -> tuple[list[str], set[Accepted], int]:
    """(unaccepted errors described, allowlist entries that matched, pages checked)."""
    pages = sorted(site.rglob("*.html"))
    errors = nu_errors(pages)
    used = {entry for error in errors for entry in accepted if entry.covers(error)}
    problems = [
        describe(error, site)
        for error in errors
        if not any(entry.covers(error) for entry in accepted)
    ]
    return problems, used, len(pages)


@pytest.mark.slow
def test_every_page_is_valid_html(built_site: Path) -> None:
    accepted = load_allowlist()
    problems, used, pages = check_site(built_site, accepted)
    report("HTML errors", len(problems))
    assert pages > 1, f"no pages found in {built_site}"
    assert not problems, (
        f"{len(problems)} Nu Html Checker errors on {pages} pages (fix the markup, or if it is "
        f"Material's and cannot be overridden small, accept it in {ALLOWLIST.name} with a "
        "reason):\n" + "\n".join(problems)
    )
    stale = [entry.message for entry in accepted if entry not in used]
    assert not stale, f"{ALLOWLIST.name}: entries that match nothing any more, delete: {stale}"


def test_allowlist_entries_each_have_a_message_and_a_reason(tmp_path: Path) -> None:
    assert load_allowlist(), "the allowlist is empty: then delete the file and this test"
    bad = tmp_path / "allow.yml"
    bad.write_text("- message: Some error.\n  reason: ''\n")
    with pytest.raises(ValueError, match=r"allow\.yml:1: `reason` is empty .*; say why"):
        load_allowlist(bad)


@pytest.mark.slow
def test_an_injected_error_fails_naming_page_element_and_rule(
    built_site: Path, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    shutil.copytree(built_site, site)
    page = site / "architectures" / "index.html"
    html = page.read_text()
    assert html.count("</article>") == 1, f"{page}: expected one article"
    # An image with no alt text: invalid HTML, and nothing for a screen reader to say.
    page.write_text(html.replace("</article>", '<img src="../figures/injected.svg"></article>'))
    for other in site.rglob("*.html"):  # check only the broken page: one JVM run is enough
        if other != page:
            other.unlink()

    problems, _, _ = check_site(site, load_allowlist())

    assert problems, "the injected error was not reported"
    assert all(p.startswith("architectures/index.html:") for p in problems), problems
    assert len(problems) == 1, problems
    assert "An “img” element must have an “alt” attribute" in problems[0], problems
    assert 'element: <img src="../figures/injected.svg">' in problems[0], problems
