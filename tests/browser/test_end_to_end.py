"""The built site works for a reader, end to end, in a real browser.

Chromium opens the site from the local server (tests/browser/conftest.py). Each test gets a
fresh browser context, so no stored palette or clipboard leaks from one test to the next.
The pages a test needs (one with a figure, one with a code block) are found in the build,
so the tests follow the content as it grows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup, Tag
from playwright.sync_api import Browser, Page, expect

from sitebuild.project import SITE_NAME
from tests.browser.pages import page_path, page_paths
from tests.support import report, text_of

pytestmark = [pytest.mark.slow, pytest.mark.browser]
NARROW = {"width": 375, "height": 812}  # a small phone


@contextmanager
def fresh_page(browser: Browser, **options: object) -> Iterator[Page]:
    context = browser.new_context(**options)
    try:
        yield context.new_page()
    finally:
        context.close()


Found = TypeVar("Found")


def first_page_with(site: Path, wanted: Callable[[Tag], Found | None]) -> tuple[str, Found]:
    """The first built page (in file order) whose article holds what `wanted` finds."""
    for html in sorted(site.rglob("*.html")):
        article = BeautifulSoup(html.read_text(), "html.parser").find("article")
        found = wanted(article) if article else None
        if found:
            return page_path(site, html), found
    raise AssertionError(f"no page in {site} has what this check needs ({wanted.__doc__})")


def test_home_page_loads_without_errors_or_other_hosts(browser: Browser, site_url: str) -> None:
    origin = urlsplit(site_url)[:2]
    errors: list[str] = []
    failed: list[str] = []
    foreign: list[str] = []
    with fresh_page(browser) as page:

        def on_request(url: str) -> None:
            if urlsplit(url).scheme not in ("data", "blob") and urlsplit(url)[:2] != origin:
                foreign.append(url)

        # Context-wide, so requests from Material's search worker count as well.
        page.context.on("request", lambda request: on_request(request.url))
        page.context.on("requestfailed", lambda r: failed.append(f"{r.url}: {r.failure}"))
        page.context.on(
            "response", lambda r: r.status >= 400 and failed.append(f"{r.url}: HTTP {r.status}")
        )
        page.on("console", lambda m: m.type == "error" and errors.append(m.text))
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(site_url, wait_until="networkidle")
        expect(page.locator("article h1")).to_be_visible()

    assert not errors, f"console errors on the home page: {errors}"
    assert not failed, f"failed requests on the home page: {failed}"
    assert not foreign, f"the home page requested other hosts: {foreign}"
    report("browser checks", 1)


def test_search_lists_results_and_opens_one(browser: Browser, site_url: str) -> None:
    with fresh_page(browser) as page:
        page.goto(site_url)
        # Typed key by key, as a reader does, from the first keystroke: the index is fetched only
        # once the field has focus, so these keys arrive before it. Material reads the field on
        # each keyup and again when its index is ready. (`fill()` sends no keyup: when the index
        # was ready first and the field's focus read came before the text, no query ever ran;
        # that was this test's one failure under load.)
        page.locator(".md-search__input").press_sequentially("namespace")
        results = page.locator(".md-search-result__item > .md-search-result__link")
        expect(results.first).to_be_visible()
        target = results.first.get_attribute("href")
        assert target, "a search result has no link"
        results.first.click()
        page.wait_for_url(target)
        expect(page.locator("article")).to_contain_text("namespace", ignore_case=True)
    report("browser checks", 1)


def test_search_index_waits_until_the_reader_reaches_for_search(
    browser: Browser, site_url: str
) -> None:
    """The index is the largest download of a page: it is fetched on first use, not at load."""
    with fresh_page(browser) as page:
        fetched: list[str] = []
        page.context.on(
            "request", lambda r: r.url.endswith("/search_index.json") and fetched.append(r.url)
        )
        page.goto(site_url, wait_until="networkidle")
        assert not fetched, f"the search index was fetched at page load: {fetched}"
        with page.expect_request(lambda r: r.url.endswith("/search/search_index.json")):
            page.keyboard.press("/")  # Material's shortcut that focuses the search field
        expect(page.locator(".md-search__input")).to_be_focused()
    report("browser checks", 1)


def test_palette_toggle_switches_and_the_choice_survives_a_reload(
    browser: Browser, site_url: str
) -> None:
    # The system says light, so a dark page after the reload can only be the stored choice.
    with fresh_page(browser, color_scheme="light") as page:
        page.goto(site_url)
        scheme = page.locator("body")
        expect(scheme).to_have_attribute("data-md-color-scheme", "default")
        toggle = page.locator("form[data-md-component=palette] label:not([hidden])")
        seen = []
        for _ in range(3):  # automatic -> light -> dark
            before = toggle.get_attribute("title")
            toggle.click()
            expect(toggle).not_to_have_attribute("title", before)  # the click took effect
            seen.append(scheme.get_attribute("data-md-color-scheme"))
            if seen[-1] == "slate":
                break
        assert seen[-1] == "slate", f"the toggle never switched to dark; schemes seen: {seen}"
        page.reload()
        expect(scheme).to_have_attribute("data-md-color-scheme", "slate")
    report("browser checks", 1)


def test_a_figure_opens_zoomed_and_closes_with_escape(
    browser: Browser, site_url: str, built_site: Path
) -> None:
    """glightbox loads on the first click (docs/javascripts/zoom.js); the figure clicked is the
    one shown, also when it is not the page's first, and a second figure opens at once after."""

    def several_zoomable_figures(article: Tag) -> list[Tag] | None:
        """two or more figures that zoom on click (glightbox)"""
        links = article.select("a.glightbox")
        return links if len(links) >= 2 else None

    path, links = first_page_with(built_site, several_zoomable_figures)
    with fresh_page(browser) as page:
        page.goto(site_url + path)
        page.wait_for_load_state("load")
        assert page.evaluate("typeof GLightbox") == "undefined", "zoom script loaded up front"
        for index in (len(links) - 1, 0):
            page.locator("article a.glightbox").nth(index).click()
            zoomed = page.locator(".glightbox-container .gslide.current .gslide-image img")
            expect(zoomed).to_be_visible()
            wanted = str(links[index]["href"]).split("/")[-1]
            assert zoomed.get_attribute("src").endswith(wanted), (path, index)
            page.keyboard.press("Escape")
            expect(page.locator(".glightbox-container")).to_have_count(0)
    report("browser checks", 1)


