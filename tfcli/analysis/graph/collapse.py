"""Stage 2: the traced calls at a depth — what is drawn, folded runs, and the arrows between.

Consecutive items of one ModuleList with the same structure are one run, drawn once (the
first instance) with its count; every call of the later instances maps to its twin in the
first. A container is open up to `depth` levels; a closed one stands for all inside it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tfcli.analysis.graph.data import GEdge
from tfcli.analysis.graph.trace import Call, leaf_types, walk


@dataclass
class View:
    root: Call
    depth: int
    leaf: tuple
    by_id: dict[int, Call]
    level: dict[int, int]  # call → nesting level (root 0)
    canon: dict[int, int] = field(default_factory=dict)  # call in a later instance → its twin in the first
    instance: dict[int, list[tuple[int, int]]] = field(default_factory=dict)  # call → [(run, k-th instance)]
    repeat_of: dict[int, int] = field(default_factory=dict)  # first instance → run length
    mixed: dict[int, str] = field(default_factory=dict)  # drawn attention → "windowed 14×14 in 8 of 12 layers, …"
    drawn: list[Call] = field(default_factory=list)  # closed calls inside open ones, first instances only
    edges: dict[tuple[str, str], GEdge] = field(default_factory=dict)
    producers: dict[int, set[str]] = field(default_factory=dict)  # output → module types feeding it

    def expanded(self, c: Call) -> bool:
        if c is self.root:
            return True
        return (
            c.kind == "module" and bool(c.children) and not isinstance(c.module, self.leaf)
            and self.level[c.id] <= self.depth
        )

    def canonical(self, cid: int) -> int:
        while cid in self.canon:
            cid = self.canon[cid]
        return cid

    def visible(self, cid: int) -> set[int]:
        """The drawn calls standing for call `cid`: itself, the closed container holding it,
        or (for an open container or a port) whatever produced its output."""
        c = self.by_id[cid]
        while c.parent is not None and not self.expanded(c.parent):
            c = c.parent
        if c is self.root:
            return set()
        if c.kind == "port" or self.expanded(c):
            out: set[int] = set()
            for x in c.out_prov:
                out |= self.visible(x)
            return out
        return {c.id}

    def split_instances(self, a: int, b: int) -> bool:
        """a and b lie in different instances of one run: the arrow is drawn once, inside."""
        ia, ib = dict(self.instance[a]), dict(self.instance[b])
        return any(run in ib and ib[run] != k for run, k in ia.items())


def _loose_signature(call: Call) -> tuple:
    """The call tree's module types and parameter shapes, except that position tables
    (modules of category "embeddings") may differ in size: SAM's windowed and global
    layers are one block drawn once, with a note."""
    m = call.module
    shapes = ()
    if m is not None:
        shapes = tuple(
            (n, tuple(p.shape)) for n, p in m.named_parameters()
            if getattr(m.get_submodule(n.rsplit(".", 1)[0]) if "." in n else m, "category", None) != "embeddings"
        )
    return (shapes,) + tuple((c.kind, type(c.module).__name__) for c in walk(call))


def _runs(children: list[Call]) -> list[list[Call]]:
    """Consecutive calls of one ModuleList's items with identical structure."""
    runs: list[list[Call]] = []
    for c in children:
        prev = runs[-1][-1] if runs else None
        if (
            prev is not None and c.kind == "module" and prev.kind == "module"
            and "." in c.path and c.path.rsplit(".", 1)[-1].isdigit()
            and c.path.rsplit(".", 1)[0] == prev.path.rsplit(".", 1)[0]
            and _loose_signature(c) == _loose_signature(prev)
        ):
            runs[-1].append(c)
        else:
            runs.append([c])
    return runs


def _fold_runs(v: View, c: Call) -> None:
    from tfcli.blocks import Attention

    for run in _runs(c.children):
        if len(run) > 1:
            v.repeat_of[run[0].id] = len(run)
            first = list(walk(run[0]))
            walks = [list(walk(inst)) for inst in run]
            for j, a in enumerate(first):
                if isinstance(a.module, Attention):
                    windows = [w[j].module.window for w in walks]
                    if len(set(windows)) > 1:
                        k = sum(1 for w in windows if w)
                        size = max(windows)
                        v.mixed[a.id] = f"{size}×{size} windows in {k} of {len(run)}, global in {len(run) - k}"
                        v.mixed[run[0].id] = f"{k} windowed + {len(run) - k} global"
            for k, inst in enumerate(run):
                for j, d in enumerate(walk(inst)):
                    v.instance[d.id].append((run[0].id, k))
                    if k:
                        v.canon[d.id] = first[j].id
        for ch in run:
            _fold_runs(v, ch)


