"""Every file the build generates, in one step: the figures, the start-up chart, the browser VM.

Under MkDocs, mkdocs-gen-files runs this file (mkdocs.yml lists it) and the files join the build's
virtual docs tree. Before a builder that runs no plugins (Zensical), run it alone:

    python -m sitebuild.generate --out DIR

DIR then holds figures/NAME.svg, labs/startup-cost-chart.svg and vm/..., at the paths the pages
link to. Nothing is ever written into the repository; the work and its caches are in
sitebuild.figures and sitebuild.vm.browser_vm.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path

from sitebuild.figures import startup_chart
from sitebuild.project import REPO
from sitebuild.setup import programs

Write = Callable[[str, bytes], None]  # (path in the docs tree, bytes)
log = logging.getLogger("mkdocs.plugins.generate")


class GenerateError(Exception):
    """A generated file cannot be made: the message says which and what to do."""


def figures(root: Path, write: Write) -> None:
    """Every figure script in diagrams/ becomes figures/NAME.svg."""
    from sitebuild import figures

    start, before = time.monotonic(), figures.renders
    try:
        rendered = figures.render_all(root)
    except figures.FigureErrors as e:
        raise GenerateError(str(e)) from None
    for figure in rendered:
        write(f"figures/{figure.name}.svg", figure.svg.encode())
    fresh = figures.renders - before
    log.info(
        "figures: %d in %.2f s (%d rendered, %d from the cache)",
        len(rendered),
        time.monotonic() - start,
        fresh,
        len(rendered) - fresh,
    )


def chart(write: Write) -> None:
    """The start-up chart, drawn from the lab's verified output, beside the table on its page."""
    try:
        svg = startup_chart.svg(startup_chart.OUTPUT.read_text())
    except (OSError, ValueError) as e:
        raise GenerateError(str(e)) from None
    write("labs/startup-cost-chart.svg", svg.encode())


def browser_vm(write: Write) -> None:
    """The "Try it in your browser" VM's files go to vm/. The first build on a fresh machine
    downloads about 160 MB, builds the kernel and boots the VM once under Node.js; later builds
    reuse the cache (sitebuild.vm.browser_vm)."""
    from sitebuild.vm import browser_vm, guest

    start = time.monotonic()
    try:
        built = browser_vm.build(log=log.info)
    except (guest.GuestError, programs.ProgramMissing) as e:
        raise GenerateError(f"browser VM: {e}") from None
    for name, path in built.files.items():
        write(f"vm/{name}", path.read_bytes())
    write("vm/manifest.json", json.dumps(built.manifest, indent=1).encode())
    log.info(
        "browser VM: %d files, %.1f MB, in %.2f s",
        len(built.files),
        sum(built.manifest["files"].values()) / 1e6,
        time.monotonic() - start,
    )


def generate(root: Path, write: Write) -> None:
    figures(root, write)
    chart(write)
    browser_vm(write)


def into(folder: Path) -> Write:
    """A Write that puts each file under `folder`, at its path in the docs tree."""

    def write(path: str, data: bytes) -> None:
        target = folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)

    return write


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sitebuild.generate", description=__doc__)
    parser.add_argument("--out", type=Path, required=True, help="the folder to write into")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    try:
        generate(REPO, into(args.out))
    except GenerateError as e:
        print(f"generate: {e}", file=sys.stderr)
        return 1
    return 0


def under_gen_files(steps: Callable[[Path, Write], None] = generate) -> None:
    """Run `steps` inside mkdocs-gen-files: what they write joins the build's docs tree."""
    import mkdocs_gen_files
    from mkdocs.exceptions import PluginError

    def write(path: str, data: bytes) -> None:
        with mkdocs_gen_files.open(path, "wb") as f:
            f.write(data)

    root = Path(mkdocs_gen_files.config.config_file_path).resolve().parent
    try:
        steps(root, write)
    except GenerateError as e:
        raise PluginError(str(e)) from None


if __name__ == "__main__":
    sys.exit(main())
elif __name__ == "<run_path>":  # mkdocs-gen-files runs the file with runpy.run_path
    under_gen_files()
