"""From a plain process to a VM: what stands between the code and the host kernel."""

import itertools

from diagrams import Cluster, Node

from sitebuild.figures.kit import INNER, PANEL, Fill, box, on

TITLE = "The isolation spectrum: process, container, gVisor, microVM, VM"
ALT = (
    "Five columns on one host kernel with KVM. A process calls the host kernel directly. A "
    "container also calls it directly, fenced by namespaces, cgroups, capabilities and a "
    "seccomp filter. Under gVisor the app's system calls go to the Sentry, a kernel in user "
    "space, which makes only a small, fixed set of host calls. A microVM runs a guest kernel on "
    "a minimal monitor such as Firecracker. A full VM runs a guest kernel on a monitor such as "
    "QEMU that emulates many devices."
)
CAPTION = (
    "Left to right, less of the host kernel is within the code's reach: all of it, a filtered "
    "part of it, a small fixed set of calls, then only KVM and a few virtual devices."
)
DESCRIPTION = (
    "Five columns, each drawn from the host kernel up to the app. Process: the app makes system "
    "calls straight to the host kernel, with its user's privileges. Container (runc): the app "
    "still calls the host kernel directly, inside namespaces and a cgroup, with fewer "
    "capabilities and a seccomp filter on its system calls. gVisor (runsc): the app's system "
    "calls are caught and served by the Sentry, a kernel written in Go running in user space; "
    "the Sentry itself may make only a minimal, enumerated set of host system calls. microVM "
    "(Firecracker, or Kata Containers on a light monitor): the app runs on a guest kernel inside "
    "a lightweight VM; "
    "the host sees KVM and a minimal monitor with a handful of virtio devices. Full VM (QEMU "
    "with KVM): the app runs on a guest kernel; the host sees KVM and a monitor that emulates "
    "a whole PC's worth of devices."
)
DIRECTION = "BT"  # the host kernel at the bottom, apps on top
GRAPH_ATTR = {"nodesep": "0.15", "ranksep": "0.2"}

COLUMN = 1.9  # inches: one column
WIDE = 5 * COLUMN + 4 * 0.15 + 0.5


def stack(*layers: Node, gap: int = 1) -> None:
    """Stack layers bottom to top; `gap` ranks between the first two keeps the tops level."""
    for i, (lower, upper) in enumerate(itertools.pairwise(layers)):
        on(lower, upper, gap if i == 0 else 1)


def draw() -> None:
    with Cluster("One host", graph_attr=PANEL):
        kernel = box("Host kernel (with KVM)", Fill.BLUE, WIDE)
        with Cluster("Process:\nall system calls", graph_attr=INNER):
            process = box("App", Fill.GREEN, COLUMN)
        stack(kernel, process, gap=4)
        with Cluster("Container (runc):\nall calls, filtered", graph_attr=INNER):
            fence = box(
                "namespaces,\ncgroup, fewer\ncapabilities,\nseccomp", Fill.YELLOW, COLUMN, 0.95
            )
            app = box("App", Fill.GREEN, COLUMN)
        stack(kernel, fence, app, gap=3)
        with Cluster("gVisor (runsc):\na small, fixed set", graph_attr=INNER):
            sentry = box("Sentry: a kernel\nin user space", Fill.TEAL, COLUMN, 0.8)
            app = box("App", Fill.GREEN, COLUMN)
        stack(kernel, sentry, app, gap=3)
        with Cluster("microVM:\nKVM + few devices", graph_attr=INNER):
            vmm = box("Firecracker\n(minimal monitor)", Fill.ORANGE, COLUMN, 0.8)
            guest = box("Guest kernel", Fill.PURPLE, COLUMN)
            app = box("App", Fill.GREEN, COLUMN)
        stack(kernel, vmm, guest, app, gap=2)
        with Cluster("Full VM:\nKVM + many devices", graph_attr=INNER):
            vmm = box("QEMU (emulates\na whole PC)", Fill.ORANGE, COLUMN, 0.8)
            guest = box("Guest kernel", Fill.PURPLE, COLUMN)
            app = box("App", Fill.GREEN, COLUMN)
        stack(kernel, vmm, guest, app, gap=2)
