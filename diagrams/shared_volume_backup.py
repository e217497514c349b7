"""Figure 6: one volume, 1 to N containers using it, and the backup taken from the volume."""

from diagrams import Cluster, Edge
from diagrams.generic.storage import Storage
from diagrams.onprem.container import Docker
from diagrams.programming.flowchart import Document

from sitebuild.figures.kit import Line, Tint

TITLE = "Backing up a volume shared by several containers"
ALT = (
    "Three app containers, 1, 2 and N, all mount the same volume. A short-lived backup "
    "container mounts that volume read-only and a host folder, and writes app-data.tar.gz into the "
    "host folder. The app containers themselves are not backed up."
)
CAPTION = (
    "Back up the volume, not the containers: any number of containers can share it, and a "
    "throwaway container with tar turns it into one archive on the host."
)
DESCRIPTION = (
    "App containers 1, 2 and N each mount the volume app-data and read and write it. A backup "
    "container, started with docker run --rm, mounts app-data read-only and the host directory "
    "as /backup, runs tar czf, writes app-data.tar.gz to the host and exits. Restoring is the "
    "same in reverse: a new volume, and tar extracting the archive into it."
)
DIRECTION = "LR"
GRAPH_ATTR = {"nodesep": "0.2", "ranksep": "0.5"}
ICON = {"width": "1.1", "height": "1.4"}
ICON_2_LINES = {"width": "1.1", "height": "1.8"}  # room for a second line of label

USE = {"color": Line.BLUE, "penwidth": "1.5", "dir": "both", "arrowsize": "0.7"}
BACKUP = {"color": Line.GREEN, "penwidth": "1.5", "fontsize": "12"}


def draw() -> None:
    with Cluster("App containers (1 to N)", graph_attr={"bgcolor": Tint.PANEL}):
        apps = [Docker("app 1", **ICON), Docker("app 2", **ICON), Docker("app N", **ICON)]
    volume = Storage("volume\napp-data", **ICON_2_LINES)
    for app in apps:
        # One label says it for all three lines.
        label = "read/write" if app is apps[1] else ""
        app >> Edge(label=label, fontsize="12", **USE) >> volume
    with Cluster("docker run --rm", graph_attr={"bgcolor": Tint.GREEN}):
        backup = Docker("backup\ncontainer", **ICON_2_LINES)
    with Cluster("Host folder", graph_attr={"bgcolor": Tint.YELLOW}):
        archive = Document("app-data\n.tar.gz", **ICON_2_LINES)
    volume >> Edge(label="read-only", **BACKUP) >> backup
    backup >> Edge(label="tar czf", **BACKUP) >> archive
