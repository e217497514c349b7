"""The project as the tests, the benchmark and the link checker see it: where it is, what its
mkdocs.yml says, and how `make` runs MkDocs on it.

Plain Python (no pytest, no Playwright), so any of them can import it. mkdocs.yml is read one
way, by MkDocs itself: `config()` (load_config) gives the values a build uses, defaults included;
`config_as_written()` gives the entries as listed, for a tool that writes a variant of the file.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from mkdocs.config import load_config
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.utils.yaml import yaml_load

REPO = Path(__file__).resolve().parents[1]
MKDOCS = [sys.executable, "-m", "mkdocs"]

# The things a build reads. A scratch copy holds these, so a test can break one on purpose.
PROJECT_FILES = [
    "mkdocs.yml",
    "docs",
    "diagrams",
    "scripts",
    "sitebuild",
    "overrides",
    "includes",
    "hooks",
    "bench/vm-latest.json",  # the numbers Try it states ([[bench NAME]])
]

# Headless Chromium as the browser tests and the benchmark start it: Debian's binary (Playwright's
# own browser download does not work here), and none of its calls home.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


@functools.cache
def config(project: Path = REPO) -> MkDocsConfig:
    """`project`'s mkdocs.yml as MkDocs reads it for a build: validated, defaults filled in."""
    return load_config(str(project / "mkdocs.yml"))


def config_as_written(project: Path = REPO) -> dict[str, Any]:
    """`project`'s mkdocs.yml as written, through MkDocs' own YAML loader (its tags and INHERIT
    resolved, nothing validated): plugin and hook entries as listed, which load_config turns into
    objects that cannot be written back (bench's build without figures needs them as text)."""
    with open(project / "mkdocs.yml", "rb") as file:
        return yaml_load(file)


SITE_NAME: str = config().site_name
SITE_URL: str = config().site_url or "/"  # e.g. "https://example.org/explainer/"
SITE_PATH = urlsplit(SITE_URL).path or "/"  # e.g. "/explainer/": where the site is served


@functools.cache  # every build in a run asks; the answer cannot change during the run
def last_commit_epoch() -> str:
    """Seconds since the epoch of the last commit: `make` exports it as SOURCE_DATE_EPOCH."""
    return subprocess.run(
        # safe.directory: `sudo make test` runs git as root in a checkout owned by someone else.
        ["git", "-C", str(REPO), "-c", f"safe.directory={REPO}", "log", "-1", "--format=%ct"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def mkdocs_env() -> dict[str, str]:
    """The environment `make` gives MkDocs: the two MkDocs 2 banners silenced, and dates taken
    from the last commit (SOURCE_DATE_EPOCH), not the clock, so builds are reproducible."""
    env = dict(os.environ)
    env.update(NO_MKDOCS_2_WARNING="1", DISABLE_MKDOCS_2_WARNING="true")
    env.setdefault("SOURCE_DATE_EPOCH", last_commit_epoch())
    return env


def build(project: Path, site_dir: Path) -> subprocess.CompletedProcess[str]:
    """`mkdocs build --strict` of `project` into `site_dir`; output kept for the caller."""
    return subprocess.run(
        [*MKDOCS, "build", "--strict", "--site-dir", str(site_dir)],
        cwd=project,
        env=mkdocs_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )


def copy_project(dest: Path) -> Path:
    """A copy of everything a build reads, in `dest`, to edit or break without touching the repo."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in PROJECT_FILES:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
        elif source.exists():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    # The figure cache is keyed by content, so sharing it keeps copies fast and stays correct.
    if (REPO / ".cache").exists():
        (dest / ".cache").symlink_to(REPO / ".cache")
    return dest
