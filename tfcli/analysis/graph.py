"""A block diagram of a model as data, traced from one forward pass on the meta device.

Nothing here is drawn by hand per family. One forward pass records, for every module call,
which earlier calls produced the tensors it read (provenance follows every torch function
through a TorchFunctionMode). That gives the real data flow: embeddings → ⊕ positions →
blocks, the encoder's output feeding each decoder block's cross-attention, RoPE and
relative biases reaching the attention they modify, U-Net skip connections. Additions of
two different streams (residuals, positions) and concatenations become their own small
nodes, so pre-norm (Norm → sublayer → ⊕) and post-norm (sublayer → Add & Norm) read like
the paper's figure.

Repeated blocks (consecutive items of one ModuleList with the same structure) are drawn
once inside an "N×" frame; `depth` says how many levels of containers are opened.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# -- the graph as data ------------------------------------------------------------------


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


# -- tracing ------------------------------------------------------------------------------


@dataclass(eq=False)
class Call:
    id: int
    module: object  # None for inputs, outputs, ⊕ and concat
    path: str
    parent: "Call | None"
    kind: str = "module"  # module, input, output, add, concat, port (one tensor of a module's outputs)
    name: str = ""  # input/output name
    shape: list[int] | None = None
    in_prov: set[int] = field(default_factory=set)
    out_prov: set[int] = field(default_factory=set)  # provenance inside, before the output was tagged
    children: list["Call"] = field(default_factory=list)


def _leaf_types():
    from torch import nn

    from tfcli import blocks as b

    return (
        b.Attention, b.FeedForward, b.TokenEmbedding, b.LearnedPositions, b.SinusoidalPositions,
        b.Rotary, b.T5RelativeBias, b.PatchEmbedding, b.LMHead, b.Pooler, b.ClassifierHead,
        nn.LayerNorm, nn.RMSNorm, nn.GroupNorm, nn.Linear, nn.Conv2d, nn.Embedding,
    )


def _tensors(obj, out):
    import torch

    if isinstance(obj, torch.Tensor):
        out.append(obj)
    elif isinstance(obj, (list, tuple)):
        for o in obj:
            _tensors(o, out)
    elif isinstance(obj, dict):
        for o in obj.values():
            _tensors(o, out)
    return out


def trace_calls(model, inputs: dict) -> Call:
    """Run forward once on meta tensors and return the call tree with provenance."""
    import torch
    from torch.overrides import TorchFunctionMode

    leaf = _leaf_types()
    calls: list[Call] = []
    prov: dict[int, set[int]] = {}
    keep: list = []  # keeps tensors alive so their ids are never reused

    def new(module, path, parent, **kw) -> Call:
        c = Call(len(calls), module, path, parent, **kw)
        calls.append(c)
        if parent is not None:
            parent.children.append(c)
        return c

    def prov_of(obj) -> set[int]:
        s: set[int] = set()
        for t in _tensors(obj, []):
            s |= prov.get(id(t), set())
        return s

    def tag(obj, srcs: set[int]) -> None:
        for t in _tensors(obj, []):
            prov[id(t)] = set(srcs)
            keep.append(t)

    root = new(model, "", None)
    root.ports = []
    stack = [root]
    for name, t in inputs.items():
        c = new(None, name, root, kind="input", name=name, shape=list(t.shape))
        tag(t, {c.id})

    adds = {torch.add, torch.Tensor.add, torch.Tensor.add_, torch.Tensor.__add__, torch.Tensor.__radd__,
            torch.Tensor.__iadd__}
    cats = {torch.cat, torch.concat}
    # positions computed from the data (CLIP's end-of-text index) select, they are not data
    indexes = {torch.argmax, torch.Tensor.argmax, torch.argmin, torch.Tensor.argmin}

    class Provenance(TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            kwargs = kwargs or {}
            out = func(*args, **kwargs)
            srcs = prov_of((args, kwargs))
            top = stack[-1]
            if func in adds or func in cats:
                parts = [prov_of(a) for a in (args[0] if func in cats else args[:2])]
                parts = [p for p in parts if p]
                if len(parts) >= 2 and any(p != parts[0] for p in parts) and not isinstance(top.module, leaf):
                    kind = "add" if func in adds else "concat"
                    c = new(None, top.path, top, kind=kind, in_prov=srcs, shape=_shape(out))
                    srcs = {c.id}
            tag(out, set() if func in indexes else srcs)
            return out

    def pre(module, args, kwargs):
        c = new(module, paths[id(module)], stack[-1], in_prov=prov_of((args, kwargs)))
        stack.append(c)

    def post(module, args, kwargs, out):
        c = stack.pop()
        c.out_prov = prov_of(out)
        c.shape = _shape(out)
        ts = _tensors(out, [])
        if len(ts) > 1:
            # one port per output tensor, so a reader of one (CLIP's pooled state) is not
            # wired to what produced the others when the container is drawn open
            for t in ts:
                port = Call(len(calls), None, c.path, c, kind="port", in_prov=prov.get(id(t), set()))
                port.out_prov = port.in_prov
                calls.append(port)
                root.ports.append(port)
                tag(t, {port.id})
        else:
            tag(out, {c.id})

    paths = {id(m): p for p, m in model.named_modules()}
    handles = []
    for path, m in model.named_modules():
        if path:
            handles.append(m.register_forward_pre_hook(pre, with_kwargs=True))
            handles.append(m.register_forward_hook(post, with_kwargs=True))
    try:
        with torch.inference_mode(), Provenance():
            out = model(**inputs)
    finally:
        for h in handles:
            h.remove()
    for i, t in enumerate(_tensors(out, [])):
        new(None, "", root, kind="output", name=f"output {i}" if i else "output", shape=list(t.shape),
            in_prov=set(prov.get(id(t), set())))
    return root


def _shape(out):
    ts = _tensors(out, [])
    return list(ts[0].shape) if ts else None


# -- from calls to a drawable graph ----------------------------------------------------------


def _walk(call: Call):
    yield call
    for c in call.children:
        yield from _walk(c)


def _signature(call: Call) -> tuple:
    from tfcli.analysis.tree import _signature as module_signature

    return tuple(
        (c.kind, module_signature(c.module) if c.module is not None and c is call else type(c.module).__name__)
        for c in _walk(call)
    )


def _loose_signature(call: Call) -> tuple:
    """_signature, except that position tables (modules of category "embeddings") may differ
    in size: SAM's windowed and global layers are one block drawn once, with a note."""
    m = call.module
    shapes = ()
    if m is not None:
        shapes = tuple(
            (n, tuple(p.shape)) for n, p in m.named_parameters()
            if getattr(m.get_submodule(n.rsplit(".", 1)[0]) if "." in n else m, "category", None) != "embeddings"
        )
    return (shapes,) + tuple((c.kind, type(c.module).__name__) for c in _walk(call))


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


