"""Figure 2: where the hypervisor runs: on the hardware (type 1) or on a host OS (type 2)."""

from diagrams import Cluster, Node

from sitebuild.figures.kit import INNER, PANEL, Fill, box, on

TITLE = "Type 1 and type 2 hypervisors"
ALT = (
    "Two stacks. Type 1, bare metal: the hypervisor runs directly on the hardware and three VMs, "
    "each with a guest OS and an app, run on it. Type 2, hosted: hardware, then a host OS, then "
    "the hypervisor as an application beside other host apps, and two VMs on the hypervisor."
)
CAPTION = (
    "A type 1 hypervisor is the first thing on the hardware; a type 2 hypervisor is an "
    "application on a host OS. Either way, each VM runs its own guest OS."
)
DESCRIPTION = (
    "Left, type 1 (bare metal), from the bottom up: hardware; a type 1 hypervisor such as Xen, "
    "VMware ESXi or Hyper-V; three VMs, each a guest OS with an app. Right, type 2 (hosted), from "
    "the bottom up: hardware; a host OS; on it a type 2 hypervisor such as VirtualBox or VMware "
    "Workstation, next to other host apps; two VMs, each a guest OS with an app, on the hypervisor."
)
DIRECTION = "BT"  # bottom to top: hardware at the bottom
GRAPH_ATTR = {"nodesep": "0.15", "ranksep": "0.15"}

COLUMN = 1.1  # inches: one VM's width


def layer(label: str, fill: str, columns: int = 1) -> Node:
    """A layer as wide as `columns` VMs side by side."""
    return box(label, fill, columns * COLUMN + (columns - 1) * 0.15 + (0.5 if columns > 1 else 0))


def vm(n: int, below: Node, gap: int = 1) -> None:
    with Cluster(f"VM {n}", graph_attr=INNER):
        guest, app = layer("Guest OS", Fill.PURPLE), layer(f"App {n}", Fill.GREEN)
    on(below, guest, gap)
    on(guest, app)


def draw() -> None:
    with Cluster("Type 1: bare metal", graph_attr=PANEL):
        hardware = layer("Hardware", Fill.GREY, 3)
        hypervisor = layer("Type 1 hypervisor\n(e.g. Xen, VMware ESXi, Hyper-V)", Fill.ORANGE, 3)
        on(hardware, hypervisor)
        for n in (1, 2, 3):
            # One empty rank keeps these VMs level with the type 2 ones.
            vm(n, hypervisor, gap=2)
    with Cluster("Type 2: hosted", graph_attr=PANEL):
        hardware = layer("Hardware", Fill.GREY, 3)
        host = layer("Host OS (e.g. Windows, macOS, Linux)", Fill.BLUE, 3)
        hypervisor = layer("Type 2 hypervisor\n(e.g. VirtualBox)", Fill.ORANGE, 2)
        other = layer("Other\nhost apps", Fill.GREEN)
        on(hardware, host)
        on(host, hypervisor)
        on(host, other)
        for n in (1, 2):
            vm(n, hypervisor)
