"""Stage 3: the paper's vocabulary — a box per drawn call, a frame per open container.

Labels come from the block types ("Masked Multi-Head Attention", "Add & Norm", "12× Pre-norm
block"); nothing is written per family. An ⊕ read only by the norm after it is the post-norm
"Add & Norm" box; a frame holding only one repeated block is one frame. Learned tokens
([CLS], registers) are boxes of their own; an ⊕ that is no residual says what it adds; boxes
holding one weight matrix are joined by a "tied" arrow; arrows carry the tensor's shape where
a block begins or the shape changes; a U-Net's boxes are grouped into rows by resolution.
"""

from __future__ import annotations

from dataclasses import replace

from tfcli.analysis.graph.collapse import View
from tfcli.analysis.graph.data import GCluster, GEdge, GNode, Graph
from tfcli.analysis.graph.trace import Call, walk


def _title(word: str) -> str:
    word = word.replace("_", " ").strip().capitalize() if word else word
    return word.replace("Iou ", "IoU ").replace("Unet", "UNet").replace("Vae", "VAE")


# learned tokens a container reads as bare parameters, by their attribute's name
TOKEN_NAMES = {"cls_token": "[CLS] token", "registers": "Register tokens", "reg_token": "Register tokens",
               "distillation_token": "Distillation token", "mask_token": "Mask token"}


def _token_label(model, call: Call) -> tuple[str, str, str]:
    """A parameter read by a container's own code: a learned token, or the table of a
    module used by one of its methods (SAM's prompt encoder encodes points with the shared
    random Fourier matrix), named as that module would be."""
    from tfcli.analysis.structure import position_kind
    from tfcli.blocks import TokenEmbedding

    owner_path, leaf = call.name.rsplit(".", 1) if "." in call.name else ("", call.name)
    owner = model.get_submodule(owner_path)
    if next(owner.children(), None) is None and not isinstance(owner, TokenEmbedding):
        return node_label(Call(call.id, owner, owner_path, None), None, set(), model)
    kind = position_kind(owner)
    if kind is not None:  # DeBERTa's relative table, read by the encoder itself
        return ("Relative Position Embedding" if kind.startswith("relative") else "Position Embedding"), "position", kind
    if leaf in TOKEN_NAMES:
        label = TOKEN_NAMES[leaf]
    else:  # SAM's not_a_point.weight, point_embeddings.1.weight, iou_token.weight
        words = [w for w in call.name.split(".") if w != "weight"][-2:]
        words = words[-1:] if not words[-1].isdigit() else words
        label = _title(" ".join(words))
    n, d = (call.shape[-2], call.shape[-1]) if len(call.shape) >= 2 else (1, call.shape[-1])
    return label, "token", f"learned, {n} × {d}"


