"""sitebuild/pages/deferred.py: a closed <details> keeps its content in a <template>.

Pins the transformation on small pages here; test_built_site_defers_every_closed_details checks
the build, and tests/browser/test_end_to_end.py opens one in Chromium and copies its code.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from sitebuild import figures
from sitebuild.pages import deferred as hook
from sitebuild.project import REPO

CODE = '<div class="highlight"><pre><span></span><code>print("hi")\n</code></pre></div>'
NUMBERED = (
    '<div class="highlight"><table class="highlighttable"><tr><td class="linenos"><div>'
    '<pre><span></span><span class="normal">1</span></pre></div></td><td class="code"><div>'
    '<pre><span></span><code>print("hi")\n</code></pre></div></td></tr></table></div>'
)


def details(body: str, attrs: str = "") -> str:
    summary = "<summary>The whole file</summary>"
    return f'<details class="example"{attrs}>\n{summary}\n{body}\n</details>'


def test_closed_details_content_moves_into_a_template_and_the_summary_stays() -> None:
    page = f"<p>before</p>{details('<p>inside</p>')}<p>after</p>"
    out = hook.deferred(page)
    soup = BeautifulSoup(out, "html.parser")
    box = soup.details
    assert box.summary.get_text() == "The whole file"
    assert [child.name for child in box.find_all(recursive=False)] == ["summary", "template"]
    assert box.template.has_attr("data-deferred")
    assert box.template.get_text(strip=True) == "inside"
    # Nothing but the two tags is added: the page reads the same once the template is unpacked.
    assert out.replace("<template data-deferred>", "").replace("</template>", "") == page


def test_open_details_and_pages_without_details_are_left_alone() -> None:
    for page in [details(CODE, " open"), f"<p>{CODE}</p>", "<p>no details</p>"]:
        assert hook.deferred(page) == page


def test_only_the_outermost_closed_details_is_deferred() -> None:
    inner = details("<p>deep</p>")
    out = hook.deferred(details(f"<p>outer</p>{inner}") + details("<p>second</p>"))
    soup = BeautifulSoup(out, "html.parser")
    assert len(soup.select("template[data-deferred]")) == 2
    outer = soup.find_all("details", recursive=False)[0]
    assert outer.template.details is not None, "the inner details moves in with its parent"
    assert outer.template.details.template is None


def test_an_open_outer_details_lets_a_closed_inner_one_be_deferred() -> None:
    out = hook.deferred(details(details("<p>deep</p>"), " open"))
    soup = BeautifulSoup(out, "html.parser")
    assert soup.details.find("template", recursive=False) is None
    assert soup.details.details.template.get_text(strip=True) == "deep"


def test_deferred_code_blocks_get_materials_copy_button_and_line_numbers_do_not() -> None:
    out = hook.deferred(details(CODE + NUMBERED))
    soup = BeautifulSoup(out, "html.parser")
    buttons = soup.select("template pre > span.md-code__nav > button.md-code__button")
    assert len(buttons) == 2, "one button per code block; the line-number column has none"
    for button in buttons:
        assert button["data-md-type"] == "copy" and button["title"] == "Copy to clipboard"
        target = button["data-clipboard-target"]
        assert target.endswith(" > code")
        pre = soup.select_one(target.removesuffix(" > code"))
        assert pre is button.find_parent("pre"), "the button copies its own block"
        # Material's place for it: in the <pre>, just before the <code>.
        assert button.parent.find_next_sibling() is pre.code
    assert len({b["data-clipboard-target"] for b in buttons}) == 2


def test_a_code_block_keeps_its_own_id_and_buttons_can_be_switched_off() -> None:
    with_id = CODE.replace("<pre>", '<pre id="mine">')
    out = hook.deferred(details(with_id))
    assert 'data-clipboard-target="#mine &gt; code"' in out
    assert out.count('id="mine"') == 1
    assert "md-code__button" not in hook.deferred(details(CODE), copy_buttons=False)
    assert "md-code__button" not in hook.deferred(CODE), "visible blocks are Material's to mount"


def _listing(tokens: int) -> str:
    lines = "".join(
        f'<span id="__span-0-{n}"><span class="n">x{n}</span> <span class="o">=</span> '
        f'<span class="s2">"&lt;{n}&gt;"</span>\n</span>'
        for n in range(1, tokens // 4 + 1)
    )
    return f'<div class="highlight"><pre><span></span><code>{lines}</code></pre></div>'


def test_a_long_listing_in_plain_view_shows_plain_text_and_keeps_its_highlighting_aside() -> None:
    long, short = _listing(hook.HIGHLIGHT_AT_IDLE_OVER + 4), _listing(40)
    assert hook.deferred(f"<p>{short}</p>") == f"<p>{short}</p>"
    out = hook.deferred(f"<p>before</p>{long}<p>after</p>")
    code = BeautifulSoup(out, "html.parser").select_one("pre > code")
    original = BeautifulSoup(long, "html.parser").select_one("pre > code")
    template = code.find("template", recursive=False)
    assert template.has_attr("data-highlighted") and template.has_attr("data-search-exclude")
    # The page shows the same text, escaped again, with no element but the template...
    shown = [child for child in code.children if child is not template]
    assert [type(child).__name__ for child in shown] == ["NavigableString"]
    assert str(shown[0]) == original.get_text() and '"&lt;1&gt;"' in out
    # ...and the template holds the highlighted markup exactly as it was.
    assert template.decode_contents() == original.decode_contents()
    # Inside a closed <details> the whole listing waits anyway: no second template.
    assert "data-highlighted" not in hook.deferred(details(long))


def test_deferring_a_deferred_page_changes_nothing() -> None:
    """The post-build pass may run twice over a page (a Zensical site processed again), and a
    figure's Source arrives deferred already: no second template, button or id."""
    inner = details("<p>deep</p>")
    page = (
        f"<p>{_listing(hook.HIGHLIGHT_AT_IDLE_OVER + 4)}</p>"
        + details(f"{CODE}{inner}{NUMBERED}")
        + details(CODE.replace("<pre>", '<pre id="mine">'))
        + details(CODE, " open")
    )
    once = hook.deferred(page)
    assert once != page
    assert hook.deferred(once) == once
    # A page that holds one deferred Source gets the rest of its deferral as before.
    source = hook.deferred(details(CODE), id_prefix="__source-")
    assert hook.deferred(source + page) == source + once


@pytest.mark.slow
def test_built_site_defers_every_closed_details(built_site: Path) -> None:
    deferred: list[str] = []
    for html in sorted(built_site.rglob("*.html")):
        soup = BeautifulSoup(html.read_text(), "html.parser")
        for box in soup.select("article details:not([open])"):
            if box.find_parent("template"):
                continue
            where = f"{html.relative_to(built_site)}: {box.summary.get_text(strip=True)}"
            children = [child.name for child in box.find_all(recursive=False)]
            assert children == ["summary", "template"], where
            deferred.append(box.summary.get_text(strip=True))
    sources = {f"Source: diagrams/{script.name}" for script in figures.scripts(REPO)}
    assert sources <= set(deferred), "every figure's Source waits in a template"
    whole_files = [summary for summary in deferred if summary.startswith("The whole file: ")]
    assert len(whole_files) >= 9, f"the labs' whole-file listings: {whole_files}"
    # A lab that opens with its whole file (A container in one file) highlights it at idle.
    mini = BeautifulSoup((built_site / "labs/mini-container/index.html").read_text(), "html.parser")
    assert mini.select_one("article pre > code > template[data-highlighted]"), "mini-container"
