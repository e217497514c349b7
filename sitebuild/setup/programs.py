"""The programs the build and the tests run, and the Debian package of each, read from the one
place that installs them (sitebuild/setup/system_deps.sh), so a missing one is reported in one line
that says what to install instead of a FileNotFoundError.
"""

from __future__ import annotations

import re
import shutil
from functools import cache
from pathlib import Path

SYSTEM_DEPS = Path(__file__).with_name("system_deps.sh")


class ProgramMissing(RuntimeError):
    """A program is not installed: one line naming it and its Debian package."""


@cache
def debian_packages() -> dict[str, str]:
    """{program: Debian package} from the `debian_package` function of system_deps.sh (a
    program not listed there is its own package name, as the script says with `*) echo "$1"`)."""
    text = SYSTEM_DEPS.read_text(encoding="utf-8")
    body = text[
        text.index("debian_package() {") : text.index("\n}\n", text.index("debian_package"))
    ]
    return dict(re.findall(r"^\s+([\w.+-]+)\) echo ([\w.+-]+) ;;$", body, re.MULTILINE))


def debian_package(program: str) -> str:
    return debian_packages().get(program, program)


def missing(program: str) -> str:
    """The one line that says `program` is not installed and which Debian package has it."""
    package = debian_package(program)
    return (
        f"{program} is not installed; install the Debian package {package} (`make setup-test` does)"
    )


def require(program: str) -> str:
    """The path of `program`, or ProgramMissing naming its Debian package and the setup step."""
    found = shutil.which(program)
    if found is None:
        raise ProgramMissing(missing(program))
    return found


def not_found(error: BaseException) -> str | None:
    """The program a FileNotFoundError from subprocess is about (None for any other file)."""
    name = getattr(error, "filename", None)
    if not isinstance(error, FileNotFoundError) or not isinstance(name, str):
        return None
    match = re.fullmatch(r"(?:/(?:usr/(?:local/)?)?s?bin/)?([A-Za-z0-9][\w.+-]*)", name)
    return match[1] if match else None
