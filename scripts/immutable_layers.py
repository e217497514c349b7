#!/usr/bin/env python3
"""Images are immutable: a layer is a tar file named by its SHA-256 digest.

We build an OCI image (layers, config, manifest, each stored under its own digest) in pure
Python, then "patch" one file: the result is a new layer, a new config and a new manifest,
so a new image, while the old one stays as it was. That is why you rebuild the image and
replace the containers instead of patching what runs. No root needed.

Run it: python3 scripts/immutable_layers.py   (any OS, Python 3.11+, standard library only)
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sys
import tarfile
import tempfile
import time
from pathlib import Path

# Uncompressed layers keep the digests identical everywhere (gzip output varies with zlib).
LAYER = "application/vnd.oci.image.layer.v1.tar"
CONFIG = "application/vnd.oci.image.config.v1+json"
MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def checkpoint(name: str) -> None:
    """Tests set LAB_FAIL_AT or LAB_PAUSE_AT to break or pause the lab here, then check cleanup."""
    if os.environ.get("LAB_FAIL_AT") == name:
        raise RuntimeError(f"failing on purpose at {name!r} (LAB_FAIL_AT)")
    if os.environ.get("LAB_PAUSE_AT") == name:
        print(f"paused at {name!r} (LAB_PAUSE_AT)", file=sys.stderr, flush=True)
        time.sleep(60)


# --8<-- [start:layer]
def layer(files: dict[str, bytes]) -> bytes:
    """A layer: a tar of the files. Fixed metadata, so the same files give the same bytes."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name in sorted(files):
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(files[name]), 0o644, 0
            tar.addfile(info, io.BytesIO(files[name]))
    return out.getvalue()


class Store:
    """An OCI image layout: every blob lives at blobs/sha256/<the SHA-256 of its bytes>."""

    def __init__(self, root: Path) -> None:
        self.blobs = root / "blobs/sha256"
        self.blobs.mkdir(parents=True)
        (root / "oci-layout").write_text('{"imageLayoutVersion":"1.0.0"}')

    def put(self, data: bytes, media_type: str) -> dict[str, object]:
        digest = hashlib.sha256(data).hexdigest()
        (self.blobs / digest).write_bytes(data)
        return {"mediaType": media_type, "digest": f"sha256:{digest}", "size": len(data)}

    def get(self, digest: str) -> bytes:
        data = (self.blobs / digest.removeprefix("sha256:")).read_bytes()
        actual = f"sha256:{hashlib.sha256(data).hexdigest()}"
        if actual != digest:  # what a registry or runtime does with every blob it reads
            raise ValueError(f"blob {digest[:19]}... now hashes to {actual[:19]}...")
        return data


def image(store: Store, layers: list[bytes], cmd: list[str]) -> dict[str, dict]:
    """Store the layers, a config naming them by digest, and a manifest naming all of it."""
    descs = [store.put(data, LAYER) for data in layers]
    config = {
        "architecture": "amd64",
        "os": "linux",
        "config": {"Cmd": cmd},
        "rootfs": {"type": "layers", "diff_ids": [d["digest"] for d in descs]},
    }
    config_desc = store.put(json.dumps(config, sort_keys=True).encode(), CONFIG)
    manifest = {"schemaVersion": 2, "mediaType": MANIFEST, "config": config_desc, "layers": descs}
    manifest_desc = store.put(json.dumps(manifest, sort_keys=True).encode(), MANIFEST)
    return {
        "base layer": descs[0],
        "app layer": descs[1],
        "config": config_desc,
        "manifest": manifest_desc,
    }


# --8<-- [end:layer]


def main() -> int:
    root = Path(tempfile.mkdtemp(prefix="immutable-layers-"))
    try:
        store = Store(root)
        base = layer({"etc/os-release": b"NAME=TinyLinux\nVERSION=1.0\n"})
        app_v1 = layer({"app/app.py": b'print("Hello, wrold!")\n'})
        v1 = image(store, [base, app_v1], ["python3", "/app/app.py"])
        print("Built image v1 from two layers. Each part is stored under its SHA-256:")
        for part, desc in v1.items():
            print(f"  {part:<11} {desc['digest'][:23]}...  {desc['size']:>6} bytes")
        print("  The manifest's digest is the image's identity: what image@sha256:... pulls.")
        checkpoint("stored")
        print()

        # --8<-- [start:patch]
        print('Fixed a typo in app/app.py ("wrold" -> "world") and built image v2:')
        app_v2 = layer({"app/app.py": b'print("Hello, world!")\n'})
        v2 = image(store, [base, app_v2], ["python3", "/app/app.py"])
        for part, desc in v2.items():
            verdict = "same: reused, not copied" if desc == v1[part] else "NEW"
            print(f"  {part:<11} {desc['digest'][:23]}...  {verdict}")
        print("  Image v1 is still there, byte for byte; containers started from it still run v1.")
        print()

        print("Patching a stored layer in place instead (one byte of the v1 app layer):")
        blob = store.blobs / str(v1["app layer"]["digest"]).removeprefix("sha256:")
        data = bytearray(blob.read_bytes())
        data[data.index(b"wrold")] = ord("W")
        blob.write_bytes(bytes(data))
        try:
            store.get(str(v1["app layer"]["digest"]))
            refused = False
        except ValueError as exc:
            print(f"  reading it back fails: {exc}")
            refused = True
        # --8<-- [end:patch]
        same = layer({"etc/os-release": b"NAME=TinyLinux\nVERSION=1.0\n"}) == base
    finally:  # on success, failure or Ctrl-C
        shutil.rmtree(root)
    print()
    print("Same files, same digests; any change, new digests. So you never patch an image or")
    print("the containers running it: you build a new image and replace the containers.")
    changed = v2["base layer"] == v1["base layer"] and v2["manifest"] != v1["manifest"]
    return 0 if same and changed and refused else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("immutable_layers: interrupted; cleaned up", file=sys.stderr)
        sys.exit(130)
