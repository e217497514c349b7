"""scripts/seccomp_filter.py: a seccomp filter refuses calls that root could otherwise make."""

from __future__ import annotations

import os
import re
import signal

import pytest

from tests.scripts.labkit import Lab, lab_fixture, load, page_output

LAB = "seccomp_filter"
lab = lab_fixture(LAB)
pytestmark = pytest.mark.timeout(120)

REFUSED = ("unshare(CLONE_NEWUTS)", "setns(its own UTS ns)", "mount a tmpfs", "keyctl(its keyring)")


@pytest.mark.root
def test_the_filter_refuses_what_root_could_do_and_output_matches_page(lab: Lab) -> None:
    result = lab.run()
    assert result.returncode == 0, result.stderr
    before, after = result.stdout.split("\n\n")[:2]
    for label in REFUSED:
        assert re.search(rf"^  {re.escape(label)} +ok$", before, re.MULTILINE), label
        assert re.search(rf"^  {re.escape(label)} +EPERM$", after, re.MULTILINE), label
    assert re.search(r"^  getpid, uname, a file +ok$", after, re.MULTILINE)
    assert re.search(r"^  /proc/self/status +Seccomp: 2, NoNewPrivs: 1$", after, re.MULTILINE)
    assert "The lab's own process:    Seccomp: 0, NoNewPrivs: 0\n" in result.stdout
    shown, expected = page_output(LAB, result.stdout)
    assert shown == expected, "the page shows other output: see labkit.page_output"


def test_a_call_made_for_another_architecture_kills_the_process() -> None:
    """The filter's first check, for real: told that this machine is another architecture,
    it kills the process at its next system call (SIGSYS), before any number is compared."""
    module = load(LAB)
    pid = os.fork()
    if pid == 0:
        try:
            module.install(module.program(0xC00000B7 ^ 0xC000003E ^ 0xDEAD, [], False))
            os.getppid()
        finally:
            os._exit(0)
    _, status = os.waitpid(pid, 0)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGSYS


def test_it_knows_x86_64_and_aarch64_by_the_kernels_numbers() -> None:
    """The numbers of arch/x86/entry/syscalls/syscall_64.tbl and include/uapi/asm-generic/unistd.h
    (arm64), and AUDIT_ARCH_* of include/uapi/linux/audit.h (EM_* | 64BIT | LE)."""
    module = load(LAB)
    assert module.ARCHES["x86_64"] == (
        62 | 0x80000000 | 0x40000000,
        {"unshare": 272, "setns": 308, "mount": 165, "keyctl": 250},
    )
    assert module.ARCHES["aarch64"] == (
        183 | 0x80000000 | 0x40000000,
        {"unshare": 97, "setns": 268, "mount": 40, "keyctl": 219},
    )


def test_another_architecture_is_refused_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    module = load(LAB)
    monkeypatch.setattr(module.os, "uname", lambda: os.uname_result(("", "", "", "", "riscv64")))
    monkeypatch.setattr(module, "privileged", lambda: True)
    assert module.main() == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.splitlines()) == 1
    assert "x86_64 and aarch64, not riscv64; run: sudo python3 scripts/seccomp_filter.py" in err