def test_copy_button_puts_the_code_on_the_clipboard(
    browser: Browser, site_url: str, built_site: Path
) -> None:
    def visible_code_block(article: Tag) -> Tag | None:
        """a code block outside a collapsed <details>"""
        blocks = article.select("div.highlight")
        return next((block for block in blocks if not block.find_parent("details")), None)

    path, block = first_page_with(built_site, visible_code_block)
    index = block.find_parent("article").select("div.highlight").index(block)
    code = block.select("pre > code")[-1]  # with line numbers, the last cell holds the code
    expected = code.get_text().rstrip()
    assert expected, f"/{path}: the code block is empty"
    permissions = ["clipboard-read", "clipboard-write"]
    with fresh_page(browser, permissions=permissions) as page:
        page.goto(site_url + path)
        on_page = page.locator("article div.highlight").nth(index)
        on_page.hover()  # Material shows the button on hover
        on_page.locator("button.md-code__button[data-md-type=copy]").click()
        copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == expected, f"/{path}: the clipboard does not hold the code block"
    report("browser checks", 1)


def test_a_collapsed_listing_arrives_when_opened_and_its_copy_button_works(
    browser: Browser, site_url: str, built_site: Path
) -> None:
    def deferred_listing(article: Tag) -> Tag | None:
        """a collapsed <details> whose code waits in a <template> (sitebuild/pages/deferred.py)"""
        return article.select_one("details:not([open]) > template[data-deferred] pre > code")

    path, code = first_page_with(built_site, deferred_listing)
    box = code.find_parent("details")
    summary = box.summary.get_text(strip=True)
    expected = text_of(code).rstrip()
    assert expected, f"/{path}: {summary!r} holds no code"
    permissions = ["clipboard-read", "clipboard-write"]
    with fresh_page(browser, permissions=permissions) as page:
        page.goto(site_url + path)
        details = page.locator("article details", has_text=summary).first
        # Closed, the listing is not in the page at all: only in the template.
        expect(details.locator("pre > code")).to_have_count(0)
        details.locator("summary").click()
        listing = details.locator("pre > code").last
        expect(listing).to_be_visible()
        expect(details.locator("template")).to_have_count(0)
        listing.hover()
        details.locator("button.md-code__button[data-md-type=copy]").last.click()
        expect(page.locator(".md-dialog")).to_contain_text("Copied")  # Material's own toast
        copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == expected, f"/{path}: the clipboard does not hold {summary!r}"
    report("browser checks", 1)


