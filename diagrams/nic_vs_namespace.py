"""A VM's network path (virtual NIC, tap, bridge) beside a container's (veth, bridge, NAT)."""

from diagrams import Cluster, Edge

from sitebuild.figures.kit import ARROW, INNER, PANEL, STEP, Fill, box

TITLE = "A VM's virtual NIC beside a container's network namespace"
ALT = (
    "Two paths from an application to the host's network card. Virtual machine: the guest "
    "kernel's own network stack drives a virtio-net card that QEMU emulates (or the host "
    "kernel's vhost-net driver; KVM emulates no card), and the frames reach a tap device in "
    "the host kernel, which a bridge joins to the host "
    "NIC. Container: the application's eth0 is one end of a veth pair inside a network "
    "namespace of the host kernel; the other end sits on the docker0 bridge, and NAT rules "
    "rewrite published ports and outgoing traffic on their way through the host NIC."
)
CAPTION = (
    "A VM gets a virtual network card and runs its own network stack; a container gets a "
    "network namespace in the host's kernel, wired out through a veth pair, a bridge and NAT."
)
DESCRIPTION = (
    "Left, a virtual machine, from the top down: an app; the guest kernel with its own TCP/IP "
    "stack and a virtio-net driver; a virtio-net network card emulated by QEMU in user space, "
    "or served by vhost-net in the host kernel (KVM runs the vCPUs but emulates no card); a tap "
    "device tap0 in the host kernel; a bridge br0; the host's physical NIC. Right, a container, "
    "from the top down: an app; inside the container's network namespace, eth0 with address "
    "172.17.0.2, one end of a veth pair; on the host, the other end of the pair, vethXXXX; "
    "the docker0 bridge at 172.17.0.1; NAT rules that rewrite host port 8080 to "
    "172.17.0.2 port 80 (DNAT) and masquerade outgoing packets; the host's physical NIC. "
    "Everything on the container side is in the one host kernel."
)
DIRECTION = "TB"  # from the application down to the wire
GRAPH_ATTR = {"nodesep": "0.3", "ranksep": "0.35"}

WIDTH = 3.4  # inches: one column's boxes


def draw() -> None:
    with Cluster("Virtual machine", graph_attr=PANEL):
        with Cluster("Guest (its own kernel)", graph_attr=INNER):
            app = box("App", Fill.GREEN, WIDTH)
            stack = box(
                "Guest kernel: TCP/IP stack,\nvirtio-net driver, eth0", Fill.PURPLE, WIDTH, 0.6
            )
        nic = box("Virtual NIC (virtio-net)\nQEMU or vhost-net (not KVM)", Fill.ORANGE, WIDTH, 0.6)
        tap = box("tap0 (host kernel)", Fill.BLUE, WIDTH)
        bridge = box("Bridge br0", Fill.BLUE, WIDTH)
        wire = box("Host NIC", Fill.GREY, WIDTH)
        app >> Edge(**ARROW) >> stack
        stack >> Edge(label=" frames in\n shared queues", **STEP) >> nic
        nic >> Edge(label=" frames handed\n to the host", **STEP) >> tap
        tap >> Edge(**ARROW) >> bridge >> Edge(**ARROW) >> wire
    with Cluster("Container", graph_attr=PANEL):
        with Cluster("Network namespace (host kernel)", graph_attr=INNER):
            c_app = box("App", Fill.GREEN, WIDTH)
            eth0 = box("eth0 172.17.0.2\n(one end of a veth pair)", Fill.BLUE, WIDTH, 0.6)
        peer = box("vethXXXX (other end, on the host)", Fill.BLUE, WIDTH)
        docker0 = box("Bridge docker0 172.17.0.1", Fill.BLUE, WIDTH)
        nat = box(
            "NAT: host :8080 → 172.17.0.2:80 (DNAT);\noutgoing traffic masqueraded",
            Fill.YELLOW,
            WIDTH,
            0.6,
        )
        c_wire = box("Host NIC", Fill.GREY, WIDTH)
        c_app >> Edge(**ARROW) >> eth0
        eth0 >> Edge(label=" veth pair", **STEP) >> peer
        peer >> Edge(**ARROW) >> docker0 >> Edge(**ARROW) >> nat >> Edge(**ARROW) >> c_wire
