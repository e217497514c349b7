"""The theme, builder and plugin versions installed are those sitebuild/pages/theme.py was
written against; on a change, the failure lists each coupling to their internals to re-check."""

from __future__ import annotations

import importlib.metadata
import re

from sitebuild.pages import theme


def test_the_installed_theme_builder_and_plugin_are_those_the_couplings_were_checked_on() -> None:
    installed = {name: importlib.metadata.version(name) for name in theme.WRITTEN_AGAINST}
    report = theme.version_report(installed)
    assert not report, report


def test_a_changed_version_lists_every_coupling_and_how_to_bump() -> None:
    report = theme.version_report({**theme.WRITTEN_AGAINST, "mkdocs-material": "10.0.0"})
    assert "mkdocs-material 9.8.2 -> 10.0.0" in report.replace(
        theme.WRITTEN_AGAINST["mkdocs-material"], "9.8.2"
    )
    for coupling in theme.COUPLINGS:
        assert coupling.where in report and coupling.recheck in report
    assert "WRITTEN_AGAINST" in report and "requirements.lock" in report


def test_every_coupling_names_files_that_exist() -> None:
    from sitebuild.project import REPO

    for coupling in theme.COUPLINGS:
        files = re.findall(r"[\w.-]+/[\w./-]+\.(?:py|html|yml|js)\b", coupling.where)
        assert files, coupling.what
        for file in files:
            assert (REPO / file).is_file(), f"{coupling.what}: {file} is gone; update theme.py"
