"""mkdocs-gen-files entry point: the files of the "Try it in your browser" VM go to vm/.

sitebuild.browser_vm fetches, builds and caches them (the first build on a fresh machine downloads
about 160 MB, builds the kernel and boots the VM once under Node.js; later builds reuse the
cache); this only copies the files into the build's virtual docs tree, never into the repository.
"""

import json
import logging
import time

import mkdocs_gen_files
from mkdocs.exceptions import PluginError

from sitebuild import browser_vm, guest, programs

log = logging.getLogger("mkdocs.plugins.browser_vm")

start = time.monotonic()
try:
    built = browser_vm.build(log=log.info)
except (guest.GuestError, programs.ProgramMissing) as e:
    raise PluginError(f"browser VM: {e}") from None
for name, path in built.files.items():
    with mkdocs_gen_files.open(f"vm/{name}", "wb") as f:
        f.write(path.read_bytes())
with mkdocs_gen_files.open("vm/manifest.json", "w") as f:
    json.dump(built.manifest, f, indent=1)
log.info(
    "browser VM: %d files, %.1f MB, in %.2f s",
    len(built.files),
    sum(built.manifest["files"].values()) / 1e6,
    time.monotonic() - start,
)
