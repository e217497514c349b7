"""Run by bench/builds.py in a child process: `python -m bench.render_timer ROOT SCRIPT RUNS TMP`.

Times sitebuild.figures.render() of one diagram script RUNS times, each on an empty cache, after
one untimed render that imports `diagrams` and finds Graphviz. Prints the seconds as JSON.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

from sitebuild import figures


def main(argv: list[str]) -> None:
    root, script, runs, tmp = Path(argv[0]), Path(argv[1]), int(argv[2]), argv[3]
    samples = []
    for _ in range(runs + 1):
        os.environ[figures.CACHE_ENV] = tempfile.mkdtemp(dir=tmp)
        start = time.perf_counter()
        figures.render(root, [script])
        samples.append(time.perf_counter() - start)
    print(json.dumps(samples[1:]))


if __name__ == "__main__":
    main(sys.argv[1:])
