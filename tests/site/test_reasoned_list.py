"""sitebuild/checks/reasoned_list.py: the one loader of the lists that excuse something with a
reason (link-check excludes, illustrative code blocks, accepted Nu checker errors). Each bad list
fails with `FILE:LINE: what is wrong; what to do`."""

from __future__ import annotations

from pathlib import Path

import pytest

from sitebuild.checks import reasoned_list

GOOD = "- name: one\n  reason: because\n"


def load(path: Path) -> list[reasoned_list.Entry]:
    return reasoned_list.load(path, ("name", "reason"), optional=("note",))


def test_entries_keep_their_values_and_line(tmp_path: Path) -> None:
    path = tmp_path / "list.yml"
    path.write_text(
        "# a comment\n" + GOOD + "- name: two\n  note: ' extra '\n  reason: >-\n    why\n"
    )
    one, two = load(path)
    assert (one["name"], one["reason"], one["note"], one.line) == ("one", "because", "", 2)
    assert (two["name"], two["note"], two["reason"], two.line) == ("two", "extra", "why", 4)
    (tmp_path / "empty.yml").write_text("# nothing excused\n")
    assert load(tmp_path / "empty.yml") == []


@pytest.mark.parametrize(
    ("text", "line", "problem", "fix"),
    [
        (GOOD + "- name: two\n", 3, "missing reason", "each entry has `name`, `reason`, `note`"),
        (GOOD + "- name: two\n  reason: ''\n", 3, "`reason` is empty or not text", "say why"),
        (GOOD + "- name: [a, b]\n  reason: r\n", 3, "`name` is empty or not text", "give it as"),
        (GOOD + "- name: two\n  reson: r\n", 3, "missing reason", "each entry has"),
        (GOOD + "- name: two\n  reason: r\n  why: x\n", 3, "unknown key why", "use only"),
        (GOOD + "- just a string\n", 3, "this entry is not a mapping", "give it `name`"),
        ("name: one\nreason: r\n", 1, "not a list", "write one `- ` entry per item"),
        (GOOD + "- name: 'unclosed\n", 4, "not valid YAML", "fix the syntax"),
    ],
)
def test_a_bad_entry_fails_naming_file_line_problem_and_fix(
    tmp_path: Path, text: str, line: int, problem: str, fix: str
) -> None:
    path = tmp_path / "list.yml"
    path.write_text(text)
    with pytest.raises(reasoned_list.ListError) as caught:
        load(path)
    message = str(caught.value)
    assert message.startswith(f"{path}:{line}: {problem}"), message
    assert f"; {fix}" in message, message
