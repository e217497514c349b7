"""What every lab promises, checked once per lab: it refuses clearly when it cannot run, cleans
up on an injected failure, on Ctrl-C and on SIGTERM, and carries the same shared helpers, word
for word, as every other lab that has them. Each lab's own module checks only its own claims.
"""

from __future__ import annotations

import ast
import difflib
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.markers import lab_marks
from tests.scripts.labkit import (
    REPO,
    HostState,
    Lab,
    another_runs,
    assert_one_line_refusal,
    scratch_dir,
)

pytestmark = pytest.mark.timeout(120)


@dataclass(frozen=True)
class Needs:
    """What one lab needs, declared once."""

    checkpoint: str  # where a failure, Ctrl-C and SIGTERM are tried: with the most to undo
    args: tuple[str, ...] = ()
    root: bool = True  # False: runs (and is tested elsewhere) as an unprivileged user
    cgroups: str = ""  # the name prefix of cgroups it makes while running; "" for none


LABS = {
    "same_kernel": Needs("inside"),
    "just_a_process": Needs("outside"),
    "cgroup_limits": Needs("forked", cgroups="lab-cgroup-limits-"),
    "mini_container": Needs("inside", cgroups="mini-container-"),
    "volumes_outlive": Needs("running"),
    "immutable_layers": Needs("stored", root=False),
    "startup_cost": Needs("measured", args=("--runs", "5")),
    "network_namespaces": Needs("connected"),
    "what_it_sees": Needs("inside", cgroups="lab-what-it-sees-"),
    "vm_own_kernel": Needs("booting", root=False),
    "user_namespace": Needs("inside", root=False),
    "capabilities": Needs("dropped"),
    "seccomp_filter": Needs("filtered"),
}
ROOT_LABS = [name for name, needs in LABS.items() if needs.root]
# Shared helpers, copied into each lab that needs one so a reader can copy one file alone.
# Every copy must be the same text; a lab needing root must carry the privilege check.
SHARED = ("checkpoint", "call", "privileged", "refuse")
NEEDED_BY_ROOT_LABS = ("privileged", "refuse")
# The two VM labs also share what gets and boots their guest: the pinned Debian packages, the
# download (mirror, then snapshot archive), unpacking a .deb, writing the initramfs, and the
# probe that falls back from KVM to TCG. Each must carry every one, word for word.
VM_LABS = ("startup_cost", "vm_own_kernel")
VM_SHARED = ("MIRROR", "SNAPSHOT", "KVM_WAIT", "Deb", "KERNEL", "BUSYBOX", "Missing", "get",
             "deb_file", "cpio", "kvm_or_tcg")  # fmt: skip
# Root without CAP_SYS_ADMIN, as in a default Docker container.
NO_SYS_ADMIN = ["setpriv", "--bounding-set=-sys_admin", "--inh-caps=-sys_admin", "--"]


# Each lab's runs carry the markers of what it needs (root, a VM): see tests/markers.py.
@pytest.fixture(params=[pytest.param(name, marks=lab_marks(name)) for name in LABS])
def lab(request: pytest.FixtureRequest) -> Iterator[Lab]:
    with scratch_dir() as scratch:
        yield Lab(request.param, scratch)


def needs(lab: Lab) -> Needs:
    return LABS[lab.name]


def test_every_lab_is_declared() -> None:
    assert sorted(LABS) == sorted(p.stem for p in (REPO / "scripts").glob("*.py"))


def test_injected_failure_leaves_nothing_behind(lab: Lab) -> None:
    lab.fail_at(needs(lab).checkpoint, *needs(lab).args)


def assert_only_own_cgroups_while_paused(lab: Lab, during: HostState, pid: int) -> None:
    """While paused: no mount reached the host, and the only new cgroups are the lab's own
    (cgroups named for another PID are another test run's on this shared machine)."""
    assert during.mountinfo == lab.before.mountinfo, "a mount reached the host"
    made = {d for d in during.cgroups - lab.before.cgroups if not another_runs(d, pid)}
    prefix = needs(lab).cgroups
    if prefix:  # also proves the snapshot sees cgroups, so "none left" means something
        assert made and all(Path(d).name == f"{prefix}{pid}" for d in made), made
    else:
        assert not made, made


