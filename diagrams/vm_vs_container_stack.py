"""Figure 1: what sits under an app in a virtual machine, and in a container."""

import itertools

from diagrams import Cluster, Node

from sitebuild.figures.kit import INNER, PANEL, Fill, box, on

TITLE = "A VM stack beside a container stack"
ALT = (
    "Two stacks side by side. Virtual machines: hardware, then a hypervisor (type 1, or Linux "
    "with KVM), then three VMs, each with its own guest kernel, bins/libs and app. Containers: "
    "hardware, then one host Linux kernel, then three containers, each holding only bins/libs "
    "and an app, and beside them the container engine and runtime, ordinary host processes "
    "that set the containers up and are not in their path to the kernel."
)
CAPTION = (
    "Each VM boots a guest kernel of its own on virtual hardware from the hypervisor. "
    "Containers have none: they are processes making system calls straight to the host's one "
    "kernel, and the engine that started them stands beside them, not underneath."
)
DESCRIPTION = (
    "Left, virtual machines, from the bottom up: hardware; a hypervisor, either type 1 or the "
    "Linux kernel acting as one through KVM; on it VM 1, VM 2 and VM 3, each made of a guest OS "
    "with its own kernel, bins/libs and an app. Right, containers, from the bottom up: hardware; "
    "the host's Linux kernel, one for all; on it containers 1 to 3, each made of bins/libs and "
    "an app, with no guest OS. Beside the containers, also on the host kernel, the container "
    "engine and runtime (for example dockerd, containerd and runc): host processes that create "
    "the containers' namespaces and cgroups, then stay out of the way; a container's system "
    "calls do not pass through them."
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
            box("Hypervisor\n(type 1, or Linux with KVM)", Fill.ORANGE, WIDE, 0.6),
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
            box("Hardware", Fill.GREY, WIDE + COLUMN + 0.35),
            box("Host Linux kernel\n(one, shared by all)", Fill.BLUE, WIDE + COLUMN + 0.35, 0.6),
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
        # The engine and runtime are host processes beside the containers, not a layer under
        # them: they create the namespaces and cgroups, and system calls bypass them.
        runtime = box(
            "Engine and\nruntime\n(dockerd,\ncontainerd,\nrunc): set up,\nthen step aside",
            Fill.TEAL,
            COLUMN + 0.2,
            1.6,
        )
        on(base[-1], runtime, 2)
