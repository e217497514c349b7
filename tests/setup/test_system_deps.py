"""sitebuild/system_deps.sh: quiet when tools are present, one clear line when it can't help."""

from __future__ import annotations

import subprocess
from pathlib import Path

from sitebuild.project import REPO

SCRIPT = REPO / "sitebuild" / "system_deps.sh"


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
