"""Figure 7: patching by replacement (containers) beside patching in place (a VM)."""

from diagrams import Cluster, Edge
from diagrams.onprem.compute import Server
from diagrams.onprem.container import Docker
from diagrams.programming.flowchart import Document

from sitebuild.figures.kit import STEP, Tint

TITLE = "Patching containers by replacing them, and a VM in place"
ALT = (
    "Containers: 1, edit the Dockerfile to a patched base image; 2, build a new image tag, "
    "app:1.1; 3, start new containers from it; 4, stop and remove the old app:1.0 containers. "
    "VM: log in to the running VM, upgrade its packages in place, restart services; the same "
    "VM carries on, changed."
)
CAPTION = (
    "A container is never patched: you change the Dockerfile, build a new image and replace "
    "the containers. A VM is usually patched where it runs, so each one drifts on its own."
)
DESCRIPTION = (
    "Container side, left to right: the Dockerfile is edited to use a patched base image; "
    "docker build makes a new image tagged app:1.1; new containers start from app:1.1; the old "
    "containers, from app:1.0, are stopped and removed, and the old image stays available for a "
    "rollback. VM side: an administrator logs in to the running VM, runs the package manager's "
    "upgrade and restarts services; the same VM keeps running with changed contents."
)
DIRECTION = "TB"
GRAPH_ATTR = {"nodesep": "0.3", "ranksep": "0.45"}

ICON = {"width": "1.2", "height": "1.5"}
ICON_2_LINES = {"width": "1.2", "height": "2.0"}  # room for a second line of label


def draw() -> None:
    with Cluster("Containers: replace", graph_attr={"bgcolor": Tint.PANEL}):
        dockerfile = Document("1. Dockerfile:\npatched base", **ICON_2_LINES)
        image = Docker("image app:1.1", **ICON)
        with Cluster("Started", graph_attr={"bgcolor": Tint.GREEN}):
            new = [Docker("app:1.1", **ICON), Docker("app:1.1", **ICON)]
        with Cluster("Stopped, removed", graph_attr={"bgcolor": Tint.GREY, "style": "dashed"}):
            old = [Docker("app:1.0", **ICON), Docker("app:1.0", **ICON)]
        dockerfile >> Edge(label="2. docker build", **STEP) >> image
        for i, (fresh, stale) in enumerate(zip(new, old, strict=True)):
            # Each step is labelled once, on the first of its two arrows.
            image >> Edge(label="" if i else "3. start new", **STEP) >> fresh
            fresh >> Edge(label="" if i else "4. stop old", style="dashed", **STEP) >> stale
    with Cluster("VM: patch in place", graph_attr={"bgcolor": Tint.PURPLE}):
        vm = Server("running VM", **ICON)
        upgraded = Server("same VM,\nnow changed", **ICON_2_LINES)
        vm >> Edge(label="log in, upgrade\npackages, restart", **STEP) >> upgraded
