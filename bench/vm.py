"""Bench rows for the "Try it in your browser" VM: bytes and times, measured in headless Chromium.

    measure(page_url) -> list of {"name", "value", "unit"}   (the built page's URL; make bench
                                                              passes nginx's, which gzips)
    rows(site) -> the same, served from a built site directory by a plain local server
    python -m bench.vm SITE_DIR                              prints the rows
    write_record(rows) -> bench/vm-latest.json               the last run, dated, with its machine
                                                              and load: the page's numbers
                                                              (sitebuild/pages/bench_numbers.py)

Resume (from the saved state) runs every step of the page's walk, at full speed and again at 4x
CPU slowdown (Chromium's throttling, as Lighthouse does for a phone); a cold boot then boots from
the firmware up. Bytes are what crossed the wire for the VM's files (the server's gzip
included) and what the files weigh. Timings on a shared machine are noisy: report them as such,
never assert them.
"""

from __future__ import annotations

import json
import os
import platform
import re
import sys
import threading
from datetime import UTC, datetime
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from playwright.sync_api import sync_playwright

from sitebuild.pages.bench_numbers import RECORD
from sitebuild.project import CHROMIUM, CHROMIUM_ARGS

STEPS = ["vm", "pid", "uts", "pids", "memory", "overlay", "prepare", "container"]
SLOWDOWN = 4  # a mid-range phone, as Lighthouse's mobile preset throttles the CPU


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def _measure(page: Any, url: str, from_state: bool, slowdown: int = 1) -> dict[str, Any]:
    if slowdown > 1:
        cdp = page.context.new_cdp_session(page)
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": slowdown})
    wire: list[int] = []

    def finished(request: Any) -> None:
        if "/vm/" in request.url:
            sizes = request.sizes()
            wire.append(sizes["responseBodySize"] + sizes["responseHeadersSize"])

    page.on("requestfinished", finished)
    page.goto(url)
    page.wait_for_function("window.vmLab !== undefined")
    page.set_default_timeout(600_000)
    times = page.evaluate(f"window.vmLab.boot({{fromState: {json.dumps(from_state)}}})")
    if from_state:
        times["steps"] = {}
        for step in STEPS:
            command = page.get_attribute(f'button[data-step="{step}"]', "data-command")
            result = page.evaluate("c => window.vmLab.runTimed(c)", command)
            times["steps"][step] = result["seconds"]
    times["wire_bytes"] = sum(wire)
    return times


def measure(url: str) -> list[dict[str, Any]]:
    """Resume with every step of the walk, then one cold boot, on the page at `url`."""
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            resume = _measure(browser.new_page(), url, True)
            slow = _measure(browser.new_page(), url, True, SLOWDOWN)
            cold = _measure(browser.new_page(), url, False)
        finally:
            browser.close()
    out = [
        ("resume bytes", resume["bytes"], "bytes"),
        ("resume bytes on the wire", resume["wire_bytes"], "bytes"),
        ("cold boot bytes", cold["bytes"], "bytes"),
        ("cold boot bytes on the wire", cold["wire_bytes"], "bytes"),
        ("resume to prompt", resume["boot_s"], "s"),
        (f"resume to prompt, {SLOWDOWN}x slowdown", slow["boot_s"], "s"),
        ("cold boot", cold["boot_s"], "s"),
        *((f"step {name}", seconds, "s") for name, seconds in resume["steps"].items()),
        *(
            (f"step {name}, {SLOWDOWN}x slowdown", seconds, "s")
            for name, seconds in slow["steps"].items()
        ),
        (f"slowest step, {SLOWDOWN}x slowdown", max(slow["steps"].values()), "s"),
    ]
    return [{"name": n, "value": v, "unit": u} for n, v, u in out]


def write_record(rows: list[dict[str, Any]], path: Path = RECORD) -> None:
    """Keep this run's numbers for the page, saying when and where they were measured."""
    cpu = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    model = re.search(r"^model name\s*: (.*)", cpu, re.MULTILINE)
    machine = f"headless Chromium, {model[1] if model else platform.machine()}"
    record = {
        "measured": datetime.now(UTC).date().isoformat(),
        "machine": f"{machine}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}",
        **{row["name"]: row["value"] for row in rows},
    }
    path.write_text(json.dumps(record, indent=2) + "\n")


def rows(site: Path) -> list[dict[str, Any]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        return measure(f"http://127.0.0.1:{server.server_port}/try-it/")
    finally:
        server.shutdown()


if __name__ == "__main__":
    for row in rows(Path(sys.argv[1])):
        value = f"{row['value']:,}" if row["unit"] == "bytes" else f"{row['value']:.2f}"
        print(f"{row['name']:<36} {value:>12} {row['unit']}")
