"""The drawable graph as data: boxes, frames, arrows. tfcli.render.graph draws it."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class GNode:
    id: str
    label: str
    kind: str  # style: input, output, embedding, position, attention, ffn, norm, add, concat, head, module
    detail: str = ""  # a second, smaller line (sizes, heads)


@dataclass
class GCluster:
    id: str
    label: str
    repeat: int = 1  # > 1: one block drawn for `repeat` identical ones
    nodes: list[str] = field(default_factory=list)
    clusters: list["GCluster"] = field(default_factory=list)


@dataclass
class GEdge:
    src: str
    dst: str
    kind: str = "data"  # data, cross (keys/values from another stream), condition (position/bias)


@dataclass
class Graph:
    title: str
    root: GCluster
    nodes: dict[str, GNode]
    edges: list[GEdge]

    def to_dict(self) -> dict:
        def cluster(c: GCluster) -> dict:
            return {"id": c.id, "label": c.label, "repeat": c.repeat, "nodes": c.nodes,
                    "clusters": [cluster(x) for x in c.clusters]}

        return {
            "title": self.title,
            "nodes": [vars(n) for n in self.nodes.values()],
            "edges": [vars(e) for e in self.edges],
            "root": cluster(self.root),
        }
