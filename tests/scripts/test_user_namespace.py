"""scripts/user_namespace.py: root in a user namespace is the reader outside.

CI runs as root, so the page's claim (no sudo needed) is tested by running the lab as nobody;
the root run checks that the lab gives up root before it starts.
"""

from __future__ import annotations

import re
import socket

import pytest

from tests.scripts.labkit import REPO, Lab, assert_one_line_refusal, lab_fixture, load, page_output

LAB = "user_namespace"
lab = lab_fixture(LAB)
pytestmark = pytest.mark.timeout(120)

# What may differ from the committed run: the host's name, and a kernel without modules (ENOSYS,
# our reference machine) or with them (EPERM).
RULES = [
    (r"^(    \(the host's hostname is still ).*\)$", r"\1<host>)"),
    (r"^(  load a kernel module \(init_module\)   )(EPERM|ENOSYS.*)$", r"\1<refused>"),
]


def check_claims(stdout: str, uid: int) -> None:
    assert re.search(r"^  id +uid=0 gid=0 +<- root, here$", stdout, re.MULTILINE)
    assert re.search(rf"^  /proc/self/uid_map   0 {uid} 1 ", stdout, re.MULTILINE)
    assert f"  a file it made       owner 0 here, {uid} outside\n" in stdout
    assert "  sethostname in the host's UTS ns     EPERM\n" in stdout
    assert "  open /etc/shadow                     EACCES\n" in stdout
    assert f"    (the host's hostname is still {socket.gethostname()})\n" in stdout
    assert "    (outside, that directory holds: nothing)\n" in stdout


@pytest.mark.root
def test_unprivileged_it_is_root_inside_and_nobody_outside(lab: Lab) -> None:
    before = socket.gethostname()
    result = lab.run(as_nobody=True)
    assert result.returncode == 0, result.stderr
    assert socket.gethostname() == before
    assert result.stdout.startswith("Outside: uid 65534, gid 65534, 0 capabilities\n")
    check_claims(result.stdout, 65534)
    shown, expected = page_output(LAB, result.stdout, RULES)
    assert shown == expected, "the page shows other output: see labkit.page_output"


@pytest.mark.root
def test_as_root_it_becomes_nobody_first(lab: Lab) -> None:
    result = lab.run()
    assert result.returncode == 0, result.stderr
    first, rest = result.stdout.split("\n", 1)
    assert first == "Running as root: the lab does its work as nobody (65534)."
    check_claims(rest, 65534)


@pytest.mark.root
def test_with_user_namespaces_off_it_says_which_setting_in_one_line(lab: Lab) -> None:
    """For real: user.max_user_namespaces is per user namespace, so the lab runs as root in a
    user namespace of its own where the setting is 0, and the host keeps its own."""
    setup = 'echo 0 > /proc/sys/user/max_user_namespaces && exec "$0" "$@"'
    wrapper = ["unshare", "--user", "--map-root-user", "--", "sh", "-c", setup]
    result = lab.run(wrapper=wrapper)
    assert_one_line_refusal(result, LAB)
    assert "user.max_user_namespaces = 0" in result.stderr
    assert "sudo" not in result.stderr  # this lab never needs it
    with open("/proc/sys/user/max_user_namespaces") as f:
        assert f.read().strip() != "0"


@pytest.mark.parametrize(
    ("setting", "value", "named"),
    [
        ("user/max_user_namespaces", "0", "user.max_user_namespaces = 0"),
        ("kernel/unprivileged_userns_clone", "0", "kernel.unprivileged_userns_clone = 0"),
        (
            "kernel/apparmor_restrict_unprivileged_userns",
            "1",
            "kernel.apparmor_restrict_unprivileged_userns = 1",
        ),
    ],
)
def test_each_restriction_is_named_with_what_rootless_engines_do(
    setting: str, value: str, named: str
) -> None:
    """Debian's and Ubuntu's switches cannot be turned on here without changing the shared host,
    so these read a made-up /proc/sys."""
    module = load(LAB)
    why = module.restriction(lambda path: value if path == setting else None)
    assert named in why
    assert "rootless Podman and Docker" in why
    assert module.restriction(lambda path: None) is None


def test_the_page_tells_readers_to_run_it_without_sudo() -> None:
    page = (REPO / "docs" / "labs" / "user-namespace.md").read_text()
    assert "$ python3 scripts/user_namespace.py\n" in page
    assert "sudo python3 scripts/user_namespace.py" not in page