def _title(word: str) -> str:
    word = word.replace("_", " ").strip().capitalize() if word else word
    return word.replace("Iou ", "IoU ")


def _node_label(call: Call, classification) -> tuple[str, str, str]:
    """(label, kind, detail) in the paper's vocabulary where the block type says it."""
    from torch import nn

    from tfcli import blocks as b
    from tfcli.analysis.structure import ffn_kind, head_layout, position_kind

    m = call.module
    if call.kind == "input":
        label = {
            "input_ids": "Inputs", "decoder_input_ids": "Outputs (shifted right)",
            "images": "Image", "pixel_values": "Image", "input_points": "Point prompts",
            "input_labels": "Point labels", "input_boxes": "Box prompts", "input_masks": "Mask prompt",
            "sample": "Noisy latent", "timestep": "Timestep", "encoder_hidden_states": "Text embeddings",
        }.get(call.name, call.name)
        return label, "input", _dims(call.shape)
    if call.kind == "output":
        if classification.kind == "dual-encoder":
            return "Contrastive logits", "output", _dims(call.shape)
        producers = getattr(call, "producers", set())
        if "LMHead" in producers:
            return "Output Probabilities", "output", _dims(call.shape)
        if "Pooler" in producers:
            return "Pooled output", "output", _dims(call.shape)
        if "ClassifierHead" in producers:
            return "Class scores", "output", _dims(call.shape)
        return ("Hidden states" if call.shape and len(call.shape) == 3 else "Output"), "output", _dims(call.shape)
    if call.kind == "add":
        return "+", "add", ""
    if call.kind == "concat":
        return "concat", "concat", ""
    if isinstance(m, b.Attention):
        if m.cross:
            label = "Multi-Head Cross-Attention"
        elif m.causal:
            label = "Masked Multi-Head Attention"
        else:
            label = "Multi-Head Attention"
        if m.window:
            label = "Windowed " + label
        return label, "attention", f"{head_layout(m.num_heads, m.num_kv_heads, m.head_dim)} heads"
    if isinstance(m, b.FeedForward) and type(m).__name__ == "TimestepMLP":
        return "Time Embedding", "embedding", f"sinusoid → MLP {m.fc1.in_features}→{m.fc2.out_features}"
    if isinstance(m, b.FeedForward):
        return "Feed Forward", "ffn", ffn_kind(m)
    if isinstance(m, b.TokenEmbedding):
        return "Input Embedding", "embedding", f"{m.num_embeddings:,} × {m.embedding_dim}"
    if isinstance(m, b.PatchEmbedding):
        return "Patch Embedding", "embedding", f"{m.patch_size}×{m.patch_size} patches → {m.proj.out_channels}"
    name = type(m).__name__
    if name in ("VisionPositions", "GridPositions"):  # learned tables over the patch grid
        grid = m.weight.shape[1] if name == "GridPositions" else m.grid
        extra = f" + {m.num_prefix} [CLS]" if name == "VisionPositions" and m.num_prefix else ""
        return "Position Embedding", "position", f"learned, {grid}×{grid} grid{extra}"
    if name == "RandomFourierPositions":
        return "Positional Encoding", "position", "random Fourier features (x, y)"
    kind = position_kind(m)
    if kind is not None:
        if isinstance(m, b.LearnedPositions):
            return "Position Embedding", "position", f"learned, {m.max_positions:,} positions"
        if isinstance(m, b.Rotary):
            return "Rotary Positions (RoPE)", "position", f"θ = {m.base:g}"
        if isinstance(m, b.T5RelativeBias):
            return "Relative Position Bias", "position", f"{m.num_buckets} buckets"
        if isinstance(m, b.SinusoidalPositions):
            return "Positional Encoding", "position", "sinusoidal"
        return kind, "position", ""
    if isinstance(m, b.LMHead):
        return "Linear", "head", f"→ {m.proj.out_features:,} (LM head)"
    if isinstance(m, b.Pooler):
        return "Pooler", "head", "[CLS] → tanh(Linear)"
    if isinstance(m, b.ClassifierHead):
        return "Classifier", "head", f"→ {m.proj.out_features:,} classes"
    if isinstance(m, (nn.LayerNorm, nn.RMSNorm, nn.GroupNorm)):
        return "Norm", "norm", type(m).__name__
    if isinstance(m, nn.ConvTranspose2d):
        return f"Upsample ×{m.stride[0]}", "module", f"transposed conv {m.in_channels}→{m.out_channels}"
    if isinstance(m, nn.Conv2d):
        k, st = m.kernel_size[0], m.stride[0]
        return f"Conv {k}×{k}", "module", f"{m.in_channels}→{m.out_channels}" + (f", stride {st}" if st > 1 else "")
    if isinstance(m, (nn.GELU, nn.ReLU, nn.SiLU, nn.Tanh)):
        return type(m).__name__, "module", ""
    leaf_name = call.path.rsplit(".", 1)[-1]
    return type(m).__name__, "module", leaf_name


