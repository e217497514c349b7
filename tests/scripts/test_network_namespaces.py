"""scripts/network_namespaces.py: two network namespaces on a veth pair, each its own stack."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.scripts.labkit import Lab, assert_one_line_refusal, lab_fixture, page_output

LAB = "network_namespaces"
lab = lab_fixture(LAB)
pytestmark = [pytest.mark.timeout(120), pytest.mark.root]

# What may differ from the committed run: namespace inode numbers, the round-trip time.
RULES = [
    (r"net:\[\d+\]", "net:[<inode>]"),
    (r"fastest \d+\.\d+ ms", "fastest <t> ms"),
]
NAMESPACE = re.compile(r"^Namespace ([AB]) \((net:\[\d+\])\)", re.MULTILINE)


def host_veths() -> list[str]:
    """The veth devices in the test's (the host's) network namespace."""
    out = subprocess.run(
        ["ip", "-o", "link", "show", "type", "veth"], capture_output=True, text=True, check=True
    ).stdout
    return sorted(line.split(":")[1].strip() for line in out.splitlines())


def holders(namespaces: set[str]) -> list[str]:
    """Every process or descriptor that still refers to one of the lab's `namespaces`: while
    there is none (and no mount: HostState compares mountinfo), the kernel has freed them, and
    the veth pair in them. The kernel reuses a freed namespace's number at once, so a match
    counts only if that namespace still holds one of the lab's addresses."""
    found = []
    for link in [*Path("/proc").glob("[0-9]*/ns/net"), *Path("/proc").glob("[0-9]*/fd/*")]:
        try:
            if os.readlink(link) not in namespaces:
                continue
        except OSError:
            continue  # gone while we looked
        inside = subprocess.run(
            ["nsenter", f"--net={link}", "ip", "-o", "-4", "address", "show"],
            capture_output=True,
            text=True,
        ).stdout
        if "10.200.0." in inside:
            found.append(str(link))
    return found


def lab_namespaces(pid: int) -> set[str]:
    """The network namespaces the paused lab holds open, other than its own."""
    own = os.readlink(f"/proc/{pid}/ns/net")
    links = {os.readlink(fd) for fd in Path(f"/proc/{pid}/fd").iterdir()}
    return {link for link in links if link.startswith("net:[") and link != own}


def test_each_namespace_has_its_own_stack_and_output_matches_page(lab: Lab) -> None:
    veths = host_veths()
    result = lab.run()
    assert result.returncode == 0, result.stderr
    out = result.stdout
    inodes = dict(NAMESPACE.findall(out))
    host = re.search(r"The host's own namespace is (net:\[\d+\])", out)[1]
    # Checked against the test's own view: the lab's "host" is the test's namespace.
    assert host == os.readlink("/proc/self/ns/net")
    assert len({host, *inodes.values()}) == 3, "A, B and the host: three namespaces"
    for name, address in (("A", "10.200.0.1/24"), ("B", "10.200.0.2/24")):
        block = out.split(f"Namespace {name} ")[1].split("Namespace ")[0]
        assert re.search(r"^  interface 1  lo +127\.0\.0\.1/8 ", block, re.MULTILINE)
        assert re.search(rf"^  interface 2  eth0 +{re.escape(address)} +veth", block, re.M)
        assert re.findall(r"^  route +(.*?)  ", block, re.MULTILINE) == ["10.200.0.0/24 dev eth0"]
    assert "From A, ping 10.200.0.2: 3 replies from B's stack" in out
    assert "B accepts it, from 10.200.0.1." in out
    assert "(192.0.2.1): Network is unreachable." in out
    assert "before and after: the same." in out
    assert host_veths() == veths
    assert not holders(set(inodes.values())), "the lab's namespaces outlived it"
    shown, expected = page_output(LAB, out, RULES)
    assert shown == expected, "the page shows other output: see labkit.page_output"


def test_namespaces_are_freed_after_an_injected_failure(lab: Lab) -> None:
    veths = host_veths()
    result = lab.run(env={"LAB_FAIL_AT": "connected"})
    assert result.returncode == 1 and "failing on purpose" in result.stderr, result.stderr
    inodes = set(dict(NAMESPACE.findall(result.stdout)).values())
    assert len(inodes) == 2, result.stdout  # proves we look for the right ones
    assert not holders(inodes), "the lab's namespaces outlived it"
    assert host_veths() == veths


@pytest.mark.parametrize("how", ["Ctrl-C", "SIGTERM"])
def test_namespaces_are_freed_when_stopped(lab: Lab, how: str) -> None:
    veths, seen = host_veths(), set()

    def while_paused(pid: int) -> None:
        seen.update(lab_namespaces(pid))
        assert host_veths() == veths, "a veth end appeared in the host's namespace"

    stop = lab.interrupt_at if how == "Ctrl-C" else lab.terminate_at
    stop("connected", on_pause=while_paused)
    assert len(seen) == 2, seen
    assert not holders(seen), "the lab's namespaces outlived it"
    assert host_veths() == veths


def test_without_ip_it_refuses_in_one_line(lab: Lab) -> None:
    empty = lab.cwd.parent / "empty-path"
    empty.mkdir()
    result = lab.run(env={"PATH": str(empty)})
    assert_one_line_refusal(result, LAB)
    assert "needs `ip` from iproute2" in result.stderr
