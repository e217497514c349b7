"""Run a lab for real and check what the page claims about it.

Every lab test uses these helpers to: run scripts/NAME.py as the reader would (Debian's
python3, no arguments, a scratch working directory and TMPDIR); compare its output with the
verified file the page embeds (scripts/output/NAME.txt), after normalising only what must
vary between runs; and prove the lab left the host as it found it (mounts, cgroups, files,
processes), on success, on an injected failure, on Ctrl-C and on SIGTERM.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest

from tests import markers

REPO = Path(__file__).resolve().parents[2]
OUTPUT = REPO / "scripts" / "output"
# The interpreter the page tells readers to use (`sudo python3 ...`): Debian's, not the venv's,
# which also proves the labs need nothing beyond the standard library.
PYTHON = "/usr/bin/python3" if Path("/usr/bin/python3").exists() else sys.executable
NOBODY = 65534
Rules = Sequence[tuple[str, str]]
OnPause = Callable[[int], None] | None


def assert_qemu_running(session: int) -> None:
    """An `on_pause` check for the VM labs: their QEMU is up while they are paused, so the
    cleanup check that follows proves the lab stopped QEMU itself."""
    qemu = subprocess.run(["pgrep", "-s", str(session), "qemu"], capture_output=True)
    assert qemu.stdout.strip(), "QEMU should be running while the lab is paused"


# Stand-ins for qemu-system-x86_64, first on PATH, each failing as a real host's KVM did or can:
# an abort (nested KVM on an AMD EPYC host), an error exit, a guest that never comes up.
MSR = "qemu-system-x86_64: error: failed to set MSR 0x10a to 0x69"
ASSERTION = (
    "qemu-system-x86_64: ../../target/i386/kvm/kvm.c:3183: kvm_buf_set_msrs: "
    "Assertion `ret == cpu->kvm_msr_buf->nmsrs' failed."
)
DENIED = "qemu-system-x86_64: -accel kvm: failed to initialize kvm: Permission denied"
ON_KVM = {  # (what it prints on stderr, then what it does)
    "aborts": (f"{MSR}\n{ASSERTION}", "ulimit -c 0; kill -ABRT $$"),
    "exits 1": (f"Could not access KVM kernel module: Permission denied\n{DENIED}", "exit 1"),
    "hangs": ("", "exec sleep 60"),
}
WHY = {
    "aborts": f"KVM failed: QEMU killed by SIGABRT: {ASSERTION}",
    "exits 1": f"KVM failed: QEMU exit 1: {DENIED}",
    "hangs": "on KVM the VM did not power off within 1 s",
}


def stand_in_qemu(where: Path, on_kvm: tuple[str, str]) -> dict[str, str]:
    """A `qemu-system-x86_64` that fails as `on_kvm` says when asked for KVM and runs the real
    QEMU otherwise; returns the environment that puts it first on PATH."""
    real = shutil.which("qemu-system-x86_64")
    assert real, "setup installs qemu-system-x86"
    where.mkdir(exist_ok=True)
    stderr, then = on_kvm
    script = where / "qemu-system-x86_64"
    script.write_text(
        f'#!/bin/sh\ncase " $* " in *" kvm "*)\n'
        f"cat >&2 <<'EOF'\n{stderr}\nEOF\n{then};;\nesac\nexec {real} \"$@\"\n"
    )
    script.chmod(0o755)
    return {"PATH": f"{where}:{os.environ['PATH']}"}


def normalise(text: str, rules: Rules) -> str:
    """Apply (regex, replacement) rules line by line (re.MULTILINE) and drop trailing spaces."""
    for pattern, replacement in rules:
        text = re.sub(pattern, replacement, text, flags=re.MULTILINE)
    return "\n".join(line.rstrip() for line in text.strip("\n").splitlines())


def page_output(name: str, actual: str, rules: Rules = ()) -> tuple[str, str]:
    """(this run, what the page shows), both normalised: the test asserts they are equal.

    The page embeds scripts/output/NAME.txt. If a lab's output changes on purpose, regenerate
    that file from a real run as root: python3 scripts/NAME.py > scripts/output/NAME.txt
    """
    expected = (OUTPUT / f"{name}.txt").read_text()
    return normalise(actual, rules), normalise(expected, rules)


# --- what a lab could leave behind -------------------------------------------------------------


def _cgroup_mounts() -> list[tuple[Path, set[str]]]:
    """(mount point, super options) of every cgroup v1/v2 mount we can see."""
    mounts = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        fields = line.split()
        after = fields[fields.index("-") + 1 :]
        if after[0] == "cgroup":
            mounts.append((Path(fields[4]), set(after[2].split(","))))
        elif after[0] == "cgroup2":
            mounts.append((Path(fields[4]), set()))
    return mounts


def cgroup_dirs() -> frozenset[str]:
    """The cgroup directories a lab may create: each tree's top level, and our own subtree.

    (Other sessions on a shared machine create cgroups beside ours; those are not the lab's.)
    """
    own: dict[frozenset[str], str] = {}
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        own[frozenset(controllers.split(",")) - {""}] = path.lstrip("/")
    found = set()
    for mount, options in _cgroup_mounts():
        found |= {str(p) for p in mount.iterdir() if p.is_dir()}
        ours = [p for c, p in own.items() if c <= options and (c or not options)]
        for root, dirs, _ in os.walk(mount / ours[0]) if ours else ():
            found |= {os.path.join(root, d) for d in dirs}
    return frozenset(found)


@dataclass(frozen=True)
class HostState:
    mountinfo: str
    cgroups: frozenset[str]

    @classmethod
    def now(cls) -> HostState:
        return cls(Path("/proc/self/mountinfo").read_text(), cgroup_dirs())

    def assert_same_as(self, before: HostState, when: str, lab_pid: int | None = None) -> None:
        """Mounts and cgroups as they were. Given the lab's PID, a cgroup named for another
        PID (as in lab-cgroup-limits-1234) is another run's, on a machine shared with other test
        sessions, and is not counted: every lab names its cgroups with its own PID."""
        assert self.mountinfo == before.mountinfo, f"mounts changed {when}"
        added, removed = self.cgroups - before.cgroups, before.cgroups - self.cgroups
        if lab_pid is not None:
            added, removed = (
                {d for d in dirs if not another_runs(d, lab_pid)} for dirs in (added, removed)
            )
        assert not added and not removed, f"cgroups changed {when}: +{added} -{removed}"


def another_runs(cgroup: str, lab_pid: int) -> bool:
    """Whether a cgroup's name ends in a PID other than the lab's: another run made it."""
    pid = re.search(r"-(\d+)$", cgroup)
    return bool(pid) and int(pid[1]) != lab_pid


def live_processes(session: int) -> list[str]:
    """Processes (not zombies) still in the lab's session: the lab left them running."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue  # exited while we looked
        state, _ppid, _pgrp, sid = text.rsplit(")", 1)[1].split()[:4]
        if int(sid) == session and state != "Z":
            found.append(text[: text.index(")") + 1])
    return found


# --- running a lab -----------------------------------------------------------------------------


class Lab:
    """One lab, run from a scratch directory that must be empty again afterwards."""

    def __init__(self, name: str, scratch: Path) -> None:
        self.name, self.script = name, REPO / "scripts" / f"{name}.py"
        self.cwd, self.tmp = scratch / "cwd", scratch / "tmp"
        for d in (self.cwd, self.tmp):
            d.mkdir(mode=0o777)
            d.chmod(0o777)  # writable for the unprivileged run too
        self.before = HostState.now()

    def command(
        self, args: Sequence[str], wrapper: Sequence[str], script: Path | None = None
    ) -> list[str]:
        return [*wrapper, PYTHON, str(script or self.script), *args]

    def environment(self, env: dict[str, str] | None) -> dict[str, str]:
        base = {k: v for k, v in os.environ.items() if not k.startswith("LAB_")}
        return {**base, "TMPDIR": str(self.tmp), **(env or {})}

    def run(
        self,
        *args: str,
        env: dict[str, str] | None = None,
        as_nobody: bool = False,
        wrapper: Sequence[str] = (),
        timeout: float = 120,
    ) -> subprocess.CompletedProcess[str]:
        """Run the lab to the end, then check it cleaned up after itself."""
        if as_nobody:  # the command line does not show it: say here that this takes root
            markers.hold({"root": "runs a lab as nobody, which takes root to switch user"})
        proc = subprocess.Popen(
            self.command(args, wrapper, self._copy_for_nobody() if as_nobody else None),
            cwd=self.cwd,
            env=self.environment(env),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
            preexec_fn=_drop_to_nobody if as_nobody else None,
        )
        try:
            out, err = proc.communicate(timeout=timeout)
        finally:
            _kill_session(proc)
        self.assert_clean(proc.pid, "after the run")
        return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)

    def _copy_for_nobody(self) -> Path:
        """The lab, byte for byte and still named scripts/NAME.py, where nobody can read it: a
        checkout under a private (0700) directory is closed to nobody. A lab is one file a reader
        can copy, so the copy runs exactly as the original does."""
        copy = self.cwd.parent / "scripts" / self.script.name
        copy.parent.mkdir(mode=0o755, exist_ok=True)
        shutil.copyfile(self.script, copy)
        copy.chmod(0o644)
        return copy

    def fail_at(self, checkpoint: str, *args: str) -> None:
        """Make the lab fail on purpose at a checkpoint (LAB_FAIL_AT): it must exit 1 naming
        it, and clean up (checked by run)."""
        result = self.run(*args, env={"LAB_FAIL_AT": checkpoint})
        assert result.returncode == 1, (result.returncode, result.stderr)
        assert f"failing on purpose at '{checkpoint}'" in result.stderr, result.stderr

    def interrupt_at(self, checkpoint: str, *args: str, on_pause: OnPause = None) -> HostState:
        """Pause the lab at a checkpoint, press Ctrl-C (SIGINT to its process group, as a
        terminal does): it must exit 130 and clean up. Returns the host state while it was
        paused; `on_pause(pid)`, if given, looks at the paused lab first."""
        return self._stop_at(checkpoint, args, "Ctrl-C", on_pause)

    def terminate_at(self, checkpoint: str, *args: str, on_pause: OnPause = None) -> HostState:
        """Pause the lab at a checkpoint, then `kill` it (SIGTERM to the lab's own process
        only, so it must stop its children itself): it must exit 130 and clean up, as on
        Ctrl-C. Returns the host state while it was paused; `on_pause` as above."""
        return self._stop_at(checkpoint, args, "SIGTERM", on_pause)

    def _stop_at(
        self, checkpoint: str, args: Sequence[str], how: str, on_pause: OnPause
    ) -> HostState:
        proc = subprocess.Popen(
            self.command(args, ()),
            cwd=self.cwd,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
            env=self.environment({"LAB_PAUSE_AT": checkpoint}),
        )
        try:
            err = _read_until(proc, "paused at")
            during = HostState.now()
            if on_pause:
                on_pause(proc.pid)
            if how == "Ctrl-C":
                os.killpg(proc.pid, signal.SIGINT)
            else:
                os.kill(proc.pid, signal.SIGTERM)
            err += proc.communicate(timeout=30)[1]
        finally:
            _kill_session(proc)
        try:
            self.assert_clean(proc.pid, f"after {how}")
        except AssertionError as e:  # what the lab said helps to see why
            raise AssertionError(f"{e}\nthe lab's stderr:\n{err}") from None
        assert proc.returncode == 130, (proc.returncode, err)
        assert f"{self.name}: interrupted; cleaned up" in err, err
        return during

    def assert_clean(self, session: int, when: str) -> None:
        deadline = time.monotonic() + 5  # killed processes take a moment to be gone
        while (left := live_processes(session)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not left, f"{self.name} left processes running {when}: {left}"
        HostState.now().assert_same_as(self.before, when, lab_pid=session)
        for d in (self.cwd, self.tmp):
            assert not any(d.iterdir()), f"{self.name} left files in {d} {when}: {os.listdir(d)}"


def _drop_to_nobody() -> None:
    os.setgroups([])
    os.setgid(NOBODY)
    os.setuid(NOBODY)


def _kill_session(proc: subprocess.Popen[str]) -> None:
    """Whatever happened in the test, no lab process outlives it."""
    if proc.poll() is None:
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def _read_until(proc: subprocess.Popen[str], marker: str) -> str:
    """Read the lab's stderr up to `marker` (the test's timeout guards against a hang)."""
    assert proc.stderr is not None
    seen = ""
    while marker not in seen:
        line = proc.stderr.readline()
        assert line, f"the lab ended before {marker!r}: {seen}"
        seen += line
    return seen


def lab_fixture(name: str) -> Callable[[], Iterator[Lab]]:
    """The `lab` fixture of one lab's test module: `lab = lab_fixture(LAB)`."""

    @pytest.fixture
    def lab() -> Iterator[Lab]:
        """The lab, run from a scratch directory that must be empty again afterwards."""
        with scratch_dir() as scratch:
            yield Lab(name, scratch)

    return lab


def private_mounts(setup: str) -> list[str]:
    """A `wrapper` for Lab.run: run `setup` (shell) in a mount namespace of its own, then the
    lab in it, so what setup mounts or unmounts is seen by the lab and never by the host."""
    return [
        "unshare",
        "--mount",
        "--propagation",
        "private",
        "--",
        "sh",
        "-c",
        setup + ' && exec "$0" "$@"',
    ]


@contextmanager
def scratch_dir() -> Iterator[Path]:
    """A scratch directory that an unprivileged user can reach (pytest's tmp_path is 0700)."""
    path = Path(tempfile.mkdtemp(prefix="labtest-"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        shutil.rmtree(path)


def assert_one_line_refusal(result: subprocess.CompletedProcess[str], name: str) -> None:
    """Missing privilege or feature: exit 2, one line naming it and how to run the lab."""
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert result.stdout == "", result.stdout
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert f"python3 scripts/{name}.py" in lines[0], lines[0]


def load(name: str) -> ModuleType:
    """Import scripts/NAME.py as a module, to unit-test paths this machine cannot run."""
    spec = importlib.util.spec_from_file_location(name, REPO / "scripts" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module