def test_a_long_listing_gets_its_highlighting_once_the_page_is_idle(
    browser: Browser, site_url: str, built_site: Path
) -> None:
    def plain_listing(article: Tag) -> Tag | None:
        """a long listing shown as plain text until idle (sitebuild/pages/deferred.py)"""
        return article.select_one("pre > code > template[data-highlighted]")

    path, template = first_page_with(built_site, plain_listing)
    tokens = len(template.find_all("span", class_=True))
    expected = template.parent.get_text()  # the plain text the page ships (not the template's)
    assert expected == text_of(template), "the plain and highlighted texts differ"
    # Which code block it is among those in the page (ones in templates are not, yet).
    article = template.find_parent("article")
    shown = [code for code in article.select("pre > code") if not code.find_parent("template")]
    with fresh_page(browser) as page:
        page.goto(site_url + path)
        code = page.locator("article pre > code").nth(shown.index(template.parent))
        expect(page.locator("article template[data-highlighted]")).to_have_count(0)
        assert code.locator("span[class]").count() == tokens, f"/{path}: highlighting lost"
        assert code.evaluate("code => code.textContent") == expected, f"/{path}: text changed"
    report("browser checks", 1)


def test_an_unknown_url_shows_the_sites_404_page(
    browser: Browser, site_url: str, built_site: Path
) -> None:
    heading = BeautifulSoup((built_site / "404.html").read_text(), "html.parser").find("h1")
    assert heading, "404.html has no heading"
    failed: list[str] = []
    with fresh_page(browser) as page:
        page.on("response", lambda r: r.status >= 400 and failed.append(r.url))
        response = page.goto(site_url + "no/such/page/")
        assert response is not None and response.status == 404
        expect(page.locator("article h1")).to_have_text(heading.get_text(strip=True))
        expect(page).to_have_title(SITE_NAME)
        # The 404 page links its assets from the site's root path, so they load at any depth:
        # a sticky header means Material's stylesheet arrived.
        expect(page.locator(".md-header")).to_have_css("position", "sticky")
    assert failed == [site_url + "no/such/page/"], f"only the page itself may 404: {failed}"
    report("browser checks", 1)


def test_no_page_scrolls_sideways_at_375_px(
    browser: Browser, site_url: str, built_site: Path
) -> None:
    # Try to scroll right. Only if the page moves, name the outermost elements that stick out
    # (not those inside a box that scrolls or clips them, like a wide code block).
    probe = """() => {
      window.scrollTo(10000, window.scrollY);
      const scrolled = window.scrollX;
      window.scrollTo(0, window.scrollY);
      if (!scrolled) return {scrolled, culprits: []};
      const width = document.documentElement.clientWidth;
      const sticksOut = e => e.getBoundingClientRect().right > width + 1;
      const clipped = e => {
        for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
          if (getComputedStyle(a).overflowX !== "visible") return true;
        }
        return false;
      };
      const culprits = [...document.querySelectorAll("body *")].filter(e =>
        e.getBoundingClientRect().width > 0 && sticksOut(e) && !sticksOut(e.parentElement)
        && !clipped(e));
      return {scrolled, culprits: culprits.map(e => e.outerHTML.slice(0, 120))};
    }"""
    problems = []
    with fresh_page(browser, viewport=NARROW) as page:
        for path in page_paths(built_site):
            page.goto(site_url + path)
            result = page.evaluate(probe)
            if result["scrolled"]:
                culprits = "".join(f"\n    {html}" for html in result["culprits"][:5])
                problems.append(f"/{path} scrolls {result['scrolled']} px sideways:{culprits}")
    assert not problems, f"at {NARROW['width']} px wide:\n" + "\n".join(problems)
    report("browser checks", 1)
