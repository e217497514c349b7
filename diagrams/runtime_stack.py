"""Who starts a container: Docker's and Kubernetes' paths down to the OCI runtime."""

from diagrams import Cluster, Edge

from sitebuild.figures.kit import ARROW, INNER, PANEL, STEP, Fill, box

TITLE = "The runtime stack under docker run and under Kubernetes"
ALT = (
    "Two entry points at the top: the docker CLI, which calls dockerd over its REST API, and "
    "the kubelet, which calls a CRI runtime over gRPC. dockerd and the kubelet both reach "
    "containerd; the kubelet may use CRI-O instead. containerd pulls images from a registry "
    "(OCI distribution and image specs) and starts one shim per container or pod. The runc "
    "shim runs runc or crun, which create the container as processes on the host kernel; "
    "gVisor's shim runs runsc, a user-space kernel; Kata's shim starts a lightweight VM with "
    "its own guest kernel."
)
CAPTION = (
    "Many programs sit above a container, but none of them sits between it and the kernel: "
    "runc sets up namespaces and cgroups, starts the process and exits."
)
DESCRIPTION = (
    "Top row: the docker CLI and the kubelet. The docker CLI talks to dockerd over the Docker "
    "REST API. The kubelet talks over the Container Runtime Interface (CRI, gRPC) to containerd "
    "or to CRI-O. dockerd talks to containerd over gRPC. containerd pulls images from a "
    "registry, using the OCI distribution spec to fetch and the OCI image spec to read them. "
    "containerd starts a shim for each container or pod and talks to it over ttRPC. Three "
    "shims are shown: containerd-shim-runc-v2, which runs runc or crun with an OCI bundle "
    "(the OCI runtime spec), giving ordinary containers that are processes on the host "
    "kernel; containerd-shim-runsc-v1, which runs gVisor's runsc, a user-space kernel in "
    "front of the host kernel; and containerd-shim-kata-v2, which boots a lightweight VM "
    "with its own guest kernel. CRI-O, drawn with dashed "
    "arrows, runs runc, crun or Kata in the same way."
)
DIRECTION = "TB"  # callers above, the kernel below
GRAPH_ATTR = {"nodesep": "0.35", "ranksep": "0.45"}


def draw() -> None:
    with Cluster("Callers", graph_attr=PANEL):
        cli = box("docker CLI", Fill.PALE, 1.8)
        kubelet = box("kubelet", Fill.PALE, 1.8)
    dockerd = box("dockerd", Fill.TEAL, 1.8)
    registry = box("Registry", Fill.BLUE, 1.6)
    with Cluster("High-level runtimes (daemons)", graph_attr=PANEL):
        containerd = box("containerd", Fill.TEAL, 2.2)
        crio = box("CRI-O", Fill.TEAL, 2.0)
    with Cluster("Shims: one per container or pod", graph_attr=PANEL):
        shim_runc = box("containerd-shim-runc-v2", Fill.TEAL, 2.8)
        shim_runsc = box("containerd-shim-runsc-v1", Fill.TEAL, 2.8)
        shim_kata = box("containerd-shim-kata-v2", Fill.TEAL, 2.8)
    with Cluster("OCI runtimes: create, start, kill, delete", graph_attr=INNER):
        runc = box("runc or crun", Fill.YELLOW, 2.4)
        runsc = box("runsc (gVisor):\nuser-space kernel", Fill.YELLOW, 2.4, 0.6)
        kata = box("Kata: lightweight VM\nwith a guest kernel", Fill.PURPLE, 2.4, 0.6)
    process = box("Container = processes\non the host kernel", Fill.GREEN, 2.4, 0.6)

    cli >> Edge(label=" REST API", **STEP) >> dockerd
    dockerd >> Edge(label=" gRPC", **STEP) >> containerd
    kubelet >> Edge(label=" CRI (gRPC)", **STEP) >> containerd
    kubelet >> Edge(label=" CRI (gRPC)", **STEP) >> crio
    registry >> Edge(label=" pull: OCI distribution\n + image specs", **STEP) >> containerd
    containerd >> Edge(label=" ttRPC", **STEP) >> [shim_runc, shim_runsc, shim_kata]
    shim_runc >> Edge(label=" OCI bundle\n (runtime spec)", **STEP) >> runc
    shim_runsc >> Edge(**ARROW) >> runsc
    shim_kata >> Edge(**ARROW) >> kata
    crio >> Edge(style="dashed", **ARROW) >> [runc, kata]
    runc >> Edge(label=" sets up namespaces\n and cgroups, exits", **STEP) >> process
