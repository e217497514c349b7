"""Figure 9: three ways containers and VMs work together."""

from diagrams import Cluster, Edge, Node

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

SMALL = {
    "height": "1.0",
    "width": "0.8",
}  # docker icons, a little smaller than the default
VM_STYLE = {"bgcolor": "#F3E5F5", "style": "rounded,dashed", "labelloc": "b"}


def layer(label: str, fill: str, width: float, height: float = 0.45) -> Node:
    return Node(
        label,
        shape="box",
        style="rounded,filled",
        fillcolor=fill,
        color="#546E7A",
        labelloc="c",
        width=str(width),
        height=str(height),
    )


def box(label: str = "container") -> Node:
    return layer(label, "#C8E6C9", 1.0)


def on(lower: Node, upper: Node, gap: int = 1) -> None:
    """`upper` sits on `lower`; the edge orders them and is not drawn."""
    lower >> Edge(style="invis", minlen=str(gap)) >> upper


def draw() -> None:
    # Bottom to top: Docker Desktop, then the sandboxed runtimes, then the cloud, each panel
    # stacked on the one below so the figure stays narrow enough to read.
    with Cluster("Docker Desktop", graph_attr={"bgcolor": "#F5F7F8", "labelloc": "b"}):
        host_os = layer("macOS or Windows\n(docker CLI)", "#CFD8DC", 2.6, 0.6)
        with Cluster("Linux VM", graph_attr=VM_STYLE):
            desktop_kernel = layer("Linux kernel", "#BBDEFB", 2.2)
            containers = [box(), box()]
        on(host_os, desktop_kernel)
        for upper in containers:
            on(desktop_kernel, upper)
    with Cluster("Sandboxed runtimes", graph_attr={"bgcolor": "#F5F7F8", "labelloc": "b"}):
        host = layer("Host Linux kernel", "#BBDEFB", 5.0)
        sandbox_top = []
        for name in ("Firecracker microVM", "Kata Containers VM"):
            with Cluster(name, graph_attr=VM_STYLE):
                guest = layer("Guest kernel", "#E1BEE7", 1.4)
                sandbox_top.append(box())
            on(host, guest)
            on(guest, sandbox_top[-1])
        with Cluster("gVisor", graph_attr={**VM_STYLE, "bgcolor": "#E0F2F1"}):
            sentry = layer("Sentry\n(user-space kernel)", "#B2DFDB", 1.9, 0.6)
            sandbox_top.append(box())
        on(host, sentry)
        on(sentry, sandbox_top[-1])
    with Cluster("Cloud: containers on VMs", graph_attr={"bgcolor": "#F5F7F8", "labelloc": "b"}):
        hypervisor = layer("Provider's hypervisor", "#FFE0B2", 5.0)
        for n in (1, 2):
            with Cluster(f"Cloud VM {n}", graph_attr=VM_STYLE):
                kernel = layer("Linux kernel", "#BBDEFB", 2.2)
                containers = [box(), box()]
            on(hypervisor, kernel)
            for upper in containers:
                on(kernel, upper)
    # Centre each panel over the one below: link their middle columns.
    on(desktop_kernel, host, gap=3)
    on(sandbox_top[1], hypervisor, gap=2)


if __name__ == "__main__":
    from sitebuild.figures import main

    raise SystemExit(main([__file__]))
