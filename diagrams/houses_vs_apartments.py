"""Figure 3: the analogy. Detached houses have their own utilities; flats share the building's."""

from diagrams import Cluster, Edge, Node

from sitebuild.figures.kit import Fill, Line, Tint, box

TITLE = "Detached houses and an apartment building"
ALT = (
    "Left: three detached houses, each with its own water, power and heating. Right: one "
    "apartment building with four flats, all fed by the building's one shared set of water, "
    "power and heating."
)
CAPTION = (
    "A house brings its own utilities, as a VM brings its own kernel. Flats share the "
    "building's, as containers share the host's kernel, and each still has its own front door."
)
DESCRIPTION = (
    "Left, detached houses: three houses, each fed by its own utilities (water, power, "
    "heating), three sets in all. Right, an apartment building: four flats, each with its own "
    "front door, all fed by the same shared utilities of the building."
)
DIRECTION = "BT"  # utilities at the bottom, supplying the homes above
GRAPH_ATTR = {"nodesep": "0.3", "ranksep": "0.45"}

SUPPLY = {"color": Line.BLUE, "penwidth": "1.5", "arrowsize": "0.7"}


def home(label: str, shape: str) -> Node:
    return Node(
        label,
        shape=shape,
        style="filled",
        fillcolor=Tint.ORANGE,
        color=Line.BROWN,
        labelloc="c",
        width="1.3",
        height="0.8",
    )


def utilities(label: str, width: float) -> Node:
    return box(label, Fill.BLUE, width, 0.6)


def draw() -> None:
    with Cluster("Detached houses", graph_attr={"bgcolor": Tint.LIGHT_GREEN, "labelloc": "b"}):
        for _ in range(3):
            own = utilities("Own water,\npower, heating", 1.5)
            own >> Edge(**SUPPLY) >> home("House", "house")
    with Cluster("Apartment building", graph_attr={"bgcolor": Tint.GREY, "labelloc": "b"}):
        shared = utilities("Shared water, power, heating", 2.9)
        ground = [home("Flat\n(own door)", "box") for _ in range(2)]
        upstairs = [home("Flat\n(own door)", "box") for _ in range(2)]
        for flat in ground:
            shared >> Edge(**SUPPLY) >> flat
        # Two floors: the upper flats sit on the lower ones, fed by the same risers.
        for lower, upper in zip(ground, upstairs, strict=True):
            lower >> Edge(**SUPPLY) >> upper