def _edge_kind(c: Call, src: Call, dst: Call) -> str:
    from tfcli import blocks as b

    m = c.module
    # a learned query (SigLIP's probe) is no other stream: the keys and values are
    if isinstance(m, b.Attention) and m.cross and src.kind != "param" and not _same_block(src, dst):
        return "cross"
    if src.kind == "module" and isinstance(src.module, (b.Rotary, b.T5RelativeBias)):
        return "condition"
    if (src.kind == "input" and src.name == "timestep") or type(src.module).__name__ == "TimestepMLP":
        return "condition"  # the diffusion step reaches every ResNet block
    if c.kind == "module" and c.children and src.shape and len(src.shape) == 3 and c.shape and len(c.shape) == 4:
        return "context"  # a token sequence (SD's text) conditioning a feature-map block
    return "data"


def _same_block(a: Call, b_: Call) -> bool:
    from tfcli.blocks import Block

    def block(c: Call):
        while c is not None and not isinstance(c.module, Block):
            c = c.parent
        return c

    return block(a) is not None and block(a) is block(b_)


def _concatenated(c: Call) -> set[int]:
    """What the concatenations in (or at) call c read: a U-Net up level's skips."""
    out: set[int] = set()
    for x in walk(c):
        if x.kind == "concat":
            for part in x.operands:
                out |= part
    return out


def _bypasses(edges: dict[tuple[str, str], GEdge], s: str, d: str) -> bool:
    """Some other path of data arrows leads from s to d: the arrow skips what lies between."""
    nxt: dict[str, list[str]] = {}
    for (a, b), e in edges.items():
        if e.kind in ("data", "skip") and (a, b) != (s, d):
            nxt.setdefault(a, []).append(b)
    seen, todo = set(), list(nxt.get(s, []))
    while todo:
        n = todo.pop()
        if n == d:
            return True
        if n not in seen:
            seen.add(n)
            todo += nxt.get(n, [])
    return False


def _mark_skips(v: View, concatenated: set[tuple[str, str]]) -> None:
    for key in sorted(concatenated):
        e = v.edges[key]
        if e.kind == "data" and _bypasses(v.edges, *key):
            e.kind = "skip"


def _mark_loops(v: View) -> None:
    """Arithmetic at the root that reads a model input and what a part made of it (SD's
    scheduler step: the latents and the predicted noise) is the next value of that input:
    an arrow back to every reader of the input, once per step."""
    for op in (c for c in v.root.children if c.kind == "op"):
        sink = f"n{op.id}"
        for c in v.root.children:
            if c.kind != "input" or (f"n{c.id}", sink) not in v.edges:
                continue
            for (s, d), e in list(v.edges.items()):
                if s == f"n{c.id}" and d != sink and e.kind == "data":
                    v.edges.setdefault((sink, d), GEdge(sink, d, "loop", op.shape))


def collapse_calls(root: Call, depth: int) -> View:
    by_id = {c.id: c for c in walk(root)} | {p.id: p for p in root.ports}
    level = {root.id: 0}
    for c in walk(root):
        for ch in c.children:
            level[ch.id] = level[c.id] + 1
    v = View(root, depth, leaf_types(), by_id, level, instance={c.id: [] for c in by_id.values()})
    _fold_runs(v, root)
    v.drawn = [c for c in walk(root)
               if c is not root and v.expanded(c.parent) and not v.expanded(c) and c.id not in v.canon]
    concatenated: set[tuple[str, str]] = set()  # arrows whose tensor a concatenation reads
    for c in walk(root):
        if c is root or not v.expanded(c.parent) or v.expanded(c):
            continue
        joined = _concatenated(c)
        for src in sorted(c.in_prov):
            for x in sorted(v.visible(src)):
                if x == c.id or v.split_instances(x, c.id):
                    continue
                s, d = v.canonical(x), v.canonical(c.id)
                if s == d:
                    continue
                key = (f"n{s}", f"n{d}")
                v.edges.setdefault(key, GEdge(*key, _edge_kind(c, by_id[s], by_id[d]), c.in_shapes.get(src)))
                if src in joined:
                    concatenated.add(key)
                if c.kind == "output" and by_id[s].module is not None:
                    v.producers.setdefault(c.id, set()).add(type(by_id[s].module).__name__)
    _mark_skips(v, concatenated)
    _mark_loops(v)
    return v
