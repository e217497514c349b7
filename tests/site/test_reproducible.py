"""Two clean builds from the same commit give byte-identical sites, and dates come from the commit.

Each build starts from its own copy of the project (so an absolute path leaking into the output
shows up as a difference) with its own empty figure cache (so every figure is rendered twice,
not read back from one cache). Both get SOURCE_DATE_EPOCH from the last commit, as `make` gives
it; conftest's mkdocs_env does the same for every test build.
"""

from __future__ import annotations

import gzip
import struct
import subprocess
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sitebuild import figures
from sitebuild.project import MKDOCS, REPO, copy_project, last_commit_epoch, mkdocs_env
from sitebuild.vm import guest

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def _start_clean_build(workdir: Path) -> tuple[subprocess.Popen[str], Path]:
    project = copy_project(workdir / "project")
    (project / ".cache").unlink(missing_ok=True)  # never share the repository's figure cache
    cache = workdir / "figure-cache"
    cache.mkdir()
    site = workdir / "site"
    process = subprocess.Popen(
        [*MKDOCS, "build", "--strict", "--site-dir", str(site)],
        cwd=project,
        # The browser VM's files are shared, like downloaded packages: its kernel takes minutes
        # to build. Its kernel and saved state are the same bytes from any build; that is
        # tested apart (tests/setup/test_browser_vm_kernel.py, tests/setup/test_browser_vm.py).
        env={**mkdocs_env(), figures.CACHE_ENV: str(cache), "GUEST_CACHE": str(guest.cache_dir())},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    return process, site


@pytest.fixture(scope="module")
def two_builds(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    # In parallel: two independent processes share nothing but the machine, and CI has 2 cores.
    started = [_start_clean_build(tmp_path_factory.mktemp(f"clean-{n}")) for n in (1, 2)]
    for process, _ in started:
        output, _ = process.communicate(timeout=600)
        assert process.returncode == 0, f"clean build failed:\n{output}"
    return started[0][1], started[1][1]


def _tree(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in site.rglob("*") if p.is_file()}


def _first_difference(a: bytes, b: bytes) -> str:
    at = next(
        (i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b))
    )
    return f"byte {at}: {a[max(0, at - 40) : at + 40]!r} vs {b[max(0, at - 40) : at + 40]!r}"


@pytest.mark.slow
def test_two_clean_builds_are_byte_identical(two_builds: tuple[Path, Path]) -> None:
    first, second = (_tree(site) for site in two_builds)
    assert first.keys() == second.keys(), (
        f"only in the first build: {sorted(first.keys() - second.keys())}; "
        f"only in the second: {sorted(second.keys() - first.keys())}"
    )
    differing = sorted(path for path in first if first[path] != second[path])
    assert not differing, (
        f"{len(differing)} file(s) differ between two clean builds:\n"
        + "\n".join(
            f"  {path}: {_first_difference(first[path], second[path])}" for path in differing[:10]
        )
    )


@pytest.mark.slow
def test_the_comparison_covers_figures_search_index_and_sitemaps(
    two_builds: tuple[Path, Path],
) -> None:
    # Identical trees prove little if the parts most likely to differ were never built.
    built = _tree(two_builds[0]).keys()
    expected = {"sitemap.xml", "sitemap.xml.gz", "search/search_index.json", "index.html"}
    expected |= {f"figures/{figures.figure_name(p)}.svg" for p in figures.scripts(REPO)}
    assert expected <= built, f"missing from the build: {sorted(expected - built)}"


@pytest.mark.slow
def test_sitemap_dates_and_gzip_header_come_from_the_last_commit(
    two_builds: tuple[Path, Path],
) -> None:
    site = two_builds[0]
    day = datetime.fromtimestamp(int(last_commit_epoch()), UTC).date()
    sitemap = (site / "sitemap.xml").read_bytes()
    dates = {el.text for el in ET.fromstring(sitemap).iter(f"{SITEMAP}lastmod")}
    assert dates == {day.isoformat()}, f"sitemap lastmod {dates}, last commit is from {day}"

    packed = (site / "sitemap.xml.gz").read_bytes()
    assert gzip.decompress(packed) == sitemap
    # RFC 1952 header: magic, method, flags, then MTIME as a little-endian uint32.
    magic, _, flags, mtime = struct.unpack("<HBBI", packed[:8])
    assert magic == 0x8B1F
    midnight = int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())
    assert mtime == midnight, f"gzip header time {mtime}, expected {midnight} (the commit's day)"
    if flags & 0x08:  # FNAME: the stored name must not be a path from the build machine
        name = packed[10 : packed.index(b"\0", 10)]
        assert name == b"sitemap.xml", name


def test_make_exports_source_date_epoch_from_the_last_commit() -> None:
    # `make build`, `make serve` and `make test` all inherit it from the Makefile's top level.
    printed = subprocess.run(
        ["make", "--no-print-directory", "-s", "--eval", "sde: ; @echo $$SOURCE_DATE_EPOCH", "sde"],
        cwd=REPO,
        env={k: v for k, v in mkdocs_env().items() if k != "SOURCE_DATE_EPOCH"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert printed == last_commit_epoch()
