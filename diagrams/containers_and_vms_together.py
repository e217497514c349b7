"""Figure 9: three ways containers and VMs work together."""

from diagrams import Cluster, Node

from sitebuild.figures.kit import INNER, PANEL, Fill, Tint, box, on

TITLE = "Containers and VMs together"
ALT = (
    "Three panels. Cloud: a cloud provider's hypervisor runs two VMs, each running several "
    "containers. Sandboxed runtimes: Firecracker and Kata Containers run each container in its "
    "own small VM with its own guest kernel; gVisor puts a user-space kernel between the "
    "container and the host kernel. Docker Desktop: on macOS or Windows, containers run inside "
    "a Linux VM, driven by the docker command on the host."
)
CAPTION = (
    "Not either-or. In the cloud, containers run on VMs; sandboxed runtimes give a container "
    "a VM's or a user-space kernel's boundary; on a Mac or Windows PC, Linux containers run in "
    "a Linux VM."
)
DESCRIPTION = (
    "Cloud: the provider's hypervisor on its hardware runs VM 1 and VM 2; each VM has its own "
    "Linux kernel and runs two containers. Sandboxed runtimes: a Firecracker microVM with its "
    "own guest kernel holds one container; Kata Containers likewise runs the container in a "
    "lightweight VM with its own guest kernel; gVisor runs the container on the Sentry, a kernel "
    "in user space that answers its system calls, above the host kernel. Docker Desktop: on "
    "macOS or Windows, the docker command talks to a Linux VM whose Linux kernel runs the "
    "containers."
)
DIRECTION = "BT"  # infrastructure at the bottom, containers on top
GRAPH_ATTR = {"nodesep": "0.2", "ranksep": "0.15"}

VM = {**INNER, "bgcolor": Tint.PURPLE}  # a VM here is tinted like a guest OS


def container() -> Node:
    return box("container", Fill.GREEN, 1.0)


def draw() -> None:
    # Bottom to top: Docker Desktop, then the sandboxed runtimes, then the cloud, each panel
    # stacked on the one below so the figure stays narrow enough to read.
    with Cluster("Docker Desktop", graph_attr=PANEL):
        host_os = box("macOS or Windows\n(docker CLI)", Fill.GREY, 2.6, 0.6)
        with Cluster("Linux VM", graph_attr=VM):
            desktop_kernel = box("Linux kernel", Fill.BLUE, 2.2)
            containers = [container(), container()]
        on(host_os, desktop_kernel)
        for upper in containers:
            on(desktop_kernel, upper)
    with Cluster("Sandboxed runtimes", graph_attr=PANEL):
        host = box("Host Linux kernel", Fill.BLUE, 5.0)
        sandbox_top = []
        for name in ("Firecracker microVM", "Kata Containers VM"):
            with Cluster(name, graph_attr=VM):
                guest = box("Guest kernel", Fill.PURPLE, 1.4)
                sandbox_top.append(container())
            on(host, guest)
            on(guest, sandbox_top[-1])
        with Cluster("gVisor", graph_attr={**VM, "bgcolor": Tint.TEAL}):
            sentry = box("Sentry\n(user-space kernel)", Fill.TEAL, 1.9, 0.6)
            sandbox_top.append(container())
        on(host, sentry)
        on(sentry, sandbox_top[-1])
    with Cluster("Cloud: containers on VMs", graph_attr=PANEL):
        hypervisor = box("Provider's hypervisor", Fill.ORANGE, 5.0)
        for n in (1, 2):
            with Cluster(f"Cloud VM {n}", graph_attr=VM):
                kernel = box("Linux kernel", Fill.BLUE, 2.2)
                containers = [container(), container()]
            on(hypervisor, kernel)
            for upper in containers:
                on(kernel, upper)
    # Centre each panel over the one below: link their middle columns.
    on(desktop_kernel, host, gap=3)
    on(sandbox_top[1], hypervisor, gap=2)
