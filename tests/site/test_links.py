"""Every internal link, anchor and src on the built site resolves, offline (lychee).

MkDocs' `validation:` sees only Markdown links. Raw HTML, figure sources, theme links and the
404 page escape it; lychee reads the built HTML, so nothing does.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sitebuild.checks import linkcheck
from sitebuild.project import build
from tests.support import report


@pytest.mark.slow
def test_every_internal_link_and_anchor_resolves(built_site: Path) -> None:
    result = linkcheck.check_internal(built_site)
    assert not result.failures, "broken internal links:\n" + "\n".join(map(str, result.failures))
    # A check that examined nothing proves nothing: every page links at least its nav and assets.
    assert result.checked > 10 * len(linkcheck.pages(built_site)), result.checked
    report("internal links", result.checked)
    report("pages", len(linkcheck.pages(built_site)))


# Raw HTML inside md_in_html: the strict build lets all of it through, the link check must not.
INJECTED = """

<div class="injected" markdown>
A <a href="nope.html">dead link</a>, a <a href="../architectures/#no-such-anchor">missing
anchor</a>, a <a href="../architectures/#two-architectures">good anchor</a> and a missing figure:
<img src="../figures/no-such-figure.svg" alt="a figure that was never drawn">
</div>
"""


@pytest.mark.slow
def test_injected_dead_link_anchor_and_figure_each_fail_naming_page_url_and_rule(
    project_copy: Path,
) -> None:
    page = project_copy / "docs" / "analogy.md"
    page.write_text(page.read_text() + INJECTED)
    site = project_copy / "site"
    built = build(project_copy, site)
    assert built.returncode == 0, f"MkDocs is expected to miss raw HTML links:\n{built.stderr}"

    failures = linkcheck.check_internal(site).failures
    found = {(f.page, f.url, f.rule) for f in failures}
    expected = {
        ("analogy/index.html", "analogy/nope.html", linkcheck.RULE_TARGET),
        ("analogy/index.html", "architectures#no-such-anchor", linkcheck.RULE_ANCHOR),
        ("analogy/index.html", "figures/no-such-figure.svg", linkcheck.RULE_TARGET),
    }
    assert found == expected, "\n".join(map(str, failures))
    # The message a reader of the CI log gets names page, line, URL and rule.
    dead = next(f for f in failures if "nope.html" in f.url)
    assert str(dead).startswith("analogy/index.html:"), str(dead)
    assert "analogy/nope.html" in str(dead) and linkcheck.RULE_TARGET in str(dead)
