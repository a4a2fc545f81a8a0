"""The drawable graph as data: boxes, frames, arrows. tfcli.render.graph draws it."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class GNode:
    id: str
    label: str
    kind: str  # style: input, output, embedding, position, token, attention, ffn, norm, add, concat, op, head, module
    detail: str = ""  # a second, smaller line (sizes, heads)
    shape: list[int] | None = None  # the tensor it hands on


@dataclass
class GCluster:
    id: str
    label: str
    repeat: int = 1  # > 1: one block drawn for `repeat` identical ones
    nodes: list[str] = field(default_factory=list)
    clusters: list["GCluster"] = field(default_factory=list)


EDGE_KINDS = {  # kind → what the legend says it means
    "data": "activations (shape where a block begins or the shape changes)",
    "cross": "keys and values from the other stream (cross-attention)",
    "context": "text context, read by cross-attention",
    "condition": "positions, biases or the timestep a layer is conditioned on",
    "skip": "skip connection (concatenated on the way up)",
    "loop": "repeated for every denoising step",
    "tied": "one weight matrix shared by both boxes (tied)",
}


@dataclass
class GEdge:
    src: str
    dst: str
    kind: str = "data"  # one of EDGE_KINDS
    shape: list[int] | None = None  # the tensor carried, as the reader receives it
    label: str = ""  # drawn beside the arrow: the shape where it says something


@dataclass
class Graph:
    title: str
    root: GCluster
    nodes: dict[str, GNode]
    edges: list[GEdge]
    # nodes drawn side by side, first row on top: a U-Net's levels at one resolution, so its
    # skip connections run across and the down and up paths form a U
    rows: list[list[str]] = field(default_factory=list)

    def to_dict(self) -> dict:
        def cluster(c: GCluster) -> dict:
            return {"id": c.id, "label": c.label, "repeat": c.repeat, "nodes": c.nodes,
                    "clusters": [cluster(x) for x in c.clusters]}

        return {
            "title": self.title,
            "nodes": [vars(n) for n in self.nodes.values()],
            "edges": [vars(e) for e in self.edges],
            "root": cluster(self.root),
            "rows": self.rows,
        }
