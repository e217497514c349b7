"""MkDocs hook: closed <details> and long listings cost the page nothing until needed.

The work, and why, is in sitebuild/pages/deferred.py: a closed <details> keeps its content in a
<template> until the reader opens it, and a long listing in plain view shows plain text until the
page is idle, then its highlighting (overrides/main.html does both swaps in the browser).
"""

from __future__ import annotations

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page

from sitebuild.pages.deferred import HIGHLIGHT_AT_IDLE_OVER, deferred

__all__ = ["HIGHLIGHT_AT_IDLE_OVER", "deferred", "on_page_content"]


def on_page_content(html: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    return deferred(html, copy_buttons="content.code.copy" in config.theme["features"])