def _dims(shape) -> str:
    return "(" + ", ".join(map(str, shape)) + ")" if shape else ""


def build_graph(model, inputs: dict, depth: int = 2, title: str = "") -> Graph:
    from tfcli import blocks as b
    from tfcli.analysis.classify import classify

    root = trace_calls(model, inputs)
    classification = classify(model)
    leaf = _leaf_types()
    by_id = {c.id: c for c in _walk(root)} | {p.id: p for p in root.ports}
    level = {root.id: 0}
    for c in _walk(root):
        for ch in c.children:
            level[ch.id] = level[c.id] + 1

    def expanded(c: Call) -> bool:
        if c is root:
            return True
        return (
            c.kind == "module" and bool(c.children) and not isinstance(c.module, leaf)
            and level[c.id] <= depth
        )

    # repeated runs: map every call in instances 1..n-1 to its twin in instance 0
    canon: dict[int, int] = {}
    instance: dict[int, list[tuple[int, int]]] = {c.id: [] for c in by_id.values()}
    repeat_of: dict[int, int] = {}
    mixed: dict[int, str] = {}  # drawn attention → "windowed 14×14 in 8 of 12 layers, global in 4"

    def collapse(c: Call) -> None:
        for run in _runs(c.children):
            if len(run) > 1:
                repeat_of[run[0].id] = len(run)
                first = list(_walk(run[0]))
                walks = [list(_walk(inst)) for inst in run]
                for j, a in enumerate(first):
                    if isinstance(a.module, b.Attention):
                        windows = [w[j].module.window for w in walks]
                        if len(set(windows)) > 1:
                            k = sum(1 for w in windows if w)
                            size = max(windows)
                            mixed[a.id] = f"{size}×{size} windows in {k} of {len(run)}, global in {len(run) - k}"
                            mixed[run[0].id] = f"{k} windowed + {len(run) - k} global"
                for k, inst in enumerate(run):
                    for j, d in enumerate(_walk(inst)):
                        instance[d.id].append((run[0].id, k))
                        if k:
                            canon[d.id] = first[j].id
            for ch in run:
                collapse(ch)

    collapse(root)

    def canonical(cid: int) -> int:
        while cid in canon:
            cid = canon[cid]
        return cid

    def visible(cid: int) -> set[int]:
        c = by_id[cid]
        while c.parent is not None and not expanded(c.parent):
            c = c.parent
        if c is root:
            return set()
        if c.kind == "port" or expanded(c):
            out: set[int] = set()
            for x in c.out_prov:
                out |= visible(x)
            return out
        return {c.id}

    def split_instances(a: int, b_: int) -> bool:
        ia, ib = dict(instance[a]), dict(instance[b_])
        return any(run in ib and ib[run] != k for run, k in ia.items())

    # which calls are drawn: not expanded, parent expanded, in a representative instance
    drawn = [c for c in _walk(root) if c is not root and expanded(c.parent) and not expanded(c) and c.id not in canon]
    input_names = {c.id: c.name for c in root.children if c.kind == "input"}

    edges: dict[tuple[str, str], GEdge] = {}
    for c in _walk(root):
        if c is root or not expanded(c.parent) or expanded(c):
            continue
        for src in c.in_prov:
            for v in visible(src):
                if v == c.id or split_instances(v, c.id):
                    continue
                s, d = canonical(v), canonical(c.id)
                if s == d:
                    continue
                kind = "data"
                m = c.module
                sv = by_id[s]
                if isinstance(m, b.Attention) and m.cross and not _same_block(by_id[s], by_id[d]):
                    kind = "cross"
                elif sv.kind == "module" and isinstance(sv.module, (b.Rotary, b.T5RelativeBias)):
                    kind = "condition"
                elif (sv.kind == "input" and sv.name == "timestep") or type(sv.module).__name__ == "TimestepMLP":
                    kind = "condition"  # the diffusion step reaches every ResNet block
                elif (
                    c.kind == "module" and c.children and sv.shape and len(sv.shape) == 3
                    and c.shape and len(c.shape) == 4
                ):
                    kind = "context"  # a token sequence (SD's text) conditioning a feature-map block
                edges.setdefault((f"n{s}", f"n{d}"), GEdge(f"n{s}", f"n{d}", kind))
                if c.kind == "output" and by_id[s].module is not None:
                    c.producers = getattr(c, "producers", set()) | {type(by_id[s].module).__name__}

    nodes: dict[str, GNode] = {}
    for c in drawn:
        label, kind, detail = _node_label(c, classification)
        if c.id in mixed and isinstance(c.module, b.Attention):
            label, detail = label.replace("Windowed ", ""), f"{detail}; {mixed[c.id]}"
        if c.kind == "module" and detail.isdigit() and detail == c.path.rsplit(".", 1)[-1]:
            detail = ""  # an index in a list says nothing
            if c.children and not isinstance(c.module, leaf) and c.id not in repeat_of:
                label = f"{label} {int(c.path.rsplit('.', 1)[-1]) + 1}"  # U-Net levels, SAM's two-way blocks
        if c.kind == "module" and isinstance(c.module, b.Block):
            label = f"{'Pre' if c.module.pre_norm else 'Post'}-norm block"
        if c.id in repeat_of:  # a closed block standing for a run of identical ones
            label = f"{repeat_of[c.id]}× {label}"
        if c.kind == "module" and isinstance(c.module, b.TokenEmbedding):
            read = [input_names[x] for x in _sources(c, by_id) if x in input_names]
            label = "Output Embedding" if any("decoder" in r for r in read) else "Input Embedding"
            if c.module.num_embeddings <= 16:  # BERT's segment A/B table, not a vocabulary
                label = "Segment Embedding"
        if c.kind == "module" and expanded(c) is False and c.children and not isinstance(c.module, leaf):
            if c.shape and len(c.shape) == 4 and detail in ("", c.path.rsplit(".", 1)[-1]):  # a U-Net level: what it hands on
                detail = f"→ {c.shape[1]} ch, {c.shape[2]}×{c.shape[3]}" + (" + cross-attention" if _has_cross(c) else "")
            detail = (detail + " …").strip()  # a closed container: more with --depth
        nodes[f"n{c.id}"] = GNode(f"n{c.id}", label, kind, detail)

    _merge_add_norm(nodes, edges, by_id)
    outputs = [c for c in root.children if c.kind == "output" and f"n{c.id}" in nodes]
    names = getattr(model, "graph_outputs", None)
    if names and len(names) == len(outputs):
        for c, name in zip(outputs, names):
            nodes[f"n{c.id}"].label = name
    if classification.kind == "dual-encoder" and len(outputs) > 1:
        # logits_per_image and its transpose are one similarity matrix: the towers meet once
        keep = f"n{outputs[0].id}"
        nodes[keep].detail = f"scaled cosine similarity {nodes[keep].detail}".strip()
        for c in outputs[1:]:
            gone = f"n{c.id}"
            del nodes[gone]
            for key in [k for k in edges if k[1] == gone]:
                e = edges.pop(key)
                edges.setdefault((e.src, keep), GEdge(e.src, keep, e.kind))

    def cluster_of(c: Call) -> GCluster:
        name = c.path.rsplit(".", 1)[-1]
        if name.isdigit():
            label = type(c.module).__name__
        else:
            label = _title(name)
        if type(c.module).__name__ == "TwoWayTransformer":
            label = "Two-way transformer"  # SAM: prompt tokens and image tokens attend to each other
        if c.path.endswith("hypernetworks.0"):
            label = "Hypernetwork MLP (one per mask)"
        reps = repeat_of.get(c.id, 1)
        if isinstance(c.module, b.Block):
            label = f"{'Pre' if c.module.pre_norm else 'Post'}-norm block"
        if c.id in mixed:
            label = f"{label} ({mixed[c.id]})"
        g = GCluster(f"c{c.id}", label, reps)
        for ch in c.children:
            if ch.id in canon:
                continue
            if expanded(ch):
                g.clusters.append(cluster_of(ch))
            elif f"n{ch.id}" in nodes:
                g.nodes.append(f"n{ch.id}")
        return g

    def flatten(g: GCluster) -> GCluster:
        # a frame holding nothing but one repeated block: one frame, "Encoder: Post-norm block 6×"
        g.clusters = [flatten(x) for x in g.clusters]
        if not g.nodes and len(g.clusters) == 1 and g is not top:
            inner = g.clusters[0]
            return GCluster(g.id, f"{g.label}: {inner.label}", inner.repeat, inner.nodes, inner.clusters)
        return g

    top = cluster_of(root)
    top = flatten(top)
    top.label = title or type(model).__name__
    return Graph(top.label, top, nodes, list(edges.values()))


