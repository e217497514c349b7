"""The project's one way to write a file, to download one and to name a cache entry.

    write_atomic(path, data)                  all of `data` at `path`, or nothing new there
    download(url, dest, digest=...)           a URL saved at `dest`, verified, or an exception
    key(*parts) -> str                        the hex sha256 naming a cache entry made of `parts`

Standard library only: `make labs` imports sitebuild.vm.guest with the machine's own python3,
before any virtual environment exists.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

# mkstemp makes its file private; what lands in the caches is read by other users and copied
# into the site.
MODE = 0o644


@contextlib.contextmanager
def _replacing(path: Path) -> Iterator[BinaryIO]:
    """A temporary file beside `path`, renamed onto it if the block ends normally, else removed:
    a reader (another process, a parallel build) sees the old file or the whole new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
        os.chmod(tmp, MODE)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to a temporary file beside `path`, then rename: readers see all or nothing."""
    with _replacing(path) as f:
        f.write(data)


class DownloadError(Exception):
    """A download failed: `url`, and `reason` in a few words (the caller says what to do)."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"{url}: {reason}")
        self.url, self.reason = url, reason


class NotFound(DownloadError):
    """The server answered that the file is not there (HTTP 404 or 410): a caller may try
    another place; any other failure is worth a retry at the same one."""


class DigestMismatch(DownloadError):
    """The bytes arrived but are not the ones expected; nothing was kept."""

    def __init__(self, url: str, algorithm: str, got: str, expected: str) -> None:
        super().__init__(url, f"{algorithm} {got} is not the expected {expected}")
        self.algorithm, self.got, self.expected = algorithm, got, expected


def download(
    url: str,
    dest: Path,
    *,
    digest: str | None = None,
    algorithm: str = "sha256",
    started: Callable[[str], None] | None = None,
    timeout: float = 60,
) -> None:
    """Save `url` at `dest` (atomically), hashing it on the way; with `digest` (hex, of
    `algorithm`), keep it only if it matches. `started(url)` is called once the server has
    answered and before the body is read, for a caller's "fetching X from URL" line.

    Raises NotFound (404/410), DigestMismatch, or DownloadError (any other failure); never
    leaves a partial file behind.
    """
    try:
        response = urllib.request.urlopen(url, timeout=timeout)
    except urllib.error.HTTPError as exc:
        kind = NotFound if exc.code in (404, 410) else DownloadError
        raise kind(url, f"HTTP {exc.code}") from None
    except OSError as exc:
        raise DownloadError(url, f"cannot reach it ({exc})") from None
    if started:
        started(url)
    h = hashlib.new(algorithm)
    with response, _replacing(dest) as f:
        try:
            while chunk := response.read(1 << 20):
                h.update(chunk)
                f.write(chunk)
        except OSError as exc:
            raise DownloadError(url, f"interrupted ({exc})") from None
        if digest is not None and h.hexdigest() != digest.lower():
            raise DigestMismatch(url, algorithm, h.hexdigest(), digest.lower())


def file_digest(path: Path, algorithm: str = "sha256") -> str:
    """The hex digest of a file's bytes, read in chunks (a .deb can be 150 MB)."""
    with path.open("rb") as f:
        return hashlib.file_digest(f, algorithm).hexdigest()


def key(*parts: str | bytes) -> str:
    """The hex sha256 of `parts`, each one preceded by its length (8 bytes, big-endian).

    Length prefixes rather than a separator: parts are file contents (bytes that may hold any
    separator, NUL included), so with a separator ("ab", "c") and ("a", "bc") could give the same
    key; with lengths, two different lists of parts never hash the same bytes. A str is hashed as
    its UTF-8. A caller may cut the result short for a file name.
    """
    h = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "big"))
        h.update(data)
    return h.hexdigest()
