"""What the figure scripts in diagrams/ share: one palette, one box, the common styles.

Every figure's script is shown on its page in a "Source" block, so this stays small and each
name reads at a glance. The pipeline's cache key includes this file's bytes (see
sitebuild/figures.py): editing it re-renders every figure.
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


BORDER = "#546E7A"  # every box's outline

# Cluster styles: a figure's panel, labelled below (for stacks drawn bottom up), and a VM or
# container inside it, outlined with dashes.
PANEL = {"bgcolor": "#F5F7F8", "labelloc": "b"}
INNER = {"bgcolor": "#FFFFFF", "style": "rounded,dashed", "labelloc": "b"}

# Edge styles: an arrow, and a labelled step (an arrow with a readable label).
ARROW = {"color": "#455A64", "arrowsize": "0.7"}
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