def node_label(call: Call, classification, producers: set[str], model=None) -> tuple[str, str, str]:
    """(label, kind, detail) in the paper's vocabulary where the block type says it."""
    from torch import nn

    from tfcli import blocks as b
    from tfcli.analysis.structure import ffn_kind, head_layout, moe_kind, position_kind

    m = call.module
    if call.kind == "input":
        label = {
            "input_ids": "Inputs", "decoder_input_ids": "Outputs (shifted right)",
            "images": "Image", "pixel_values": "Image", "input_points": "Point prompts",
            "input_labels": "Point labels", "input_boxes": "Box prompts", "input_masks": "Mask prompt",
            "sample": "Noisy latent", "latents": "Noisy latent", "timestep": "Timestep",
            "encoder_hidden_states": "Text embeddings", "input_features": "Log-Mel Spectrogram",
        }.get(call.name, call.name)
        return label, "input", _dims(call.shape)
    if call.kind == "param":
        return _token_label(model, call)
    if call.kind == "op":
        if classification is not None and classification.kind == "latent-diffusion":
            # one step of the sampler: the clean latents estimated from the predicted noise
            return "Scheduler step", "op", "x₀ = (x_t − √(1−ᾱ_t)·ε) / √ᾱ_t"
        return "Arithmetic", "op", ""
    if call.kind == "output":
        if classification.kind == "dual-encoder":
            return "Contrastive logits", "output", _dims(call.shape)
        if "LMHead" in producers:  # the model returns logits; a softmax would make them probabilities
            return "Logits", "output", f"{_dims(call.shape)}, before softmax"
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
        if hasattr(m, "kv_per_token"):  # DeepSeek's MLA: K and V rebuilt from a cached latent
            return "Masked Multi-Head Latent Attention", "attention", f"{m.num_heads} heads, {m.kv_per_token()} cached per token"
        return label, "attention", f"{head_layout(m.num_heads, m.num_kv_heads, m.head_dim)} heads"
    if type(m).__name__ == "MoE":
        return "Mixture of Experts", "ffn", moe_kind(m)
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
    if isinstance(m, nn.Conv1d):  # Whisper's audio stem
        k, st = m.kernel_size[0], m.stride[0]
        return f"Conv1D (k={k})", "module", f"{m.in_channels}→{m.out_channels}" + (f", stride {st}" if st > 1 else "")
    if isinstance(m, (nn.GELU, nn.ReLU, nn.SiLU, nn.Tanh)):
        return type(m).__name__, "module", ""
    leaf_name = call.path.rsplit(".", 1)[-1]
    return type(m).__name__, "module", leaf_name


def _dims(shape) -> str:
    return "(" + ", ".join(map(str, shape)) + ")" if shape else ""



def _nodes(v: View, model, classification) -> dict[str, GNode]:
    from tfcli import blocks as b

    input_names = {c.id: c.name for c in v.root.children if c.kind == "input"}
    nodes: dict[str, GNode] = {}
    for c in v.drawn:
        label, kind, detail = node_label(c, classification, v.producers.get(c.id, set()), model)
        index = c.path.rsplit(".", 1)[-1]
        if c.id in v.mixed and isinstance(c.module, b.Attention):
            label, detail = label.replace("Windowed ", ""), f"{detail}; {v.mixed[c.id]}"
        if c.kind == "module" and detail.isdigit() and detail == index:
            detail = ""  # an index in a list says nothing
            if c.children and not isinstance(c.module, v.leaf) and c.id not in v.repeat_of:
                label = f"{label} {int(index) + 1}"  # U-Net levels, SAM's two-way blocks
        if c.kind == "module" and isinstance(c.module, b.Block):
            label = f"{'Pre' if c.module.pre_norm else 'Post'}-norm block"
        if c.id in v.repeat_of:  # a closed block standing for a run of identical ones
            label = f"{v.repeat_of[c.id]}× {label}"
        if c.kind == "module" and isinstance(c.module, b.TokenEmbedding):
            read = [input_names[x] for x in _sources(c, v.by_id) if x in input_names]
            label = "Output Embedding" if any("decoder" in r for r in read) else "Input Embedding"
            if c.module.num_embeddings <= 16:  # BERT's segment A/B table, not a vocabulary
                label = "Segment Embedding"
        if c.kind == "module" and not v.expanded(c) and c.children and not isinstance(c.module, v.leaf):
            if c.shape and len(c.shape) == 4 and detail in ("", index):  # a U-Net level: what it hands on
                detail = f"→ {c.shape[1]} ch, {c.shape[2]}×{c.shape[3]}" + (" + cross-attention" if _has_cross(c) else "")
            detail = (detail + " …").strip()  # a closed container: more with --depth
        nodes[f"n{c.id}"] = GNode(f"n{c.id}", label, kind, detail, c.shape)
    return nodes


