"""sitebuild/pages/bench_numbers.py: the page's sizes and times are make bench's record."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from markdown import Markdown

from sitebuild.pages import bench_numbers

RESUME = ["libv86.js", "v86.wasm.gz", "state.bin.zst"]
COLD = ["libv86.js", "v86.wasm.gz", "bios.bin", "vgabios.bin", "bzImage", "initrd.cpio"]


def test_each_name_reads_its_row_and_says_it_as_the_page_does() -> None:
    record = {"resume bytes on the wire": 2_720_284, "resume to prompt": 0.1357, "cold boot": 2.03}
    record |= {"measured": "2026-12-05"}
    assert bench_numbers.say("resume_bytes", record) == "2.7 MB"
    assert bench_numbers.say("resume_time", record) == "0.14 seconds"
    assert bench_numbers.say("cold_time", record) == "2.0 seconds"
    assert bench_numbers.say("measured", record) == "5 December 2026"


def test_a_page_gets_the_numbers_and_a_wrong_name_fails_naming_the_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = tmp_path / "vm-latest.json"
    record.write_text(json.dumps({"cold boot": 2.5}))
    monkeypatch.setattr(bench_numbers, "RECORD", record)
    md = Markdown(extensions=[bench_numbers.makeExtension()])
    assert md.convert("It boots in [[bench cold_time]].") == "<p>It boots in 2.5 seconds.</p>"
    with pytest.raises(
        bench_numbers.BenchError, match=r"\[\[bench cold_tme\]\]: no such.*cold_time"
    ):
        md.convert("[[bench cold_tme]]")
    with pytest.raises(
        bench_numbers.BenchError, match="has no 'resume to prompt'; run `make bench"
    ):
        md.convert("[[bench resume_time]]")
    record.unlink()
    with pytest.raises(bench_numbers.BenchError, match="cannot read the benchmark's record"):
        md.convert("[[bench cold_time]]")


def test_the_committed_record_has_every_number_a_page_can_ask_for() -> None:
    record = bench_numbers.load()
    for name in bench_numbers.NUMBERS:
        assert bench_numbers.say(name, record)


@pytest.mark.slow
def test_the_record_was_measured_on_this_build_and_the_page_shows_it(built_site: Path) -> None:
    """Its byte counts are this build's files (within 5 %: a later state may differ a little;
    re-run `make bench BENCH=vm` when they drift further), and the page says its numbers."""
    record = bench_numbers.load()
    files = json.loads((built_site / "vm" / "manifest.json").read_text())["files"]
    for row, names in (("resume bytes", RESUME), ("cold boot bytes", COLD)):
        built = sum(files[name] for name in names)
        assert abs(record[row] - built) <= 0.05 * built, (row, record[row], built)
    page = BeautifulSoup((built_site / "try-it" / "index.html").read_text(), "html.parser")
    text = " ".join(page.get_text(" ").split())
    for name in ("resume_bytes", "resume_time", "cold_bytes", "cold_time", "measured"):
        assert bench_numbers.say(name, record) in text, name
    assert "[[bench" not in text
