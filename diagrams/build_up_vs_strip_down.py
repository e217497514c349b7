"""Figure 4: a container image is built up from layers; a VM image starts as a whole OS."""

from diagrams import Cluster, Edge, Node

from sitebuild.figures.kit import PANEL, STEP, Fill, Line, box

TITLE = "Building an image up versus stripping a VM image down"
ALT = (
    "Left, a container image built up from the bottom: a small base layer, then a runtime "
    "layer, then an app layer, each added by one Dockerfile step. Right, a VM image that starts "
    "as a full OS install with kernel, drivers, services and tools, is stripped of what the app "
    "does not need, and then gets the app."
)
CAPTION = (
    "A container image starts nearly empty and each Dockerfile step adds a layer. A VM image "
    "starts as a whole operating system, kernel included, and is trimmed down from there."
)
DESCRIPTION = (
    "Container image, built up: FROM a slim base layer (a distribution's files, no kernel); RUN "
    "adds a runtime layer such as Python; COPY adds the app layer. VM image, stripped down: a "
    "full OS install with kernel, drivers, init, services, shell and tools; remove the packages "
    "and services the app does not need; install the app. The result is still a whole OS."
)
DIRECTION = "BT"  # first step at the bottom
GRAPH_ATTR = {"nodesep": "0.5", "ranksep": "0.35"}


def origin(label: str) -> Node:
    return Node(
        label,
        shape="box",
        style="rounded,dashed",
        color=Line.FAINT,
        labelloc="c",
        width="2.0",
        height="0.4",
    )


def draw() -> None:
    with Cluster("Container image: built up", graph_attr=PANEL):
        empty = origin("Empty (scratch)")
        base = box("Base layer\n(distribution files, no kernel)", Fill.BLUE, 2.6, 0.7)
        runtime = box("Runtime layer (Python)", Fill.YELLOW, 2.6, 0.5)
        app = box("App layer (your code)", Fill.GREEN, 2.6, 0.5)
        empty >> Edge(label="FROM debian:trixie-slim", **STEP) >> base
        base >> Edge(label="RUN apt-get install python3", **STEP) >> runtime
        runtime >> Edge(label="COPY app.py", **STEP) >> app
    with Cluster("VM image: stripped down", graph_attr=PANEL):
        installer = origin("OS installer")
        full = box(
            "Full OS install: kernel, drivers,\ninit, services, shell, tools, docs",
            Fill.PURPLE,
            3.2,
            0.7,
        )
        slim = box("Trimmed OS\n(still with its own kernel)", Fill.PURPLE, 2.6, 0.7)
        done = box("Trimmed OS + app", Fill.GREEN, 2.6, 0.5)
        installer >> Edge(label="install everything", **STEP) >> full
        full >> Edge(label="remove what the app\ndoes not need", **STEP) >> slim
        slim >> Edge(label="install the app", **STEP) >> done
