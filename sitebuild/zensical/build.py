"""Build the site with Zensical into site-zensical/, from the same sources as `make build`.

    python -m sitebuild.zensical.build

1. Copy docs/ into _zensical/docs/ and add what gen-files adds under MkDocs, from the same step
   (sitebuild.generate): figures/, labs/startup-cost-chart.svg, vm/. Copy overrides/ into
   _zensical/overrides/ without the ones only Material can use (MATERIAL_ONLY).
2. Write zensical.gen.yml beside mkdocs.yml: it inherits mkdocs.yml and only points docs_dir,
   site_dir and custom_dir at the folders above (and picks Material's look, variant: classic).
   Zensical resolves docs_dir, custom_dir, watch and the snippets' base_path against the config
   file's folder, and wants docs_dir and site_dir inside it, so the derived config must sit at
   the repository root.
3. `zensical build --strict`. Never --clean: it deletes the whole .cache/ beside the config, where
   our figure cache lives too. site-zensical/ is emptied by hand instead.
4. The post-build pass over the built site (sitebuild.pages.postbuild).

_zensical/, site-zensical/ and zensical.gen.yml are generated and gitignored.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from sitebuild import generate
from sitebuild.pages import postbuild as pages_postbuild
from sitebuild.project import REPO

SCRATCH = REPO / "_zensical"
DOCS = SCRATCH / "docs"
OVERRIDES = SCRATCH / "overrides"
# Our overrides of Material's templates that Zensical must not get, each with the reason.
MATERIAL_ONLY = {
    # Ours is Material's search form with a name added to its dialog. Zensical's own partial is
    # a button that opens its new search, already named; with Material's form its search stays
    # at "Initializing search" for good.
    "partials/search.html": "Zensical's search needs its own partial, which is already named",
}
SITE = REPO / "site-zensical"
CONFIG = REPO / "zensical.gen.yml"
MKDOCS_YML = REPO / "mkdocs.yml"
ANSI = re.compile(r"\x1b\[[0-9;]*m")
# Material's look, not Zensical's default "modern" one, so the two builds are read alike.
CONFIG_TEXT = f"""\
# Written by sitebuild/zensical/build.py for `make build-zensical`: edit mkdocs.yml, not this.
INHERIT: mkdocs.yml
docs_dir: {DOCS.relative_to(REPO)}
site_dir: {SITE.relative_to(REPO)}
theme:
  variant: classic
  custom_dir: {OVERRIDES.relative_to(REPO)}
"""


class BuildError(Exception):
    """The Zensical build failed: the message says at which step and what to do."""


def prepare(root: Path = REPO) -> None:
    """The docs tree Zensical reads: docs/ plus every generated file, and the derived config."""
    if DOCS.exists():
        shutil.rmtree(DOCS)
    shutil.copytree(root / "docs", DOCS)
    try:
        generate.generate(root, generate.into(DOCS))
    except generate.GenerateError as e:
        raise BuildError(f"generate: {e}") from None
    if OVERRIDES.exists():
        shutil.rmtree(OVERRIDES)
    shutil.copytree(root / "overrides", OVERRIDES)
    for name in MATERIAL_ONLY:
        (OVERRIDES / name).unlink()
    CONFIG.write_text(CONFIG_TEXT, encoding="utf-8")


def environment() -> dict[str, str]:
    # Our Markdown extensions (sitebuild.pages.*) import from the repository; `python -m mkdocs`
    # has the working directory on sys.path, Zensical's build does not.
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    return env


def zensical_build() -> None:
    if SITE.exists():
        shutil.rmtree(SITE)
    command = [sys.executable, "-m", "zensical", "build", "--strict", "-f", CONFIG.name]
    result = subprocess.run(
        command,
        cwd=REPO,
        env=environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
    )
    # Zensical colours its diagnostics one character at a time and honours no NO_COLOR or TERM:
    # without the escapes, a CI log or a grep can read the file:line and the source it quotes.
    print(ANSI.sub("", result.stdout), end="", flush=True)
    if result.returncode != 0:
        raise BuildError(
            f"`{' '.join(command)}` exited {result.returncode} (its output is above); "
            "`make build` shows whether MkDocs fails on the same page"
        )


def postbuild() -> None:
    """The post-build pass over site-zensical/, as the MkDocs hook runs it on each page."""
    try:
        settings = pages_postbuild.load_settings(MKDOCS_YML)
        changed = list(pages_postbuild.process_site(SITE, settings))
    except pages_postbuild.PostBuildError as e:
        raise BuildError(f"post-build pass: {e}") from None
    print(f"postbuild: {len(changed)} pages of {SITE.name}/ changed")


def build() -> Path:
    start = time.monotonic()
    prepare()
    zensical_build()
    postbuild()
    print(f"build-zensical: {SITE.relative_to(REPO)}/ in {time.monotonic() - start:.1f} s")
    return SITE


def build_in(project: Path) -> subprocess.CompletedProcess[str]:
    """This build run in `project`, a sitebuild.project.copy_project: its site-zensical/."""
    from sitebuild import figures

    # The copy's .cache is the repository's, linked: keep the figure cache shared (keyed by
    # content) but give Zensical, which fills .cache/ with its own files, the copy's own folder.
    cache = project / ".cache"
    env = dict(os.environ, PYTHONPATH=str(project))
    env[figures.CACHE_ENV] = str(cache.resolve() / "figures")
    if cache.is_symlink():
        cache.unlink()
    cache.mkdir(exist_ok=True)
    return subprocess.run(
        [sys.executable, "-m", "sitebuild.zensical.build"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        build()
    except BuildError as e:
        print(f"build-zensical: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
