"""The site builds strictly, and the strict build fails on the mistakes authors make."""

from __future__ import annotations

from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from sitebuild.project import SITE_NAME, build

pytestmark = pytest.mark.slow  # every test here builds the whole site


def test_home_page_has_title_and_links_the_second_page(built_site: Path) -> None:
    home = BeautifulSoup((built_site / "index.html").read_text(), "html.parser")
    assert home.title is not None and SITE_NAME in home.title.get_text()
    nav_links = {a["href"] for a in home.select("nav.md-nav--primary a[href]")}
    assert "architectures/" in nav_links, nav_links
    assert (built_site / "architectures" / "index.html").is_file()


def _add_page(project: Path, text: str) -> None:
    (project / "docs" / "broken.md").write_text(text)
    config = project / "mkdocs.yml"
    config.write_text(config.read_text().replace("\nnav:\n", "\nnav:\n  - Broken: broken.md\n", 1))


def test_link_to_missing_page_fails_naming_page_and_target(project_copy: Path) -> None:
    _add_page(project_copy, "# Broken\n\nSee [nowhere](no-such-page.md).\n")
    result = build(project_copy, project_copy / "site")
    assert result.returncode != 0
    assert "broken.md" in result.stderr and "no-such-page.md" in result.stderr, result.stderr


def test_link_to_missing_anchor_fails_naming_page_and_anchor(project_copy: Path) -> None:
    _add_page(project_copy, "# Broken\n\nSee [a section](architectures.md#no-such-section).\n")
    result = build(project_copy, project_copy / "site")
    assert result.returncode != 0
    assert "broken.md" in result.stderr and "#no-such-section" in result.stderr, result.stderr


def test_material_bundle_never_holds_the_first_paint(built_site: Path) -> None:
    """overrides/main.html defers Material's bundle and loads the site's own scripts as modules
    (deferred too; all run in document order): the search index hold before the bundle, which
    requests the index as it runs; the code-nav fix after it, since it uses document$. No inline
    script uses document$ (a classic one would run before the bundle and throw)."""
    for page in sorted(built_site.rglob("*.html")):
        soup = BeautifulSoup(page.read_text(), "html.parser")
        where = page.relative_to(built_site)
        bundle = soup.select_one('script[src*="assets/javascripts/bundle."]')
        assert bundle is not None and bundle.has_attr("defer"), f"{where}: bundle not deferred"
        scripts = soup.select("script[src]")
        order = [s["src"].rsplit("/", 1)[-1] for s in scripts]
        for script in scripts:
            if "javascripts/" in script["src"] and "assets/" not in script["src"]:
                assert script.get("type") == "module", f"{where}: {script} is no module"
        at = order.index(bundle["src"].rsplit("/", 1)[-1])
        assert order.index("search-on-demand.js") < at < order.index("code-nav.js"), (
            f"{where}: scripts in the wrong order for overrides/main.html's reasons: {order}"
        )
        for script in soup.select("script:not([src])"):
            assert "document$" not in script.get_text(), f"{where}: {script.get_text()[:80]!r}"
