"""pymdownx.highlight with each code block's highlighted HTML kept for the life of the process.

`mkdocs serve` converts every page's Markdown again on each rebuild, and Pygments is the largest
part of that (on this site: 46 blocks, ~3,900 lines, a quarter of a rebuild). The blocks of the
pages an author did not touch come out the same every time, so hooks/serve.py puts this extension
in place of pymdownx.highlight while serving: a rebuild then highlights only what changed.

It is pymdownx.highlight itself (a subclass, configured the same), told through the public way
other pymdownx extensions ask for the highlighter (`get_pymdownx_highlighter`) to hand out a
`Highlight` whose `highlight()` remembers its results. The key is everything the result depends
on: the code, every argument and every setting of the highlighter. Inline code (an element, not
text) and HTML titles (stored in the page's own stash) are never kept.
"""

from __future__ import annotations

from typing import Any

from pymdownx.highlight import Highlight, HighlightExtension

MAX_BLOCKS = 4096  # far more than the site has; an author editing one block adds one per save
kept: dict[str, str] = {}


class CachedHighlight(Highlight):
    def highlight(self, src: str, language: str, *args: Any, **kwargs: Any) -> Any:
        if self.title_mode == "html":  # the title goes into this page's stash: not reusable
            return super().highlight(src, language, *args, **kwargs)
        settings = sorted((name, value) for name, value in vars(self).items() if name != "md")
        key = repr((settings, src, language, args, sorted(kwargs.items())))
        if key in kept:
            return kept[key]
        result = super().highlight(src, language, *args, **kwargs)
        if isinstance(result, str):  # inline code comes back as an element, which is mutable
            if len(kept) >= MAX_BLOCKS:
                del kept[next(iter(kept))]  # the oldest
            kept[key] = result
        return result


class CachedHighlightExtension(HighlightExtension):
    def get_pymdownx_highlighter(self) -> type[Highlight]:
        return CachedHighlight


def makeExtension(**kwargs: Any) -> CachedHighlightExtension:
    return CachedHighlightExtension(**kwargs)
