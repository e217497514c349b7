"""scripts/startup_cost.py: a table of start-up times; its shape is tested, not its numbers."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
from labkit import Lab, lab_fixture, load, page_output, private_mounts

LAB = "startup_cost"
lab = lab_fixture(LAB)
pytestmark = pytest.mark.timeout(120)
startup_cost = load(LAB)
RUNS = 5

# Everything measured or described varies; the committed run shows one real set of numbers.
# The docker and QEMU rows are measured or skipped depending on the machine.
RULES = [
    (r"\(/\S*true\)", "(<true>)"),
    (r"^(date|machine|system)( +).*$", r"\1\2<\1>"),
    (r"^(.{32}) +\d+ +\d+\.\d\d +\d+\.\d\d +\d+\.\d\d$", r"\1 <runs> <median> <min> <max>"),
    (r"^((?:docker run|QEMU VM).{23}) +skipped: .*$", r"\1 <runs> <median> <min> <max>"),
    (r"add -?\d+\.\d\d ms", "add <n> ms"),
]
ROW = re.compile(r"^(.{32}) +(\d+) +(\d+\.\d\d) +(\d+\.\d\d) +(\d+\.\d\d)$", re.MULTILINE)


def rows(out: str) -> dict[str, tuple[int, float, float, float]]:
    return {m[1].strip(): (int(m[2]), *map(float, m.groups()[2:])) for m in ROW.finditer(out)}


def docker_answers() -> bool:
    try:
        return subprocess.run(["docker", "info"], capture_output=True).returncode == 0
    except FileNotFoundError:
        return False


def test_table_shape_with_few_runs_and_output_matches_page(lab: Lab) -> None:
    result = lab.run("--runs", str(RUNS))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert re.search(r"^date     \d{4}-\d\d-\d\d \d\d:\d\d UTC$", out, re.MULTILINE)
    assert re.search(r"^machine  .+, \d+ CPUs, \d+\.\d GiB RAM", out, re.MULTILINE)
    table = rows(out)
    for label in ("plain process (fork, exec, wait)", "6 new namespaces, as a container"):
        runs, median, low, high = table[label]
        assert runs == RUNS and 0 < low <= median <= high
    for label in ("docker run --rm busybox true", "QEMU VM boot, then power off"):
        skipped = re.search(rf"^{re.escape(label)} +skipped: \S.*$", out, re.MULTILINE)
        assert (label in table) != bool(skipped), f"{label}: measured or skipped, one line"
    if not docker_answers():
        assert re.search(r"^docker run --rm busybox true +skipped: no daemon answers", out, re.M)
    shown, expected = page_output(LAB, out, RULES)
    assert shown == expected, "the page shows other output: see labkit.page_output"


def test_committed_run_is_a_full_run_with_its_date_and_machine() -> None:
    committed = (Path(__file__).parents[2] / "scripts/output/startup_cost.txt").read_text()
    assert re.search(r"^date     20\d\d-\d\d-\d\d \d\d:\d\d UTC$", committed, re.MULTILINE)
    assert re.search(r"^system   .+, kernel \S+, Python 3\.\d+", committed, re.MULTILINE)
    assert {runs for runs, *_ in rows(committed).values()} == {200}


def test_docker_row_is_measured_when_a_daemon_answers(lab: Lab, tmp_path: Path) -> None:
    """No engine here, so a stand-in `docker` that answers like one drives the measured path."""
    fake = lab.cwd.parent / "bin"
    fake.mkdir()
    (fake / "docker").write_text('#!/bin/sh\ncase "$1" in info|image|run) exit 0;; esac; exit 1\n')
    (fake / "docker").chmod(0o755)
    result = lab.run("--runs", "20", env={"PATH": f"{fake}:{os.environ['PATH']}"})
    assert result.returncode == 0, result.stderr
    assert rows(result.stdout)["docker run --rm busybox true"][0] == 3  # max(3, runs // 20)


def test_bad_runs_argument_is_refused_by_name(lab: Lab) -> None:
    result = lab.run("--runs", "many")
    assert result.returncode == 2 and "--runs: 'many' is not a whole number" in result.stderr


def read_newc(data: bytes) -> list[tuple[str, int, bytes]]:
    """Read a cpio archive field by field, as the kernel's initramfs unpacker does."""
    offset, entries = 0, []
    while True:
        assert data[offset : offset + 6] == b"070701", f"no newc magic at {offset}"
        fields = [int(data[offset + 6 + 8 * i : offset + 14 + 8 * i], 16) for i in range(13)]
        mode, size, namesize = fields[1], fields[6], fields[11]
        name_at = offset + 110
        assert data[name_at + namesize - 1] == 0, "names end with NUL"
        name = data[name_at : name_at + namesize - 1].decode()
        body = (name_at + namesize + 3) // 4 * 4
        if name == "TRAILER!!!":
            assert len(data) % 4 == 0
            return entries
        entries.append((name, mode, data[body : body + size]))
        offset = (body + size + 3) // 4 * 4


def test_initramfs_is_a_valid_newc_cpio() -> None:
    entries = [
        ("bin", 0o40755, b""),
        ("bin/busybox", 0o100755, b"\x7fELF..."),
        ("init", 0o100755, b"#!"),
    ]
    assert read_newc(startup_cost.cpio(entries)) == entries


FAKE_QEMU = """#!/bin/sh
# Stands in for qemu-system-x86_64: checks the command line, keeps the initramfs, "boots".
while [ $# -gt 0 ]; do
  case "$1" in -kernel) kernel=$2; shift;; -initrd) initrd=$2; shift;; -no-reboot) noreboot=1;; esac
  shift
done
[ -f "$kernel" ] && [ -n "$noreboot" ] && cp "$initrd" "$QEMU_SEEN/initrd.cpio"
"""
FAKE_BOOT = private_mounts('mount -t tmpfs none /boot && echo k >"/boot/vmlinuz-$(uname -r)"')


def test_qemu_row_boots_the_host_kernel_with_a_busybox_initramfs(lab: Lab) -> None:
    """No QEMU or /boot kernel here: a stand-in qemu and a private /boot drive the real path."""
    fake, seen = lab.cwd.parent / "bin", lab.cwd.parent / "seen"
    fake.mkdir()
    seen.mkdir()
    (fake / "qemu-system-x86_64").write_text(FAKE_QEMU)
    (fake / "qemu-system-x86_64").chmod(0o755)
    env = {"PATH": f"{fake}:{os.environ['PATH']}", "QEMU_SEEN": str(seen)}
    result = lab.run("--runs", "5", env=env, wrapper=FAKE_BOOT)
    assert result.returncode == 0, result.stderr
    assert rows(result.stdout)["QEMU VM boot, then power off"][0] == 3  # max(3, runs // 50)
    initramfs = dict(
        (name, (mode, data)) for name, mode, data in read_newc((seen / "initrd.cpio").read_bytes())
    )
    busybox = Path(startup_cost.shutil.which("busybox")).read_bytes()
    assert initramfs["bin/busybox"] == (0o100755, busybox)
    assert initramfs["init"][1].startswith(b"#!/bin/busybox sh\n")
