"""Figure 7: patching by replacement (containers) beside patching in place (a VM)."""

from diagrams import Cluster, Edge
from diagrams.onprem.client import User
from diagrams.onprem.compute import Server
from diagrams.onprem.container import Docker
from diagrams.programming.flowchart import Document

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
DIRECTION = "LR"
GRAPH_ATTR = {"nodesep": "0.3", "ranksep": "0.6"}

STEP = {"color": "#455A64", "fontsize": "12", "arrowsize": "0.7"}


def draw() -> None:
    # A left-to-right layout stacks separate clusters bottom-up: the VM, drawn first, goes below.
    with Cluster("VM: patch in place", graph_attr={"bgcolor": "#F3E5F5"}):
        vm = Server("running VM")
        upgraded = Server("same VM,\nnow changed")
        vm >> Edge(label="log in, upgrade\npackages, restart", **STEP) >> upgraded
    with Cluster("Containers: replace", graph_attr={"bgcolor": "#F5F7F8"}):
        dockerfile = Document("Dockerfile\n(patched base)")
        image = Docker("image app:1.1\n(new tag)")
        with Cluster("Running", graph_attr={"bgcolor": "#E8F5E9"}):
            new = [Docker("app:1.1"), Docker("app:1.1")]
        with Cluster("Stopped and removed", graph_attr={"bgcolor": "#ECEFF1", "style": "dashed"}):
            old = [Docker("app:1.0"), Docker("app:1.0")]
        User("you") >> Edge(label="1. edit", **STEP) >> dockerfile
        dockerfile >> Edge(label="2. docker build", **STEP) >> image
        image >> Edge(label="3. start new", **STEP) >> new
        for fresh, stale in zip(new, old, strict=True):
            fresh >> Edge(label="4. stop old", style="dashed", **STEP) >> stale


if __name__ == "__main__":
    from sitebuild.figures import main

    raise SystemExit(main([__file__]))
