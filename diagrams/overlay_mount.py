"""overlayfs: read-only lower layers, a writable upper layer, the merged view, copy-up."""

from diagrams import Cluster, Edge

from sitebuild.figures.kit import ARROW, INNER, PANEL, STEP, Fill, box

TITLE = "How overlayfs builds a container's root filesystem"
ALT = (
    "Three rows. Bottom: two read-only lower directories, the image's layers, holding "
    "app.conf, data.db and old.log. Middle: the writable upper directory, the container "
    "layer, holding a whole copy of data.db that the container changed and a whiteout for "
    "old.log, plus a separate empty work directory. Top: the merged view the container sees: "
    "app.conf from a lower layer, data.db from the upper layer, and no old.log."
)
CAPTION = (
    "The first write to a file in a lower layer copies the whole file up (byte by byte on ext4, "
    "as a reflink clone on btrfs or XFS); deleting one leaves a whiteout in the upper layer. The "
    "image's layers never change."
)
DESCRIPTION = (
    "Bottom row, lowerdir, read-only: lower 1 (an image layer) holds app.conf and old.log; "
    "lower 2 (a newer image layer) holds data.db, 2 GB. Middle row, upperdir, writable, the "
    "container layer: data.db, a complete 2 GB copy made on the first write (copy-up), then "
    "changed; on ext4 that copy moves every byte, while on btrfs or XFS with reflinks the "
    "kernel clones the file and shares its blocks; and old.log as a whiteout, a character "
    "device with device number 0/0. Beside "
    "it, workdir: an empty directory on the same filesystem as upperdir that overlayfs needs "
    "for its own use. Top row, the merged directory that is the container's root: app.conf, "
    "read from lower 1; data.db, read from the upper layer; old.log is hidden by the whiteout."
)
DIRECTION = "BT"  # layers stack from the bottom up
GRAPH_ATTR = {"nodesep": "0.3", "ranksep": "0.5"}

FILE = 2.5  # inches: one file's box


def draw() -> None:
    with Cluster("lowerdir: image layers, read-only", graph_attr=PANEL):
        conf = box("lower 1: app.conf", Fill.BLUE, FILE)
        old = box("lower 1: old.log", Fill.BLUE, FILE)
        db = box("lower 2: data.db (2 GB)", Fill.BLUE, FILE)
    with Cluster("upperdir: the container layer, writable", graph_attr=PANEL):
        db_up = box("data.db: whole 2 GB\ncopied up, then changed", Fill.GREEN, FILE, 0.6)
        old_wh = box("old.log: whiteout\n(char device 0/0)", Fill.GREEN, FILE, 0.6)
    work = box("workdir: empty dir on\nupperdir's filesystem", Fill.PALE, FILE, 0.6)
    with Cluster("merged: what the container sees as /", graph_attr=INNER):
        m_conf = box("app.conf", Fill.YELLOW, FILE)
        m_db = box("data.db", Fill.YELLOW, FILE)
        m_old = box("old.log: hidden", Fill.PALE, FILE)
    conf >> Edge(label=" read\n through", **STEP) >> m_conf
    db >> Edge(label=" copy-up on\n first write", **STEP) >> db_up
    db_up >> Edge(**ARROW) >> m_db
    old >> Edge(style="dashed", **ARROW) >> old_wh
    old_wh >> Edge(label=" hides", **STEP) >> m_old
    db >> Edge(style="invis") >> work
