"""Figure 8: one application server in a VM, beside the same app as services in containers."""

from diagrams import Cluster, Edge, Node
from diagrams.onprem.client import Users
from diagrams.onprem.container import Docker

from sitebuild.figures.kit import ARROW, BORDER, STEP, Fill, Tint, box

TITLE = "An application server in a VM versus services in containers"
ALT = (
    "Left: users reach one VM that runs one application server holding the orders, billing and "
    "accounts modules in a single process; to grow, the VM gets bigger. Right: users reach a "
    "load balancer that spreads requests over three orders containers, two billing containers "
    "and one accounts container; each service scales by adding containers."
)
CAPTION = (
    "The app server bundles every part of the app into one process on one machine, so it "
    "scales up. Split into services, each part runs in its own containers and scales out, "
    "one service at a time."
)
DESCRIPTION = (
    "Left, an application server in a VM: users send requests to one VM; inside, one "
    "application server process holds the orders, billing and accounts modules; scaling means "
    "a bigger VM. Right, services in containers: users send requests to a load balancer, which "
    "routes them to the orders service (three containers), the billing service (two "
    "containers) and the accounts service (one container); each service adds or removes "
    "containers on its own."
)
DIRECTION = "TB"
GRAPH_ATTR = {"nodesep": "0.15", "ranksep": "0.5"}


def app_server(*modules: str) -> Node:
    """One process holding every module: drawn as one node, a table of its modules."""
    rows = "".join(
        f'<TR><TD BGCOLOR="{Fill.GREEN}" WIDTH="130" HEIGHT="28">{name}</TD></TR>'
        for name in modules
    )
    table = (
        f'<<TABLE BORDER="1" CELLBORDER="0" CELLSPACING="3" COLOR="{BORDER}" '
        f'BGCOLOR="{Tint.LIGHT_GREEN}">'
        f"<TR><TD>Application server<BR/>(one process)</TD></TR>{rows}</TABLE>>"
    )
    return Node(table, shape="plain", fixedsize="false")


def draw() -> None:
    with Cluster("Scale up: one big VM", graph_attr={"bgcolor": Tint.PURPLE}):
        users = Users("users")
        with Cluster("VM", graph_attr={"bgcolor": Tint.WHITE}):
            server = app_server("Orders", "Billing", "Accounts")
        users >> Edge(label="all requests", **STEP) >> server
    with Cluster("Scale out: services in containers", graph_attr={"bgcolor": Tint.PANEL}):
        users = Users("users")
        balancer = box("Load\nbalancer", Fill.ORANGE, 1.1, 0.8)
        users >> Edge(**ARROW) >> balancer
        for service, replicas in (("orders", 3), ("billing", 2), ("accounts", 1)):
            with Cluster(f"{service} × {replicas}", graph_attr={"bgcolor": Tint.WHITE}):
                containers = [Docker(service, height="1.1", width="0.8") for _ in range(replicas)]
            balancer >> Edge(**ARROW) >> containers
