"""sitebuild/files.py: the one atomic writer, downloader and cache-key recipe of the build."""

from __future__ import annotations

import hashlib
import http.server
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from sitebuild import files


def test_a_failed_write_leaves_the_old_file_and_no_temporary_one(tmp_path: Path) -> None:
    target = tmp_path / "entry.json"
    files.write_atomic(target, b"old")

    class Unwritable:  # bytes-like enough to reach write(), which then fails
        def __len__(self) -> int:
            return 1

    with pytest.raises(TypeError):
        files.write_atomic(target, Unwritable())  # type: ignore[arg-type]
    assert target.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == [target.name]
    files.write_atomic(tmp_path / "new" / "deep.bin", b"new")  # makes its folders
    assert (tmp_path / "new" / "deep.bin").stat().st_mode & 0o777 == files.MODE


def test_the_key_is_sha256_over_length_prefixed_parts() -> None:
    assert (
        files.key("a", b"bc")
        == hashlib.sha256(b"\0\0\0\0\0\0\0\1a" + b"\0\0\0\0\0\0\0\2bc").hexdigest()
    )
    # A separator could not tell these apart once a part may hold it; lengths can.
    assert files.key("ab", "c") != files.key("a", "bc")
    assert files.key("a\0", "b") != files.key("a", "\0b")
    assert files.key("é") == files.key("é".encode())


@pytest.fixture
def server() -> Iterator[tuple[str, dict[str, bytes], list[str]]]:
    """A local HTTP server: its URL, the files it serves by path, and each path asked for."""
    served: dict[str, bytes] = {}
    asked: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(self.path)
            body = served.get(self.path)
            self.send_response(404 if body is None else 200)
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", served, asked
    httpd.shutdown()
    httpd.server_close()


def test_a_download_is_kept_only_when_its_digest_matches(
    server: tuple[str, dict[str, bytes], list[str]], tmp_path: Path
) -> None:
    url, served, _ = server
    served["/f"] = b"the file"
    dest = tmp_path / "cache" / "f"
    with pytest.raises(files.DigestMismatch) as err:
        files.download(f"{url}/f", dest, digest=hashlib.sha256(b"other").hexdigest())
    assert err.value.got == hashlib.sha256(b"the file").hexdigest()
    assert list(dest.parent.iterdir()) == []  # nothing kept, not even a partial file
    started: list[str] = []
    digest = hashlib.sha512(b"the file").hexdigest()
    files.download(f"{url}/f", dest, digest=digest, algorithm="sha512", started=started.append)
    assert dest.read_bytes() == b"the file" and started == [f"{url}/f"]


def test_a_missing_file_is_not_found_and_announces_nothing(
    server: tuple[str, dict[str, bytes], list[str]], tmp_path: Path
) -> None:
    url, _, asked = server
    started: list[str] = []
    with pytest.raises(files.NotFound, match=r"/gone: HTTP 404"):
        files.download(f"{url}/gone", tmp_path / "gone", started=started.append)
    assert asked == ["/gone"] and started == [] and not (tmp_path / "gone").exists()


def test_an_unreachable_server_is_a_download_error_naming_the_url(tmp_path: Path) -> None:
    with socket.socket() as s:  # a port bound, then closed: nothing listens there
        s.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{s.getsockname()[1]}/x"
    with pytest.raises(files.DownloadError, match="cannot reach it") as err:
        files.download(url, tmp_path / "x", timeout=5)
    assert not isinstance(err.value, files.NotFound) and err.value.url == url
    assert not (tmp_path / "x").exists()
