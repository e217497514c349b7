"""Figure 10: from the host, a container is a process: in the process tree, with namespaces
and a cgroup."""

from diagrams import Cluster, Edge, Node

from sitebuild.figures.kit import ARROW, BORDER, STEP, Fill, Line, Tint, box

TITLE = "A container is a process on the host"
ALT = (
    "The host's process tree: systemd, PID 1, is the parent of sshd, of containerd and of "
    "containerd-shim-runc-v2. containerd launched the shim, which then detached and was "
    "re-parented to PID 1, so the container outlives a containerd restart. The shim is the "
    "parent of nginx, host PID 4242, the container's main process, which inside its PID "
    "namespace sees itself as PID 1. The container is just the nginx processes, placed in "
    "their own namespaces and one cgroup."
)
CAPTION = (
    "Seen from the host, the container is the nginx process and its child: ordinary entries "
    "in the process tree, which the kernel fences in with namespaces and limits with a cgroup. "
    "Their parent is a small shim that belongs to PID 1, not to containerd."
)
DESCRIPTION = (
    "Process tree on the host (containerd with its runc shim, as Docker Engine and most "
    "Kubernetes nodes run it): systemd (PID 1) is the parent of sshd, of containerd and of "
    "containerd-shim-runc-v2. sshd runs bash, a login shell. containerd launched the shim, "
    "but the shim detached from it and was re-parented to PID 1, which is why containerd can "
    "be restarted or upgraded while containers keep running. The shim started nginx (through "
    "runc, which exited) with host PID 4242; inside the container that process is PID 1. nginx "
    "starts a worker. The nginx processes are the container: they share their own PID, mount, "
    "network, UTS and IPC namespaces (and, on a cgroup v2 host, where Docker and Podman give "
    "each container one by default, a cgroup namespace), and one cgroup that sets their memory "
    "and CPU limits. All "
    "of them, inside the container or not, run on the one host kernel."
)
DIRECTION = "TB"  # a process tree, parents above children
GRAPH_ATTR = {"nodesep": "0.3", "ranksep": "0.35", "compound": "true"}

ATTACH = {"color": Line.BLUE, "style": "dashed", "arrowhead": "none"}


def process(label: str, fill: str = Fill.PALE) -> Node:
    lines = label.count("\n") + 1
    return box(label, fill, 1.7, 0.25 + 0.2 * lines)


def note(label: str, fill: str) -> Node:
    return Node(
        label,
        shape="note",
        style="filled",
        fillcolor=fill,
        color=BORDER,
        labelloc="c",
        width="2.3",
        height="0.9",
    )


def draw() -> None:
    with Cluster("Host (one kernel)", graph_attr={"bgcolor": Tint.PANEL}):
        systemd = process("systemd\nPID 1")
        sshd = process("sshd\nPID 812")
        containerd = process("containerd\nPID 901")
        shim = process("containerd-shim-\nrunc-v2\nPID 4230")
        # The shim's parent is PID 1: it detaches from containerd, which only launched it.
        systemd >> Edge(**ARROW) >> [sshd, containerd, shim]
        sshd >> Edge(**ARROW) >> process("bash\nPID 3310")
        (
            containerd
            >> Edge(label="launched, then let go", style="dotted", constraint="false", **STEP)
            >> shim
        )
        container = Cluster("The container: these processes", graph_attr={"bgcolor": Tint.GREEN})
        with container:
            nginx = process("nginx\nhost PID 4242\n(PID 1 inside)", Fill.GREEN)
            worker = process("nginx worker\nhost PID 4257\n(PID 7 inside)", Fill.GREEN)
        shim >> Edge(**ARROW) >> nginx >> Edge(**ARROW) >> worker
        namespaces = note("Namespaces:\npid, mnt, net, uts, ipc\n(+ cgroup on v2)", Tint.BLUE)
        cgroup = note("cgroup:\nmemory.max, cpu.max", Tint.AMBER)
        # ltail: the lines start at the container's border, as both apply to all its processes.
        worker >> Edge(ltail=container.name, **ATTACH) >> [namespaces, cgroup]
