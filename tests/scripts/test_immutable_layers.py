"""scripts/immutable_layers.py: content-addressed layers, so a patch is a new image."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from pathlib import Path

import pytest

from tests.scripts.labkit import Lab, lab_fixture, load, page_output

LAB = "immutable_layers"
lab = lab_fixture(LAB)
pytestmark = pytest.mark.timeout(120)
immutable_layers = load(LAB)


def test_patch_gives_new_digests_and_output_matches_page(lab: Lab) -> None:
    result = lab.run()
    assert result.returncode == 0, result.stderr
    assert "  base layer  sha256:93d5ab91866ed90e...  same: reused, not copied" in result.stdout
    assert result.stdout.count("NEW") == 3  # app layer, config, manifest
    assert "reading it back fails:\n  stored as sha256:" in result.stdout
    # Digests depend only on content: the page's output holds on every machine, unnormalised.
    shown, expected = page_output(LAB, result.stdout)
    assert shown == expected, "the page shows other output: see labkit.page_output"


@pytest.mark.root
def test_needs_no_privilege_and_prints_the_same(lab: Lab) -> None:
    result = lab.run(as_nobody=True)
    assert result.returncode == 0, result.stderr
    shown, expected = page_output(LAB, result.stdout)
    assert shown == expected, "the page shows other output: see labkit.page_output"


def test_layer_is_a_plain_tar_and_deterministic() -> None:
    files = {"b.txt": b"two\n", "a.txt": b"one\n"}
    data = immutable_layers.layer(files)
    assert immutable_layers.layer(dict(reversed(files.items()))) == data  # order does not matter
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        assert tar.getnames() == ["a.txt", "b.txt"]
        assert {m.mtime for m in tar.getmembers()} == {0}
        assert tar.extractfile("b.txt").read() == b"two\n"
    assert immutable_layers.layer({**files, "a.txt": b"one!\n"}) != data


def test_store_names_blobs_by_digest_and_refuses_tampered_ones(tmp_path: Path) -> None:
    store = immutable_layers.Store(tmp_path)
    base, app = immutable_layers.layer({"x": b"1"}), immutable_layers.layer({"y": b"2"})
    parts = immutable_layers.image(store, [base, app])
    for desc in parts.values():
        blob = store.blobs / desc["digest"].removeprefix("sha256:")
        assert f"sha256:{hashlib.sha256(blob.read_bytes()).hexdigest()}" == desc["digest"]
        assert blob.stat().st_size == desc["size"]
    manifest = json.loads(store.get(parts["manifest"]["digest"]))
    assert manifest["config"] == parts["config"]
    assert [d["digest"] for d in manifest["layers"]] == [
        parts["base layer"]["digest"],
        parts["app layer"]["digest"],
    ]
    config = json.loads(store.get(parts["config"]["digest"]))
    assert config["rootfs"]["diff_ids"] == [d["digest"] for d in manifest["layers"]]
    (store.blobs / parts["config"]["digest"].removeprefix("sha256:")).write_bytes(b"{}")
    with pytest.raises(ValueError, match=r"stored as sha256:\S+, but hashes to sha256:"):
        store.get(parts["config"]["digest"])