def _name_adds(v: View, nodes: dict[str, GNode]) -> None:
    """An ⊕ that is no residual says what it adds: positions, a learned token (SAM's
    not-a-point vector), the prompt tokens again. A residual's second operand is the
    sublayer beside it and needs no words."""
    said = {"position": "positions", "token": None, "concat": "tokens"}
    for c in v.drawn:
        node = nodes.get(f"n{c.id}")
        if node is None or node.kind != "add":
            continue
        words = []
        for part in c.operands[1:]:
            for x in sorted(set().union(*(v.visible(p) for p in part))):
                src = nodes.get(f"n{v.canonical(x)}")
                if src is None or src.kind not in said:
                    continue
                word = said[src.kind] or (src.label if src.label.startswith("[") else src.label.lower())
                if word not in words:
                    words.append(word)
        node.detail = "+ " + ", ".join(words) if words else ""


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

    return any(isinstance(x.module, Attention) and x.module.cross for x in walk(c))


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
        _move_arrows_into(edges, nid, norm.id)
        del nodes[nid]


def _move_arrows_into(edges: dict, gone: str, keep: str) -> None:
    for key in [k for k in edges if k[1] == gone]:
        e = edges.pop(key)
        edges.setdefault((e.src, keep), GEdge(e.src, keep, e.kind, e.shape))


def _name_outputs(model, v: View, classification, nodes: dict[str, GNode], edges: dict) -> None:
    outputs = [c for c in v.root.children if c.kind == "output" and f"n{c.id}" in nodes]
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
            _move_arrows_into(edges, gone, keep)


def _frames(v: View, nodes: dict[str, GNode]) -> GCluster:
    from tfcli.blocks import Block

    def frame(c: Call) -> GCluster:
        name = c.path.rsplit(".", 1)[-1]
        label = type(c.module).__name__ if name.isdigit() else _title(name)
        if type(c.module).__name__ == "TwoWayTransformer":
            label = "Two-way transformer"  # SAM: prompt tokens and image tokens attend to each other
        if c.path.endswith("hypernetworks.0"):
            label = "Hypernetwork MLP (one per mask)"
        if isinstance(c.module, Block):
            label = f"{'Pre' if c.module.pre_norm else 'Post'}-norm block"
        if c.id in v.mixed:
            label = f"{label} ({v.mixed[c.id]})"
        g = GCluster(f"c{c.id}", label, v.repeat_of.get(c.id, 1))
        for ch in c.children:
            if ch.id in v.canon:
                continue
            if v.expanded(ch):
                g.clusters.append(frame(ch))
            elif f"n{ch.id}" in nodes:
                g.nodes.append(f"n{ch.id}")
        return g

    def flatten(g: GCluster, top: bool = False) -> GCluster:
        # a frame holding nothing but one repeated block: one frame, "Encoder: Post-norm block 6×"
        g.clusters = [flatten(x) for x in g.clusters]
        if not g.nodes and len(g.clusters) == 1 and not top:
            inner = g.clusters[0]
            return GCluster(g.id, f"{g.label}: {inner.label}", inner.repeat, inner.nodes, inner.clusters)
        return g

    return flatten(frame(v.root), top=True)


def _tied_edges(v: View, model, nodes: dict[str, GNode], edges: dict) -> None:
    """Boxes holding one weight matrix (a tied LM head and token embedding, one embedding
    read for both encoder and decoder): joined by a "tied" arrow, one chain per matrix."""
    holders: dict[int, list[str]] = {}
    for nid in nodes:
        c = v.by_id[int(nid[1:])]
        if c.kind == "param":
            params = [model.get_parameter(c.name)]
        elif c.kind == "module" and c.module is not None:
            params = list(c.module.parameters())
        else:
            continue
        for p in params:
            if p.dim() >= 2:  # a matrix, not a norm's scale
                holders.setdefault(id(p), [])
                if nid not in holders[id(p)]:
                    holders[id(p)].append(nid)
    for chain in holders.values():
        for a, b in zip(chain, chain[1:]):
            if (a, b) not in edges and (b, a) not in edges:
                edges[(a, b)] = GEdge(a, b, "tied", label="tied")


