"""Inside an OCI image: an index points to manifests, a manifest to a config and layers."""

from diagrams import Cluster, Edge

from sitebuild.figures.kit import ARROW, INNER, PANEL, STEP, Fill, box

TITLE = "Inside an OCI image: index, manifest, config, layers"
ALT = (
    "An image index lists one manifest per platform, here linux/amd64 and linux/arm64. The "
    "amd64 manifest points, by SHA-256 digest, to a config and to three layers. The config "
    "holds the entrypoint, environment and the list of uncompressed layer digests. Each layer "
    "is a tar archive of changes: a base filesystem; a layer adding the app and a file "
    "secret.txt; a layer holding only a whiteout entry that hides secret.txt."
)
CAPTION = (
    "Every arrow is a digest: change one byte of a layer and its digest, the manifest's and "
    "the index's all change. Deleting a file adds a whiteout; the old layer keeps the file."
)
DESCRIPTION = (
    "Top: the image index (application/vnd.oci.image.index.v1+json), which a tag such as "
    "app:1.4 points to. It lists two manifests by digest, one for linux/amd64 and one for "
    "linux/arm64. The amd64 manifest points by digest to a config (entrypoint, environment, "
    "working directory and rootfs.diff_ids, the digests of the uncompressed layers) and to "
    "three layers, each a tar archive, usually gzip- or zstd-compressed. Layer 1 holds the "
    "base filesystem, /bin, /etc, /lib and /usr. Layer 2 adds /app/server and, by mistake, "
    "/app/secret.txt. Layer 3 holds /app/.wh.secret.txt, a whiteout: when the layers are "
    "stacked, secret.txt disappears from view, but layer 2 still contains it and is still "
    "downloaded with the image."
)
DIRECTION = "TB"  # from the name down to the bytes
GRAPH_ATTR = {"nodesep": "0.3", "ranksep": "0.45"}


def draw() -> None:
    tag = box("Tag app:1.4", Fill.PALE, 1.6)
    index = box("Image index\n(one entry per platform)", Fill.YELLOW, 2.6, 0.6)
    with Cluster("Manifests", graph_attr=PANEL):
        amd64 = box("Manifest linux/amd64", Fill.YELLOW, 2.4)
        arm64 = box("Manifest linux/arm64", Fill.YELLOW, 2.4)
    config = box("Config: entrypoint, env,\nworking dir, rootfs.diff_ids", Fill.YELLOW, 2.6, 0.6)
    with Cluster("Layers: tar archives of changes, applied in order", graph_attr=INNER):
        base = box("Layer 1: /bin /etc\n/lib /usr (base)", Fill.BLUE, 2.2, 0.6)
        app = box("Layer 2: /app/server,\n/app/secret.txt", Fill.BLUE, 2.2, 0.6)
        whiteout = box("Layer 3:\n/app/.wh.secret.txt", Fill.BLUE, 2.2, 0.6)
    tag >> Edge(**ARROW) >> index
    index >> Edge(label=" sha256:…", **STEP) >> [amd64, arm64]
    amd64 >> Edge(label=" sha256:…", **STEP) >> config
    amd64 >> Edge(label=" sha256:…", **STEP) >> [base, app, whiteout]
