"""Figure 1: what sits under an app in a virtual machine, and in a container."""

import itertools

from diagrams import Cluster, Node

from sitebuild.figure_kit import INNER, PANEL, Fill, box, on

TITLE = "A VM stack beside a container stack"
ALT = (
    "Two stacks of layers side by side. Virtual machines: hardware, host OS, hypervisor, then "
    "three VMs, each with its own guest OS, bins/libs and app. Containers: hardware, host OS "
    "with one kernel, container runtime, then three containers, each holding only bins/libs "
    "and an app."
)
CAPTION = (
    "Each VM boots its own guest OS on virtual hardware from the hypervisor. Containers skip "
    "that layer: they are processes sharing the host's one kernel."
)
DESCRIPTION = (
    "Left, virtual machines, from the bottom up: hardware, host OS, hypervisor, and on it "
    "VM 1, VM 2 and VM 3, each made of a guest OS, bins/libs and an app. Right, containers, from "
    "the bottom up: hardware, host OS (one kernel), container runtime, and on it containers 1 to "
    "3, each made of bins/libs and an app; no guest OS."
)
DIRECTION = "BT"  # bottom to top: hardware at the bottom, apps on top
GRAPH_ATTR = {"nodesep": "0.15", "ranksep": "0.15"}

COLUMN = 1.2  # inches: the width of one VM or container
WIDE = 3 * COLUMN + 2 * 0.15 + 0.5  # three columns, the gaps, and the cluster margins


def stack(*layers: Node, gap: int = 1) -> None:
    """Stack layers bottom to top; `gap` ranks between the first two (2 leaves an empty rank)."""
    for i, (lower, upper) in enumerate(itertools.pairwise(layers)):
        on(lower, upper, gap if i == 0 else 1)


def draw() -> None:
    with Cluster("Virtual machines", graph_attr=PANEL):
        base = [
            box("Hardware", Fill.GREY, WIDE),
            box("Host OS", Fill.BLUE, WIDE),
            box("Hypervisor", Fill.ORANGE, WIDE),
        ]
        stack(*base)
        for n in (1, 2, 3):
            with Cluster(f"VM {n}", graph_attr=INNER):
                vm = [
                    box("Guest OS\n(own kernel)", Fill.PURPLE, COLUMN),
                    box("Bins/libs", Fill.YELLOW, COLUMN),
                    box(f"App {n}", Fill.GREEN, COLUMN),
                ]
            stack(base[-1], *vm)
    with Cluster("Containers", graph_attr=PANEL):
        base = [
            box("Hardware", Fill.GREY, WIDE),
            box("Host OS (one kernel)", Fill.BLUE, WIDE),
            box("Container runtime", Fill.TEAL, WIDE),
        ]
        stack(*base)
        for n in (1, 2, 3):
            with Cluster(f"Container {n}", graph_attr=INNER):
                container = [
                    box("Bins/libs", Fill.YELLOW, COLUMN),
                    box(f"App {n}", Fill.GREEN, COLUMN),
                ]
            # No guest OS: the empty rank keeps bins/libs and apps level with the VMs' ones.
            stack(base[-1], *container, gap=2)