def _membership(top: GCluster) -> dict[str, str]:
    """Node → the frame it is drawn in."""
    out: dict[str, str] = {}

    def visit(c: GCluster) -> None:
        out.update((n, c.id) for n in c.nodes)
        for x in c.clusters:
            visit(x)

    visit(top)
    return out


def _shape_labels(nodes: dict[str, GNode], edges: dict, frame: dict[str, str]) -> None:
    """Write the tensor's shape on an arrow where a block begins or ends (it crosses a
    frame) or where the box before it changed the shape, once per tensor; inputs and
    outputs carry their own."""
    shapes_in: dict[str, list] = {}
    for (s, d), e in edges.items():
        if e.kind == "data":
            shapes_in.setdefault(d, []).append(e.shape)
    written: set[tuple[str, tuple]] = set()
    # arrows into a box before arrows into an ⊕: the residual branch is the same tensor
    for (s, d), e in sorted(edges.items(), key=lambda kv: nodes[kv[0][1]].kind == "add"):
        if e.kind == "loop":
            e.label = "next timestep"
        # conditioning is drawn without pulling the layout; a label on it would tangle the arrows
        if e.kind not in ("data", "cross", "skip") or not e.shape or e.label:
            continue
        if nodes[s].kind == "input" or nodes[d].kind == "output":
            continue
        crosses = frame.get(s) != frame.get(d)
        changed = any(x is not None and x != e.shape for x in shapes_in.get(s, []))
        if (crosses or changed) and (s, tuple(e.shape)) not in written:
            written.add((s, tuple(e.shape)))
            e.label = _dims(e.shape)


def _resolution_rows(nodes: dict[str, GNode], edges: dict, frame: dict[str, str]) -> list[list[str]]:
    """A U-Net's boxes grouped by the resolution they work at (the side of the feature maps
    they read), highest first: each row pairs a down level with the up level its skips
    reach, so the contracting path runs down one side and the expanding path up the other."""
    skips = [e for e in edges.values() if e.kind == "skip"]
    frames = {frame.get(e.src) for e in skips} & {frame.get(e.dst) for e in skips}
    side: dict[str, int] = {}
    for e in edges.values():
        if e.kind in ("data", "skip") and e.shape and len(e.shape) == 4 and frame.get(e.dst) in frames:
            if nodes[e.dst].kind not in ("input", "output"):
                side[e.dst] = max(side.get(e.dst, 0), e.shape[-1])
    rows: dict[int, list[str]] = {}
    for nid in nodes:  # trace order within a row
        if nid in side:
            rows.setdefault(side[nid], []).append(nid)
    if not skips:
        return []
    rows_list = [rows[k] for k in sorted(rows, reverse=True)]
    # what conditions every level (the text, the time embedding) sits inside the U, between
    # its arms, one source per middle row, rather than pulling arrows across it
    readers: dict[str, set[str]] = {}
    for e in edges.values():
        readers.setdefault(e.src, set()).add(e.kind if e.dst in side else "elsewhere")
    sources = [n for n, kinds in readers.items() if kinds <= {"context", "condition"} and n not in side]
    for i, n in enumerate(sources):
        if frame.get(n) in frames and 0 < i + 1 < len(rows_list) - 1:
            rows_list[i + 1].insert(1, n)
    return rows_list


def label_view(v: View, model, classification, title: str = "") -> Graph:
    """The drawable graph of a collapsed trace. The view's arrows are copied, not changed."""
    edges = {k: replace(e) for k, e in v.edges.items()}
    nodes = _nodes(v, model, classification)
    _name_adds(v, nodes)
    _merge_add_norm(nodes, edges, v.by_id)
    _name_outputs(model, v, classification, nodes, edges)
    _tied_edges(v, model, nodes, edges)
    top = _frames(v, nodes)
    top.label = title or type(model).__name__
    frame = _membership(top)
    _shape_labels(nodes, edges, frame)
    return Graph(top.label, top, nodes, list(edges.values()), _resolution_rows(nodes, edges, frame))