def _sources(c: Call, by_id: dict[int, Call]) -> set[int]:
    """The input pseudo-calls a call reads, directly or through anything before it."""
    seen, todo, found = set(), list(c.in_prov), set()
    while todo:
        x = todo.pop()
        if x in seen:
            continue
        seen.add(x)
        call = by_id[x]
        if call.kind == "input":
            found.add(x)
        else:
            todo += list(call.in_prov)
    return found


def _has_cross(c: Call) -> bool:
    from tfcli.blocks import Attention

    return any(isinstance(x.module, Attention) and x.module.cross for x in _walk(c))


def _same_block(a: Call, b_: Call) -> bool:
    from tfcli.blocks import Block

    def block(c: Call):
        while c is not None and not isinstance(c.module, Block):
            c = c.parent
        return c

    return block(a) is not None and block(a) is block(b_)


def _merge_add_norm(nodes: dict[str, GNode], edges: dict, by_id: dict[int, Call]) -> None:
    """An ⊕ whose only reader is a norm in the same container, and which is that norm's only
    input, is the paper's "Add & Norm" box (post-norm)."""
    out_deg: dict[str, list[str]] = {}
    in_deg: dict[str, list[str]] = {}
    for s, d in edges:
        out_deg.setdefault(s, []).append(d)
        in_deg.setdefault(d, []).append(s)
    for nid, node in list(nodes.items()):
        if node.kind != "add":
            continue
        readers = out_deg.get(nid, [])
        if len(readers) != 1 or readers[0] not in nodes:
            continue
        norm = nodes[readers[0]]
        if norm.kind != "norm" or in_deg.get(norm.id, []) != [nid]:
            continue
        if by_id[int(nid[1:])].parent is not by_id[int(norm.id[1:])].parent:
            continue
        norm.label, norm.kind = "Add & Norm", "addnorm"
        del edges[(nid, norm.id)]
        for key in [k for k in edges if k[1] == nid]:
            e = edges.pop(key)
            edges.setdefault((e.src, norm.id), GEdge(e.src, norm.id, e.kind))
        del nodes[nid]


MAX_BOXES = 60  # beyond this a diagram at the default depth stops being readable (SD's U-Net: 246)


def build_graph_auto(model, inputs: dict, title: str = "", depth: int = 2) -> tuple[Graph, int]:
    """The graph at `depth`, closed a level at a time until it has at most MAX_BOXES boxes."""
    g = build_graph(model, inputs, depth=depth, title=title)
    while len(g.nodes) > MAX_BOXES and depth > 0:
        depth -= 1
        g = build_graph(model, inputs, depth=depth, title=title)
    return g, depth
