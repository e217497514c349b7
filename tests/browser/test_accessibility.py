"""axe-core finds no accessibility violation on any built page, in either palette.

Each page is opened in Chromium from the local server, with the reader's system preference
emulated as light and as dark (the palette Material shows on a first visit follows it), and
axe-core from node_modules runs on the page after Material's JavaScript has built its parts.
"""

from __future__ import annotations

import shutil
import textwrap
import time
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from playwright.sync_api import Browser

from sitebuild.project import REPO
from tests.browser.pages import SCHEMES, page_paths, serve
from tests.support import report

pytestmark = pytest.mark.browser
AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"

# After `document$` (Material's "page is ready" signal, also on instant navigation) has fired,
# so that the code copy buttons and palette exist, as a reader meets them. Every <details> is
# opened first, so what sitebuild/pages/deferred.py keeps in a <template> until then is audited
# too, as the reader gets it.
RUN_AXE = """async () => {
  await new Promise(resolve => document$.subscribe(() => resolve()));
  // And once the page is idle after loading, when overrides/main.html has made every code
  // block that scrolls sideways focusable (Material mounts a block only when it is in view).
  if (document.readyState !== "complete") await new Promise(r => addEventListener("load", r));
  await new Promise(resolve => requestIdleCallback(resolve));
  for (const details of document.querySelectorAll("details:not([open])")) details.open = true;
  for (let frame = 0; document.querySelector("details > template[data-deferred]"); frame++) {
    if (frame > 100) throw new Error("opened <details> still hold their <template>");
    await new Promise(resolve => requestAnimationFrame(resolve));
  }
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return {
    scheme: document.body.getAttribute("data-md-color-scheme"),
    violations: result.violations.map(v => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.map(n => ({target: n.target.join(" "), html: n.html,
                                summary: n.failureSummary})),
    })),
  };
}"""


def audit(browser: Browser, site_url: str, paths: list[str], preference: str) -> list[str]:
    """Run axe on each page with the system colour preference `preference`; one line per
    offending element: page, palette, rule, element and what to fix."""
    assert AXE.is_file(), f"{AXE} missing: run `make setup-test` (npm ci installs axe-core)"
    context = browser.new_context(color_scheme=preference)
    context.add_init_script(path=str(AXE))  # axe is in every page before the page's own scripts
    page = context.new_page()
    problems = []
    try:
        for path in paths:
            page.goto(site_url + path)
            result = page.evaluate(RUN_AXE)
            # Prove the palette under test is the one the page shows: else "both palettes" lies.
            assert result["scheme"] == SCHEMES[preference], (path, preference, result["scheme"])
            for rule in result["violations"]:
                for node in rule["nodes"]:
                    problems.append(
                        f"/{path} ({preference}): {rule['id']} ({rule['impact']}): {rule['help']}\n"
                        f"    element {node['target']}: {node['html'][:200]}\n"
                        + textwrap.indent(node["summary"], "    ")
                    )
    finally:
        context.close()
    return problems


@pytest.mark.slow
def test_no_accessibility_violation_on_any_page_in_either_palette(
    browser: Browser, site_url: str, built_site: Path
) -> None:
    paths = page_paths(built_site)
    started = time.monotonic()
    problems = [p for scheme in SCHEMES for p in audit(browser, site_url, paths, scheme)]
    report("accessibility violations", len(problems))
    assert not problems, (
        f"{len(problems)} accessibility violations (axe-core) on {len(paths)} pages "
        f"in {time.monotonic() - started:.0f} s:\n" + "\n".join(problems)
    )


@pytest.mark.slow
def test_an_injected_violation_fails_naming_page_element_and_rule(
    browser: Browser, built_site: Path, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    shutil.copytree(built_site, site)
    page = site / "analogy" / "index.html"
    soup = BeautifulSoup(page.read_text(), "html.parser")
    image = soup.new_tag("img", src="../figures/nothing.svg", id="injected-no-alt")
    soup.find("article").append(image)  # an image a screen reader can say nothing about
    page.write_text(str(soup))

    with serve(site) as url:
        problems = audit(browser, url, ["analogy/"], "light")

    assert len(problems) == 1, problems
    assert problems[0].startswith("/analogy/ (light): image-alt "), problems
    assert "#injected-no-alt" in problems[0], problems
