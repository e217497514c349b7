"""MkDocs hook for the figures: thin calls into builder-independent code.

`[[figure NAME]]` itself is a Python-Markdown extension (sitebuild.figures.markdown, listed under
markdown_extensions in mkdocs.yml). Here: each figure's Source fills its mark once the page is
built (sitebuild.figures.source.fill_sources), glightbox skips pages without an image
(on_page_content), and zoom loads on first use (_lazy_lightbox).
"""

from __future__ import annotations

import json
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page
from mkdocs.utils import get_relative_url

from sitebuild.figures.source import fill_sources


# Before glightbox's own on_page_content (priority 0), which must skip the page too: it reparses
# the content into a whole document, and only its on_post_page would fold that back into the page.
@event_priority(50)
def on_page_content(html: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    """glightbox (zoom on click) adds a 15 KB gzip script to the <head> of every page. Only a
    page with an image needs it: the others opt out through the plugin's documented page setting
    `glightbox: false` (a page's own front matter still wins)."""
    if "<img" not in html:
        page.meta.setdefault("glightbox", False)
    return html


# Zoom on click, loaded on first use: glightbox's 15.7 KB script and 2.9 KB stylesheet were in
# flight beside the figure, which is the page's largest paint (Lighthouse mobile LCP). A figure
# link still works without them: it opens the SVG itself. The options stay the plugin's own.
LAZY_LIGHTBOX = """<script id="init-glightbox" type="module">
const options = __OPTIONS__;
let lightbox;
let loading;
const load = () => (loading ??= new Promise((resolve, reject) => {
  const style = Object.assign(document.createElement("link"), { rel: "stylesheet", href: __CSS__ });
  const script = Object.assign(document.createElement("script"), { src: __JS__ });
  const both = [style, script].map((element) => new Promise((done, fail) => {
    element.onload = done;
    element.onerror = () => fail(new Error(`zoom: could not load ${element.href ?? element.src}`));
  }));
  document.head.append(style, script);
  Promise.all(both).then(() => resolve((lightbox = GLightbox(options))), reject);
}));
const zoomLink = (event) => event.target.closest?.("a.glightbox");
// Fetch as soon as the reader points at, focuses or touches a figure: usually done by the click.
for (const type of ["pointerover", "focusin", "touchstart"]) {
  addEventListener(type, (event) => zoomLink(event) && load(), { passive: true });
}
addEventListener("click", (event) => {
  const link = zoomLink(event);
  // Once loaded, glightbox handles its links' clicks itself; a modified click opens the SVG.
  if (!link || lightbox || event.button || event.ctrlKey || event.metaKey || event.shiftKey) return;
  event.preventDefault();
  load().then(
    (box) => box.openAt([...document.querySelectorAll("a.glightbox")].indexOf(link)),
    () => location.assign(link.href),
  );
});
</script>"""


def on_post_page(output: str, page: Page, config: MkDocsConfig) -> str:
    """Each figure's Source takes its mark's place; then the zoom loader (_lazy_lightbox)."""
    output = fill_sources(
        output,
        root=Path(config.config_file_path).resolve().parent,
        highlight=config.mdx_configs.get("pymdownx.highlight", {}),
        copy_buttons="content.code.copy" in config.theme["features"],
    )
    return _lazy_lightbox(output, page)


def _lazy_lightbox(output: str, page: Page) -> str:
    """Where glightbox loads, it loads on first use (LAZY_LIGHTBOX): its <link> and <script> leave
    the <head>, and its start-up call becomes a loader. Runs after the plugin's own on_post_page
    (hooks come after plugins); the plugin's markup is matched exactly, so a changed plugin fails
    the build here rather than shipping the script twice."""
    if 'id="init-glightbox"' not in output:
        return output
    css = get_relative_url("assets/stylesheets/glightbox.min.css", page.url)
    js = get_relative_url("assets/javascripts/glightbox.min.js", page.url)
    head = f'<link href="{css}" rel="stylesheet"><script src="{js}"></script>'
    init = '<script id="init-glightbox">const lightbox = GLightbox('
    init_start = output.find(init)
    init_end = output.find("</script>", init_start) + len("</script>")
    options_end = output.find(");\n", init_start)
    if head not in output or init_start < 0 or options_end < 0:
        raise PluginError(
            f"{page.file.src_uri}: mkdocs-glightbox no longer writes the <link>, <script> and "
            "init script that hooks/figures.py expects; update on_post_page there to match."
        )
    options = output[init_start + len(init) : options_end]
    loader = (
        LAZY_LIGHTBOX.replace("__OPTIONS__", options)
        .replace("__CSS__", json.dumps(css))
        .replace("__JS__", json.dumps(js))
    )
    return (output[:init_start] + loader + output[init_end:]).replace(head, "", 1)
