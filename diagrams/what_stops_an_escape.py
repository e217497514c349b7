"""What stops an escape: the layers between a container's code and the host kernel."""

import itertools

from diagrams import Cluster, Node

from sitebuild.figures.kit import INNER, PANEL, Fill, box, on

TITLE = "What stops an escape: container layers, gVisor, and a VM"
ALT = (
    "Three columns, each from the code at the top to the host kernel at the bottom. In a "
    "container, a system call passes a seccomp filter, then the host kernel's own checks: "
    "namespaces, capabilities counted in the user namespace, and an LSM profile; all of them "
    "are parts of the one host kernel. Under gVisor, the Sentry, a kernel in user space, "
    "serves the call and makes only a few filtered host calls. In a VM, the same layers sit "
    "in the guest kernel, and the boundary is the hypervisor, below it."
)
CAPTION = (
    "A container's fences are all checks inside the host kernel it calls, so one kernel bug "
    "can get past them. gVisor puts a kernel of its own in front; a VM puts its boundary "
    "below a guest kernel. The labs show each container layer at work."
)
DESCRIPTION = (
    "Left, a container (runc, Docker's defaults): the code's system call first meets the "
    "seccomp filter, which refuses calls outside its list with EPERM (lab: A seccomp filter). "
    "Then the host kernel's own checks: namespaces decide what the code can name and see (labs: "
    "Same kernel, Just a process); capabilities decide what its root may do, and a user "
    "namespace makes that root an ordinary user outside (labs: Root without capabilities; Root "
    "in here, nobody out there); an LSM profile, AppArmor or SELinux, forbids what it names. "
    "All of these are code in the one host kernel, which is the boundary. Middle, gVisor "
    "(runsc): the Sentry, a kernel in user space, answers the code's system calls, and itself "
    "makes only a small, filtered set of host calls: the Sentry is the boundary. Right, a VM: "
    "the code and every container layer run on a guest kernel; the boundary is the "
    "hypervisor, KVM with its monitor, below that guest kernel."
)
DIRECTION = "BT"  # the host kernel at the bottom, the code on top
GRAPH_ATTR = {"nodesep": "0.2", "ranksep": "0.18"}

COLUMN = 3.1  # inches: one column
WIDE = 3 * COLUMN + 2 * 0.2 + 0.5


def stack(*layers: Node, gap: int = 1) -> None:
    """Stack layers bottom to top; `gap` ranks below the top one keeps the tops level, so each
    column's code sits as high as the others, as far from the host kernel."""
    pairs = list(itertools.pairwise(layers))
    for i, (lower, upper) in enumerate(pairs):
        on(lower, upper, gap if i == len(pairs) - 1 else 1)


def draw() -> None:
    with Cluster("One host", graph_attr=PANEL):
        kernel = box("Host kernel", Fill.BLUE, WIDE)
        with Cluster(
            "Container (runc): the boundary\nis the host kernel's own checks",
            graph_attr=INNER,
        ):
            layers = [
                box("LSM: AppArmor or SELinux\nprofile", Fill.BLUE, COLUMN, 0.62),
                box(
                    "Capabilities and user namespace:\nwhat its root may do, and where\n"
                    "(labs: capabilities, user ns)",
                    Fill.BLUE,
                    COLUMN,
                    0.9,
                ),
                box(
                    "Namespaces: what it can see\n(labs: same kernel, a process)",
                    Fill.BLUE,
                    COLUMN,
                    0.62,
                ),
                box("seccomp filter: which calls\n(lab: seccomp filter)", Fill.BLUE, COLUMN),
                box("Code in the container", Fill.GREEN, COLUMN),
            ]
        stack(kernel, *layers)
        with Cluster("gVisor (runsc): the boundary\nis the Sentry", graph_attr=INNER):
            host_calls = box("seccomp filter:\na few host calls", Fill.BLUE, COLUMN, 0.62)
            sentry = box("Sentry: a kernel in user\nspace, serves every call", Fill.TEAL, COLUMN)
            app = box("Code in the sandbox", Fill.GREEN, COLUMN)
        stack(kernel, host_calls, sentry, app, gap=3)
        with Cluster("VM: the boundary is the\nhypervisor, under the guest", graph_attr=INNER):
            vmm = box("KVM and a monitor\n(QEMU, Firecracker)", Fill.ORANGE, COLUMN, 0.62)
            guest = box(
                "Guest kernel: the same layers\ncan fence code in here too",
                Fill.PURPLE,
                COLUMN,
                0.62,
            )
            app = box("Code in the VM", Fill.GREEN, COLUMN)
        stack(kernel, vmm, guest, app, gap=3)
