"""sitebuild/setup/system_deps.sh: quiet when tools are there, one clear line when it can't help."""

from __future__ import annotations

import subprocess
from pathlib import Path

from sitebuild.project import REPO

SCRIPT = REPO / "sitebuild" / "setup" / "system_deps.sh"


def run(args: list[str], path: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["/bin/bash", str(SCRIPT), *args],
        env={"PATH": path},
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_present_tools_install_nothing_and_print_nothing() -> None:
    result = run(["bash", "dot"], "/usr/bin:/bin")
    assert result.returncode == 0
    assert result.stdout == "" and result.stderr == ""


def test_without_a_package_manager_it_names_the_tool_and_the_package(tmp_path: Path) -> None:
    # A PATH with only the basics the script itself uses, and no apt-get or brew.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ["id", "uname", "grep"]:
        (bin_dir / tool).symlink_to(Path("/usr/bin") / tool)
    result = run(["dot"], str(bin_dir))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "'dot' is missing" in lines[0] and "graphviz" in lines[0]


def test_on_ubuntu_a_missing_chromium_says_what_to_do(tmp_path: Path) -> None:
    # Ubuntu's chromium-browser installs a snap, which does not run in containers.
    os_release = tmp_path / "os-release"
    os_release.write_text('NAME="Ubuntu"\nID=ubuntu\nVERSION_ID="24.04"\n')
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ["id", "uname", "grep"]:
        (bin_dir / tool).symlink_to(Path("/usr/bin") / tool)
    result = subprocess.run(
        ["/bin/bash", str(SCRIPT), "chromium"],
        env={"PATH": str(bin_dir), "OS_RELEASE": str(os_release)},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "snap" in lines[0] and "/usr/bin/chromium" in lines[0]


# A stand-in apt-get: `update` fails as a broken third-party source makes it fail; `install`
# either puts a working `dot` on PATH or fails as apt-get does for an unknown package.
FAKE_APT_GET = """#!/bin/bash
case "$1" in
  update)
    echo "E: The repository 'https://example.org/apt stable Release' has no Release file." >&2
    exit 100 ;;
  install)
    if [ "$INSTALL" = ok ]; then
      printf '#!/bin/sh\\n' > "$(dirname "$0")/dot" && chmod +x "$(dirname "$0")/dot"
      exit 0
    fi
    echo "E: Unable to locate package graphviz" >&2
    exit 100 ;;
esac
"""


def run_with_fake_apt(tmp_path: Path, install: str) -> subprocess.CompletedProcess[str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ["id", "uname", "grep", "dirname", "chmod"]:
        (bin_dir / tool).symlink_to(Path("/usr/bin") / tool)
    (bin_dir / "apt-get").write_text(FAKE_APT_GET)
    # Run by a user other than root (make test-fast), the script calls `sudo apt-get`: this
    # stand-in sudo runs it as that user, so both ways reach the stand-in apt-get.
    (bin_dir / "sudo").write_text('#!/bin/sh\nexec "$@"\n')
    for program in ("apt-get", "sudo"):
        (bin_dir / program).chmod(0o755)
    return subprocess.run(
        ["/bin/bash", str(SCRIPT), "dot"],
        env={"PATH": str(bin_dir), "INSTALL": install, "OS_RELEASE": "/nonexistent"},
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_a_failing_update_does_not_stop_an_install_that_works(tmp_path: Path) -> None:
    result = run_with_fake_apt(tmp_path, install="ok")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "bin" / "dot").exists()
    # It says what it did, and that the update failed, without stopping.
    assert "installed graphviz although apt-get update failed" in result.stderr


def test_when_the_install_fails_too_one_line_names_the_package(tmp_path: Path) -> None:
    result = run_with_fake_apt(tmp_path, install="fail")
    assert result.returncode == 1
    failures = [line for line in result.stderr.splitlines() if "could not install" in line]
    assert len(failures) == 1, result.stderr
    assert "graphviz" in failures[0]
    assert "Unable to locate package graphviz" in failures[0]
    assert "has no Release file" in failures[0]  # and why the update failed
