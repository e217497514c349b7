"""What every stage of `make bench` shares: run count, errors, logging, HTTP, servers, builds."""

from __future__ import annotations

import contextlib
import os
import resource
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sitebuild.project import mkdocs_env

RUNS = int(os.environ.get("BENCH_RUNS", "5"))  # how many times each timing and audit runs


class BenchError(Exception):
    """Something bench needs did not work; the message says what and what to do."""


def log(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(url: str, *, gzip_ok: bool = False, timeout: float = 10) -> tuple[int, bytes]:
    """Status and body bytes as sent (gzip-compressed when `gzip_ok` and the server agrees)."""
    headers = {"Accept-Encoding": "gzip"} if gzip_ok else {}
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, b""


def wait_for_url(url: str, process: subprocess.Popen[bytes], what: str, limit: float) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchError(f"{what} exited with status {process.returncode} before serving {url}")
        with contextlib.suppress(OSError):
            if fetch(url, timeout=2)[0] == 200:
                return
        time.sleep(0.1)
    raise BenchError(f"{what} did not serve {url} within {limit:.0f} s")


@contextlib.contextmanager
def running(command: list[str], cwd: Path, env: dict[str, str], log_file: Path) -> Iterator[Any]:
    """Run a server for the duration of a `with` block, then stop exactly that process."""
    with log_file.open("wb") as out:
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def build_env(cache: Path) -> dict[str, str]:
    return {**mkdocs_env(), "FIGURE_CACHE_DIR": str(cache)}


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_build(
    project: Path, site: Path, cache: Path, config: str = "mkdocs.yml", strict: bool = True
) -> tuple[float, float]:
    """Wall-clock seconds of one `mkdocs build` process, start-up included, as an author waits,
    and the CPU seconds it used: on a busy machine the CPU time is the steadier comparison."""
    command = [sys.executable, "-m", "mkdocs", "build", "-f", config, "--site-dir", str(site)]
    if strict:
        command.append("--strict")
    start, cpu = time.perf_counter(), children_cpu()
    result = subprocess.run(
        command, cwd=project, env=build_env(cache), capture_output=True, text=True, timeout=900
    )
    elapsed, cpu = time.perf_counter() - start, children_cpu() - cpu
    if result.returncode != 0:
        raise BenchError(
            f"`mkdocs build -f {config}` failed in {project}; run `make build` to see why:\n"
            f"{result.stdout[-3000:]}{result.stderr[-3000:]}"
        )
    return elapsed, cpu
