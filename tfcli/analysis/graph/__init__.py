"""A block diagram of a model as data, traced from one forward pass on the meta device.

Nothing here is drawn by hand per family. Three stages:

    trace     one forward records every module call and which calls produced what it read:
              embeddings → ⊕ positions → blocks, the encoder's output feeding each decoder
              block's cross-attention, RoPE and relative biases reaching their attention,
              U-Net skip connections
    collapse  the calls at a depth: `depth` levels of containers open, repeated blocks
              (consecutive items of one ModuleList with the same structure) drawn once
    label     boxes and frames in the paper's vocabulary; pre-norm reads Norm → sublayer → ⊕,
              post-norm sublayer → Add & Norm
"""

from __future__ import annotations

from tfcli.analysis.graph.collapse import View, collapse_calls
from tfcli.analysis.graph.data import GCluster, GEdge, GNode, Graph
from tfcli.analysis.graph.label import label_view
from tfcli.analysis.graph.trace import Call, trace_calls

MAX_BOXES = 60  # beyond this a diagram at the default depth stops being readable (SD's U-Net: 246)

__all__ = ["MAX_BOXES", "Call", "GCluster", "GEdge", "GNode", "Graph", "View", "build_graph",
           "build_graph_auto", "collapse_calls", "label_view", "trace_calls"]


def build_graph(model, inputs: dict, depth: int = 2, title: str = "") -> Graph:
    from tfcli.analysis.classify import classify

    return label_view(collapse_calls(trace_calls(model, inputs), depth), model, classify(model), title)


def build_graph_auto(model, inputs: dict, title: str = "", depth: int = 2) -> tuple[Graph, int]:
    """The graph at `depth`, closed a level at a time until it has at most MAX_BOXES boxes.
    One trace serves every depth tried."""
    from tfcli.analysis.classify import classify

    root, classification = trace_calls(model, inputs), classify(model)
    g = label_view(collapse_calls(root, depth), model, classification, title)
    while len(g.nodes) > MAX_BOXES and depth > 0:
        depth -= 1
        g = label_view(collapse_calls(root, depth), model, classification, title)
    return g, depth