def test_ctrl_c_leaves_nothing_behind(lab: Lab) -> None:
    pids: list[int] = []
    during = lab.interrupt_at(needs(lab).checkpoint, *needs(lab).args, on_pause=pids.append)
    assert_only_own_cgroups_while_paused(lab, during, pids[0])


def test_sigterm_cleans_up_as_ctrl_c_does(lab: Lab) -> None:
    pids: list[int] = []
    during = lab.terminate_at(needs(lab).checkpoint, *needs(lab).args, on_pause=pids.append)
    assert_only_own_cgroups_while_paused(lab, during, pids[0])


# Root, whatever the lab needs: dropping to nobody takes it.
@pytest.mark.root
@pytest.mark.parametrize("name", [pytest.param(n, marks=lab_marks(n)) for n in ROOT_LABS])
def test_without_root_it_refuses_in_one_line(name: str) -> None:
    with scratch_dir() as scratch:
        assert_one_line_refusal(Lab(name, scratch).run(as_nobody=True), name)


@pytest.mark.root
@pytest.mark.parametrize("name", [pytest.param(n, marks=lab_marks(n)) for n in ROOT_LABS])
def test_root_without_cap_sys_admin_refuses_in_one_line(name: str) -> None:
    with scratch_dir() as scratch:
        result = Lab(name, scratch).run(*LABS[name].args, wrapper=NO_SYS_ADMIN)
    assert_one_line_refusal(result, name)
    assert "CAP_SYS_ADMIN" in result.stderr


# --- the copied helpers ----------------------------------------------------------------------


def top_level(name: str) -> tuple[str, dict[str, str]]:
    """(source, {name: its source}) of the lab's module-level functions, classes (with their
    decorators) and constants, and its `if __name__ == "__main__":` block under "__main__"."""
    source = (REPO / "scripts" / f"{name}.py").read_text()
    lines = source.splitlines()
    found = {}
    for node in ast.parse(source).body:
        first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
        text = "\n".join(lines[first - 1 : node.end_lineno])
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            found[node.name] = text
        elif isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            found[node.targets[0].id] = text
        elif isinstance(node, ast.If) and "__main__" in ast.unparse(node.test):
            found["__main__"] = text
    return source, found


@pytest.mark.parametrize("helper", [*SHARED, "__main__"])
def test_copied_helpers_are_word_for_word_the_same(helper: str) -> None:
    copies = {name: top_level(name)[1].get(helper) for name in LABS}
    copies = {name: text for name, text in copies.items() if text is not None}
    assert copies, f"no lab defines {helper}"
    canonical, _ = Counter(copies.values()).most_common(1)[0]
    differ = [name for name, text in copies.items() if text != canonical]
    assert not differ, f"{helper} in {differ} differs from the other labs':\n{canonical}"


@pytest.mark.parametrize("helper", VM_SHARED)
def test_vm_labs_carry_the_same_guest_helpers(helper: str) -> None:
    copies = {name: top_level(name)[1].get(helper) for name in VM_LABS}
    missing = [name for name, text in copies.items() if text is None]
    assert not missing, f"{helper} is missing from {missing}: copy it from the other VM lab"
    first, second = (copies[name].splitlines() for name in VM_LABS)  # type: ignore[union-attr]
    diff = "\n".join(difflib.unified_diff(first, second, *VM_LABS, lineterm=""))
    assert not diff, f"{helper} differs between the VM labs; make them the same:\n{diff}"


@pytest.mark.parametrize("name", list(LABS))
def test_each_lab_names_itself_and_stops_on_sigterm_as_on_ctrl_c(name: str) -> None:
    source, found = top_level(name)
    assert re.search(rf'^LAB = "{name}"$', source, re.MULTILINE), f"{name}: no LAB = {name!r}"
    assert "signal.signal(signal.SIGTERM, signal.default_int_handler)" in found["__main__"]
    assert "checkpoint" in found
    if LABS[name].root:
        missing = [h for h in NEEDED_BY_ROOT_LABS if h not in found]
        assert not missing, f"{name} needs root but has no {missing}"
