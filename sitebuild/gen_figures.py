"""mkdocs-gen-files entry point: every figure script in diagrams/ becomes figures/NAME.svg.

The files go into the build's virtual docs tree, never into the repository. All the work is in
sitebuild.figures; this file only connects it to MkDocs.
"""

import logging
import time
from pathlib import Path

import mkdocs_gen_files
from mkdocs.exceptions import PluginError

from sitebuild import figures

log = logging.getLogger("mkdocs.plugins.figures")

root = Path(mkdocs_gen_files.config.config_file_path).resolve().parent
start, before = time.monotonic(), figures.renders
try:
    rendered = figures.render_all(root)
except figures.FigureErrors as e:
    raise PluginError(str(e)) from None
for figure in rendered:
    with mkdocs_gen_files.open(f"figures/{figure.name}.svg", "w") as f:
        f.write(figure.svg)
fresh = figures.renders - before
log.info(
    "figures: %d in %.2f s (%d rendered, %d from the cache)",
    len(rendered),
    time.monotonic() - start,
    fresh,
    len(rendered) - fresh,
)
