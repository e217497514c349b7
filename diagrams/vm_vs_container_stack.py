"""Figure 1: what sits under an app in a virtual machine, and in a container."""

import itertools

from diagrams import Cluster, Edge, Node

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


def layer(label: str, fill: str, width: float = COLUMN) -> Node:
    return Node(
        label,
        shape="box",
        style="rounded,filled",
        fillcolor=fill,
        color="#546E7A",
        labelloc="c",
        width=str(width),
        height="0.45",
    )


def stack(*layers: Node, gap: int = 1) -> None:
    """Stack layers bottom to top; the edges only order them and are not drawn.
    `gap` ranks between the first two layers (2 leaves an empty rank)."""
    for i, (lower, upper) in enumerate(itertools.pairwise(layers)):
        lower >> Edge(style="invis", minlen=str(gap if i == 0 else 1)) >> upper


def draw() -> None:
    with Cluster("Virtual machines", graph_attr={"bgcolor": "#F5F7F8", "labelloc": "b"}):
        base = [
            layer("Hardware", "#CFD8DC", WIDE),
            layer("Host OS", "#BBDEFB", WIDE),
            layer("Hypervisor", "#FFE0B2", WIDE),
        ]
        stack(*base)
        for n in (1, 2, 3):
            with Cluster(
                f"VM {n}",
                graph_attr={
                    "bgcolor": "#FFFFFF",
                    "style": "rounded,dashed",
                    "labelloc": "b",
                },
            ):
                vm = [
                    layer("Guest OS\n(own kernel)", "#E1BEE7"),
                    layer("Bins/libs", "#FFF9C4"),
                    layer(f"App {n}", "#C8E6C9"),
                ]
            stack(base[-1], *vm)
    with Cluster("Containers", graph_attr={"bgcolor": "#F5F7F8", "labelloc": "b"}):
        base = [
            layer("Hardware", "#CFD8DC", WIDE),
            layer("Host OS (one kernel)", "#BBDEFB", WIDE),
            layer("Container runtime", "#B2DFDB", WIDE),
        ]
        stack(*base)
        for n in (1, 2, 3):
            with Cluster(
                f"Container {n}",
                graph_attr={
                    "bgcolor": "#FFFFFF",
                    "style": "rounded,dashed",
                    "labelloc": "b",
                },
            ):
                box = [layer("Bins/libs", "#FFF9C4"), layer(f"App {n}", "#C8E6C9")]
            # No guest OS: the empty rank keeps bins/libs and apps level with the VMs' ones.
            stack(base[-1], *box, gap=2)


if __name__ == "__main__":
    from sitebuild.figures import main

    raise SystemExit(main([__file__]))
