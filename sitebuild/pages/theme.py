"""Every place where our code leans on Material for MkDocs', MkDocs' or mkdocs-glightbox's
internals (markup, undocumented features, private behaviour), and the versions it was written
against.

Why one module: Material is in its last maintenance period and Zensical replaces it; each of
these couplings is a guess about someone else's markup or code that a new version may break
quietly. tests/site/test_theme_couplings.py fails when an installed version differs from the one
named here and prints COUPLINGS: re-check each, then bump the version here (and in the lock).

Code that matches the theme's markup imports its patterns from here.
"""

from __future__ import annotations

import re
from typing import NamedTuple

# The versions in requirements.lock when each coupling below was last checked.
WRITTEN_AGAINST = {
    "mkdocs-material": "9.8.2",
    "mkdocs": "1.6.1",
    "mkdocs-glightbox": "0.5.3",
    "pymdown-extensions": "12.3",
}


class Coupling(NamedTuple):
    what: str
    where: str
    recheck: str


COUPLINGS = [
    Coupling(
        "search index held until the reader reaches for search",
        "docs/javascripts/search-on-demand.js (an XMLHttpRequest open/send wrapper that "
        "overrides/main.html loads before Material's bundle)",
        "Material still fetches search/search_index.json with XMLHttpRequest (not fetch), and "
        "from that path (Zensical 0.0.73 uses fetch() and search.json: nothing is held there); "
        "tests/browser/test_end_to_end.py searches before the index arrives.",
    ),
    Coupling(
        "Material's bundle deferred",
        'overrides/main.html: super() | replace("<script src=", "<script defer src=")',
        "Material's scripts block still writes its bundle as `<script src=` (a changed form "
        "leaves it blocking, silently), and nothing in it needs to run before the first paint.",
    ),
    Coupling(
        "copy button of a code block deferred in a <template>",
        "sitebuild/pages/deferred.py (theme.COPY_BUTTON)",
        "the markup Material's code-block component mounts (classes md-code__nav, "
        "md-code__button, data-clipboard-target, data-md-type) and that its clipboard handler "
        "serves; open a closed <details> in the browser and copy (test_end_to_end.py).",
    ),
    Coupling(
        "article content found by its <article> tag",
        "sitebuild/pages/postbuild.py (theme.ARTICLE)",
        "Material's main.html still wraps the page's content in one "
        '<article class="md-content__inner md-typeset">.',
    ),
    Coupling(
        "glightbox loaded on first use",
        "sitebuild/pages/postbuild.py (theme.GLIGHTBOX_*) and docs/javascripts/zoom.js",
        "mkdocs-glightbox's on_post_page still writes the <link>+<script> pair into the <head> "
        'and `<script id="init-glightbox">const lightbox = GLightbox({...});` in the body '
        "(the pass fails the build naming this module when it does not), its asset paths, and "
        "GLightbox's openAt(); the browser zoom test clicks through it.",
    ),
    Coupling(
        "empty tabindex dropped from navigation labels",
        "sitebuild/pages/postbuild.py (theme.NAV_LABEL_EMPTY_TABINDEX)",
        'Material\'s partials/nav-item.html still writes tabindex="" on section labels, in a '
        '<label class="md-nav__link ...">; tests/site/test_html_valid.py runs the Nu checker.',
    ),
    Coupling(
        "faster `mkdocs serve`",
        "hooks/serve.py (a new LiveReloadServer, build_delay, the search index kept, Jinja "
        "bytecode cache on the theme environment)",
        "LiveReloadServer's constructor and its builder, root, mount_path, error_handler and "
        "build_delay attributes; that the `watch:` list is added after on_serve; Material's "
        "`search: {exclude: true}` front matter; tests/site/test_serve_hook.py.",
    ),
    Coupling(
        "highlighting kept between rebuilds, keyed by the highlighter's settings",
        "sitebuild/pages/highlight_cache.py (the key is vars(self) of pymdownx's Highlight), "
        "used by hooks/serve.py",
        "that every setting a Highlight result depends on is still an attribute of the "
        "Highlight object (vars(self)) and that get_pymdownx_highlighter is still how the other "
        "pymdownx extensions get it; test_serve_hook.py compares a rebuild with a build.",
    ),
    Coupling(
        "the page a figure is on, for its image's relative address and its errors' file:line",
        "sitebuild/figures/markdown.py (_page: MkDocs' `relpath` treeprocessor and its .file; "
        "Zensical's `rendering_context` preprocessor)",
        "MkDocs' Page.render still registers `relpath` holding the page's File, and Zensical "
        "still names its preprocessor so; tests/figures/test_markdown.py renders real pages.",
    ),
    Coupling(
        "content.lazy",
        "mkdocs.yml (theme.features), docs/javascripts/code-nav.js and deferred.js (unnamed "
        "copy buttons, focusable scrolling blocks)",
        'undocumented: still in Material\'s bundle (`feature("content.lazy")` in the code-block '
        "component); without it a lab page's blocking time grows several times (make bench).",
    ),
]

# Material's copy button for a code block, but a <span> where it mounts a <nav>: a <pre> holds
# phrasing content only, and a copy button is no navigation landmark.
COPY_BUTTON = (
    '<span class="md-code__nav"><button class="md-code__button" title="Copy to clipboard"'
    ' data-clipboard-target="#{id} &gt; code" data-md-type="copy"></button></span>'
)

# Where Material's main.html puts the page's content (and its edit button and source-file foot).
ARTICLE = re.compile(
    r'<article class="md-content__inner md-typeset">(?P<content>.*?)</article>', re.S
)

# A <label> start tag of Material's navigation (class "md-nav__link ...") with tabindex="".
# Attribute values in these tags never hold ">", so [^>]* stays within the one tag.
NAV_LABEL_EMPTY_TABINDEX = re.compile(
    r'(<label\b[^>]*\bclass="md-nav__link\b[^>]*?) tabindex=""([^>]*>)'
)

# What mkdocs-glightbox writes on a page with images: its assets in the <head>, and the start-up
# call at the end of the <body>.
GLIGHTBOX_HEAD = re.compile(
    r'<link href="(?P<css>[^"]*assets/stylesheets/glightbox\.min\.css)" rel="stylesheet">'
    r'<script src="(?P<js>[^"]*assets/javascripts/glightbox\.min\.js)"></script>'
)
GLIGHTBOX_INIT = re.compile(
    r'<script id="init-glightbox">const lightbox = GLightbox\((?P<options>\{.*?\})\);\n'
    r".*?</script>",
    re.S,
)
GLIGHTBOX_MARK = 'id="init-glightbox"'


def version_report(installed: dict[str, str]) -> str:
    """What to do when `installed` (package -> version) differs from WRITTEN_AGAINST; "" if not."""
    changed = {
        name: (WRITTEN_AGAINST[name], version)
        for name, version in installed.items()
        if version != WRITTEN_AGAINST.get(name)
    }
    if not changed:
        return ""
    lines = [
        "The theme or builder changed: "
        + ", ".join(f"{name} {was} -> {now}" for name, (was, now) in changed.items())
        + ". Re-check each coupling to their internals:",
    ]
    for number, coupling in enumerate(COUPLINGS, 1):
        lines.append(f"{number}. {coupling.what} ({coupling.where}): {coupling.recheck}")
    lines.append(
        "Then set WRITTEN_AGAINST in sitebuild/pages/theme.py to the new versions (the lock "
        "names them: requirements.lock) and run the browser tests: "
        "`.venv/bin/python -m pytest -m browser tests/browser`."
    )
    return "\n".join(lines)
