"""Figure 5: a VM keeps code and state on one disk; containers keep state in volumes."""

from diagrams import Cluster, Edge, Node
from diagrams.generic.storage import Storage
from diagrams.onprem.container import Docker

from sitebuild.figures.kit import BORDER, Fill, Line, Tint

TITLE = "State inside a VM versus state in volumes"
ALT = (
    "Left, one VM whose single disk holds the OS, the app code, its config and its data, all "
    "mixed together. Right, an app container and a database container, each started from an "
    "image, with their data in two volumes outside the containers; a newer app container "
    "replaces the old one and mounts the same volume."
)
CAPTION = (
    "In a VM, code and state share one disk, so replacing the VM means moving the data. "
    "A container keeps its state in a volume, so the container itself can be thrown away."
)
DESCRIPTION = (
    "Left, a monolithic VM: its one disk holds the operating system, the app code, the config "
    "and the data. Right, containers: an app container (app:1.4) and a database container "
    "(postgres:16) run from read-only images; the app writes uploads to an uploads volume and "
    "the database writes to a db-data volume. A new app container (app:1.5) replaces app:1.4 "
    "and mounts the same uploads volume, so no data moves."
)
DIRECTION = "TB"
GRAPH_ATTR = {"nodesep": "0.35", "ranksep": "0.6"}

MOUNT = {"color": Line.BLUE, "penwidth": "1.5", "label": "mount", "fontsize": "12"}


def disk(*rows: tuple[str, str]) -> Node:
    """One node drawn as a table: a VM disk whose rows are what it holds."""
    cells = "".join(
        f'<TR><TD BGCOLOR="{fill}" WIDTH="150" HEIGHT="30">{text}</TD></TR>' for text, fill in rows
    )
    table = f'<<TABLE BORDER="1" CELLBORDER="0" CELLSPACING="2" COLOR="{BORDER}">{cells}</TABLE>>'
    return Node(table, shape="plain", labelloc="c", fixedsize="false")


def draw() -> None:
    with Cluster("VM: one disk holds everything", graph_attr={"bgcolor": Tint.PURPLE}):
        disk(
            ("Operating system", Fill.PURPLE),
            ("App code", Fill.GREEN),
            ("Config", Fill.YELLOW),
            ("Data (state)", Fill.BLUE),
        )
    with Cluster("Containers: state lives in volumes", graph_attr={"bgcolor": Tint.PANEL}):
        with Cluster("Containers (replaceable)", graph_attr={"bgcolor": Tint.WHITE}):
            db = Docker("postgres:16")
            old = Docker("app:1.4\n(being replaced)")
            new = Docker("app:1.5")
        with Cluster(
            "Volumes (outlive containers)",
            graph_attr={"bgcolor": Tint.BLUE, "labelloc": "b"},
        ):
            data = Storage("db-data")
            uploads = Storage("uploads")
        old >> Edge(style="dashed", **MOUNT) >> uploads
        new >> Edge(**MOUNT) >> uploads
        db >> Edge(**MOUNT) >> data
