"""What the figure scripts in diagrams/ share: one palette, one box, the common styles.

Every figure's script is shown on its page in a "Source" block, so this stays small and each
name reads at a glance. It sits beside the pipeline (sitebuild/figures/), not in it, so the import
line every script shows stays short; the cache key includes its bytes all the same (see
sitebuild/figures/__init__.py): editing it re-renders every figure.
"""

from __future__ import annotations

from diagrams import Edge, Node


class Fill:
    """Box fills, one meaning each across the figures."""

    GREY = "#CFD8DC"  # hardware, a desktop host OS
    BLUE = "#BBDEFB"  # host OSes and kernels, data, shared utilities
    ORANGE = "#FFE0B2"  # hypervisors, a load balancer
    PURPLE = "#E1BEE7"  # guest OSes: what a VM brings along
    YELLOW = "#FFF9C4"  # libraries, runtimes, config
    GREEN = "#C8E6C9"  # apps and containers
    TEAL = "#B2DFDB"  # container runtimes, gVisor's Sentry
    PALE = "#ECEFF1"  # ordinary processes


class Tint:
    """Cluster backgrounds (and a few pale boxes): lighter than the fills, so boxes stand out."""

    PANEL = "#F5F7F8"  # a figure's panel: one side of a comparison
    WHITE = "#FFFFFF"  # a VM or container inside a panel
    PURPLE = "#F3E5F5"  # a VM, tinted like a guest OS
    GREEN = "#E8F5E9"  # containers that run
    GREY = "#ECEFF1"  # what is stopped, or shared by all (an apartment building)
    TEAL = "#E0F2F1"  # a sandbox with a user-space kernel (gVisor)
    LIGHT_GREEN = "#F1F8E9"  # an app and its modules, houses
    BLUE = "#E3F2FD"  # volumes, namespaces
    AMBER = "#FFF8E1"  # cgroup limits
    YELLOW = "#FFFDE7"  # a host folder
    ORANGE = "#FFF3E0"  # a home


class Line:
    """Edge and outline colours."""

    ARROW = "#455A64"  # an ordinary arrow or step
    BLUE = "#1565C0"  # something used: a mount, a supply, what applies to a container
    GREEN = "#2E7D32"  # a backup's way
    FAINT = "#90A4AE"  # a dashed outline: where something starts, before it is built
    BROWN = "#8D6E63"  # a home's outline


BORDER = "#546E7A"  # every box's outline

# Cluster styles: a figure's panel, labelled below (for stacks drawn bottom up), and a VM or
# container inside it, outlined with dashes.
PANEL = {"bgcolor": Tint.PANEL, "labelloc": "b"}
INNER = {"bgcolor": Tint.WHITE, "style": "rounded,dashed", "labelloc": "b"}

# Edge styles: an arrow, and a labelled step (an arrow with a readable label).
ARROW = {"color": Line.ARROW, "arrowsize": "0.7"}
STEP = {**ARROW, "fontsize": "12"}


def box(label: str, fill: str, width: float, height: float = 0.45) -> Node:
    """A rounded, filled box of a fixed size (inches), its label centred."""
    return Node(
        label,
        shape="box",
        style="rounded,filled",
        fillcolor=fill,
        color=BORDER,
        labelloc="c",
        width=str(width),
        height=str(height),
    )


def on(lower: Node, upper: Node, gap: int = 1) -> None:
    """`upper` sits on `lower`, `gap` ranks up; the edge only orders them and is not drawn."""
    lower >> Edge(style="invis", minlen=str(gap)) >> upper
