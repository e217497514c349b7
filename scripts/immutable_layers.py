#!/usr/bin/env python3
"""Images are immutable: a layer is a tar file named by its SHA-256 digest.

We build an OCI image (layers, config and manifest, each stored under its
own digest) in pure Python, then "patch" one file: the result is a new layer,
a new config and a new manifest, so a new image, while the old one stays as
it was. That is why you rebuild the image and replace the containers instead
of patching what runs. No root needed.

Run it: python3 scripts/immutable_layers.py
(any OS, Python 3.11+, standard library only)
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import signal
import sys
import tarfile
import tempfile
import time
from pathlib import Path

LAB = "immutable_layers"

# Uncompressed layers give the same digests everywhere; gzip output can vary.
LAYER = "application/vnd.oci.image.layer.v1.tar"
CONFIG = "application/vnd.oci.image.config.v1+json"
MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def checkpoint(name: str) -> None:
    """Tests set LAB_FAIL_AT or LAB_PAUSE_AT to break or pause the lab here,
    then check that it cleaned up."""
    if os.environ.get("LAB_FAIL_AT") == name:
        raise RuntimeError(f"failing on purpose at {name!r} (LAB_FAIL_AT)")
    if os.environ.get("LAB_PAUSE_AT") == name:
        print(f"paused at {name!r} (LAB_PAUSE_AT)", file=sys.stderr, flush=True)
        time.sleep(60)


# --8<-- [start:layer]
def layer(files: dict[str, bytes]) -> bytes:
    """A layer: a tar of the files. Its metadata is fixed (owner, time,
    order), so the same files always give the same bytes."""
    out = io.BytesIO()
    with tarfile.open(
        fileobj=out, mode="w", format=tarfile.USTAR_FORMAT
    ) as tar:
        for name in sorted(files):
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(files[name]), 0o644, 0
            tar.addfile(info, io.BytesIO(files[name]))
    return out.getvalue()


class Store:
    """An OCI image layout: each blob is stored as blobs/sha256/<its digest>."""

    def __init__(self, root: Path) -> None:
        self.blobs = root / "blobs/sha256"
        self.blobs.mkdir(parents=True)
        (root / "oci-layout").write_text('{"imageLayoutVersion":"1.0.0"}')

    def put(self, data: bytes, media_type: str) -> dict[str, object]:
        digest = hashlib.sha256(data).hexdigest()
        (self.blobs / digest).write_bytes(data)
        return {
            "mediaType": media_type,
            "digest": f"sha256:{digest}",
            "size": len(data),
        }

    def get(self, digest: str) -> bytes:
        data = (self.blobs / digest.removeprefix("sha256:")).read_bytes()
        actual = f"sha256:{hashlib.sha256(data).hexdigest()}"
        # A registry or a runtime checks every blob it reads, like this.
        if actual != digest:
            stored, now = digest[:19], actual[:19]
            raise ValueError(f"stored as {stored}..., but hashes to {now}...")
        return data


def image(store: Store, layers: list[bytes]) -> dict[str, dict]:
    """Store the layers, a config naming them by digest, and a manifest
    naming the config and the layers by digest."""
    descs = [store.put(data, LAYER) for data in layers]
    config = {
        "architecture": "amd64",
        "os": "linux",
        "config": {"Cmd": ["python3", "/app/app.py"]},
        "rootfs": {"type": "layers", "diff_ids": [d["digest"] for d in descs]},
    }
    config_desc = store.put(json.dumps(config, sort_keys=True).encode(), CONFIG)
    manifest = {
        "schemaVersion": 2,
        "mediaType": MANIFEST,
        "config": config_desc,
        "layers": descs,
    }
    manifest_desc = store.put(
        json.dumps(manifest, sort_keys=True).encode(), MANIFEST
    )
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
        v1 = image(store, [base, app_v1])
        print("Built image v1 from two layers. Each part is stored under its")
        print("SHA-256 digest:")
        for part, desc in v1.items():
            digest, size = desc["digest"][:23], desc["size"]
            print(f"  {part:<11} {digest}...  {size:>6} bytes")
        print("The manifest's digest is what you pull by image@sha256:...;")
        print("the config's digest is the image ID the specification defines.")
        checkpoint("stored")
        print()

        # --8<-- [start:patch]
        print('Fixed a typo in app/app.py ("wrold") and built image v2:')
        app_v2 = layer({"app/app.py": b'print("Hello, world!")\n'})
        v2 = image(store, [base, app_v2])
        for part, desc in v2.items():
            same = desc == v1[part]
            verdict = "same: reused, not copied" if same else "NEW"
            print(f"  {part:<11} {desc['digest'][:23]}...  {verdict}")
        print("Image v1 is still there, byte for byte, and so is every")
        print("container started from it.")
        print()

        print("Patching the stored v1 app layer in place instead (one byte):")
        digest = str(v1["app layer"]["digest"])
        blob = store.blobs / digest.removeprefix("sha256:")
        data = bytearray(blob.read_bytes())
        data[data.index(b"wrold")] = ord("W")
        blob.write_bytes(bytes(data))
        try:
            store.get(digest)
            refused = False
        except ValueError as exc:
            print(f"  reading it back fails:\n  {exc}")
            refused = True
        # --8<-- [end:patch]
        again = layer({"etc/os-release": b"NAME=TinyLinux\nVERSION=1.0\n"})
    finally:  # on success, failure or Ctrl-C
        shutil.rmtree(root)
    print()
    print("Same files, same digests; any change, new digests. So you never")
    print("patch an image, or the containers running it: you build a new")
    print("image and replace the containers.")
    reused = v2["base layer"] == v1["base layer"] and again == base
    return 0 if reused and v2["manifest"] != v1["manifest"] and refused else 1


if __name__ == "__main__":
    # Clean up on `kill` (SIGTERM) as on Ctrl-C: both raise KeyboardInterrupt.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print(f"{LAB}: interrupted; cleaned up", file=sys.stderr)
        sys.exit(130)
