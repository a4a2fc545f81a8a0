"""Architecture facts read from a built (meta) model: positions, attention, norms, FFNs.

Shared by `compare`, `families` and `graph`. Everything comes from the shared block
classes' own attributes (Attention.num_heads/causal/cross/window, Block.pre_norm,
FeedForward.activation/gated, the position modules), so a new family built from them
is described without any family-specific code here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ACT_NAMES = {"relu": "ReLU", "gelu": "GELU", "gelu_tanh": "GELU (tanh)", "quick_gelu": "QuickGELU", "silu": "SiLU"}
GATED_NAMES = {"silu": "SwiGLU", "gelu": "GeGLU", "gelu_tanh": "GeGLU (tanh)", "relu": "ReGLU"}


@dataclass
class Structure:
    positions: list[str] = field(default_factory=list)  # "learned absolute (1024)", "rotary (RoPE, θ=10000)"
    attention: dict[str, int] = field(default_factory=dict)  # kind → number of modules
    windowed: int = 0
    heads: list[str] = field(default_factory=list)  # "12 × 64", "32 q / 8 kv × 128 (GQA)"
    head_shapes: list[dict] = field(default_factory=list)  # the same as numbers: heads, kv_heads, head_dim
    norms: list[str] = field(default_factory=list)  # "LayerNorm", "RMSNorm"
    placement: str = ""  # "pre-norm", "post-norm", "pre- and post-norm", ""
    ffn: list[str] = field(default_factory=list)  # "GELU MLP 768→3072"
    ffn_shapes: list[dict] = field(default_factory=list)  # the same as data: activation, gated, widths, experts
    widths: list[int] = field(default_factory=list)
    vocab: int | None = None
    token_embedding: bool = False
    patch_embedding: bool = False
    cls_token: bool = False
    distillation_token: bool = False  # DeiT
    patch_merging: bool = False  # Swin: 2×2 tokens merged between stages
    register_tokens: int = 0
    heads_out: list[str] = field(default_factory=list)  # "LM head", "pooler", "classifier"
    convolution: bool = False
    experts: int = 0  # feed-forwards that are mixtures of experts
    latent_attention: int = 0  # attention modules caching a compressed latent (MLA)

    def components(self) -> list[str]:
        """The notes' component vocabulary, in the order the notes list them."""
        out = []
        if self.token_embedding:
            out.append("token embedding")
        if self.patch_embedding:
            out.append("patch embedding")
        for kind in _uniq(f"positional encoding ({k.split(' (')[0]})" for k in self.positions):
            out.append(kind)  # CLIP's two learned tables are one component
        if self.cls_token:
            out.append("CLS token")
        if self.distillation_token:
            out.append("distillation token")
        if self.register_tokens:
            out.append("register tokens")
        if self.attention.get("bidirectional"):
            out.append("multi-head attention")
        if self.attention.get("causal"):
            out.append("masked multi-head attention")
        if self.attention.get("cross"):
            out.append("encoder-decoder attention")
        if self.windowed:
            out.append("windowed attention")
        if self.latent_attention:
            out.append("latent attention (compressed KV)")
        if self.patch_merging:
            out.append("patch merging")
        if self.attention.get("pooling"):
            out.append("attention pooling")
        if self.ffn:
            out.append("feed-forward")
        if self.experts:
            out.append("mixture of experts")
        if self.convolution:
            out.append("convolution")
        out += self.heads_out
        return out


def _uniq(items):
    seen = []
    for i in items:
        if i not in seen:
            seen.append(i)
    return seen


def head_layout(num_heads: int, num_kv_heads: int, head_dim: int) -> str:
    if num_kv_heads == num_heads:
        return f"{num_heads} × {head_dim}"
    kind = "MQA" if num_kv_heads == 1 else "GQA"
    return f"{num_heads} q / {num_kv_heads} kv × {head_dim} ({kind})"


def position_kind(module) -> str | None:
    from tfcli.blocks import Alibi, LearnedPositions, Rotary, SinusoidalPositions, T5RelativeBias

    if isinstance(module, LearnedPositions):
        return f"learned absolute ({module.max_positions})"
    if isinstance(module, SinusoidalPositions):
        stored = module.weight
        return "sinusoidal (fixed)" if stored is None else f"sinusoidal (fixed, {stored.shape[0]} positions stored)"
    if isinstance(module, Rotary):
        if module.rotary_dim < module.head_dim:  # GPT-NeoX, Phi, GPT-J turn only part of each head
            share = f"{100 * module.rotary_dim / module.head_dim:.3g}%"
            return f"rotary (partial, {share}, θ={module.base:g})"
        return f"rotary (RoPE, θ={module.base:g})"
    if isinstance(module, Alibi):
        return "ALiBi"
    if isinstance(module, T5RelativeBias):
        return f"relative bias ({module.num_buckets} buckets)"
    name = type(module).__name__  # vision tables live outside tfcli.blocks' text set
    if name == "VisionPositions":  # ViT, DINOv2: [CLS] + a patch grid, resampled to the input
        return f"learned absolute ({module.num_prefix + module.grid**2})"
    if name == "RelativePositionBias":  # BEiT's grid, Swin's windows: a learned bias per offset and head
        return f"relative bias ({module.grid}×{module.grid} {'grid + [CLS]' if module.cls else 'window'})"
    if name == "GridPositions":  # SAM's encoder: one vector per grid cell
        return f"learned absolute ({module.weight.shape[1]}×{module.weight.shape[2]} grid)"
    if name == "RandomFourierPositions":  # SAM's prompt and image coordinates
        return "random Fourier features"
    if name == "RelativeTable":  # DeBERTa's relative distances, read by every layer's c2p / p2c terms
        return f"relative, disentangled ({module.weight.shape[0]} rows)"
    return None


def ffn_kind(module) -> str:
    act = module.activation
    name = GATED_NAMES.get(act, f"gated {act}") if module.gated else f"{ACT_NAMES.get(act, act)} MLP"
    inner = module.fc2.in_features
    return f"{name} {module.fc1.in_features}→{inner}"


def ffn_shape(module) -> dict:
    return {"activation": module.activation, "gated": module.gated, "d_model": module.fc1.in_features,
            "hidden": module.fc2.in_features, "experts": None, "top_k": None, "shared": None}


def moe_shape(module) -> dict:
    e = module.experts
    return {"activation": e.activation, "gated": e.gated, "d_model": e.fc2.shape[1], "hidden": e.fc2.shape[2],
            "experts": module.num_experts, "top_k": module.top_k,
            "shared": ffn_shape(module.shared) if module.shared is not None else None}


def moe_kind(module) -> str:
    """"top-2 of 8 × SwiGLU 4096→14336 (+ shared SwiGLU 2048→2816)" for a mixture of experts."""
    e = module.experts
    act = e.activation
    name = GATED_NAMES.get(act, f"gated {act}") if e.gated else f"{ACT_NAMES.get(act, act)} MLP"
    text = f"top-{module.top_k} of {module.num_experts} × {name} {e.fc2.shape[1]}→{e.fc2.shape[2]}"
    return text + (f" (+ shared {ffn_kind(module.shared)})" if module.shared is not None else "")


def read_structure(model, params=None) -> Structure:
    """`params`: the model's ParamReport when the caller has counted it already."""
    from torch import nn

    from tfcli.blocks import Attention, Block, FeedForward, LMHead, PatchEmbedding, Pooler, TokenEmbedding
    from tfcli.blocks import ClassifierHead
    from tfcli.analysis.params import count_params
    from tfcli.blocks.moe import MoE

    s = Structure()
    experts: list[str] = []  # paths of mixtures of experts: their shared FFN is described with them
    pos_modules: set[str] = set()
    norms, placements, heads, ffns, widths = [], [], [], [], []
    head_shapes, ffn_shapes = [], []
    vocab = 0
    for path, m in model.named_modules():
        kind = position_kind(m)
        if kind is not None:
            s.positions.append(kind)
            pos_modules.add(path)
        if isinstance(m, Attention):
            s.attention[m.kind] = s.attention.get(m.kind, 0) + 1
            s.windowed += 1 if m.window else 0
            if hasattr(m, "kv_per_token"):  # latent attention: K and V rebuilt from a cached latent
                s.latent_attention += 1
                heads.append(f"{m.num_heads} × {m.head_dim} (MLA: {m.kv_per_token()} cached per token)")
            else:
                heads.append(head_layout(m.num_heads, m.num_kv_heads, m.head_dim))
            head_shapes.append({"heads": m.num_heads, "kv_heads": m.num_kv_heads, "head_dim": m.head_dim,
                                "latent_cached_per_token": m.kv_per_token() if hasattr(m, "kv_per_token") else None})
            widths.append(getattr(m, "d_model", None) or (m.q.in_features if m.cross else m.qkv.in_features))
        elif isinstance(m, Block):
            placement = "pre-norm" if m.pre_norm else "post-norm"
            placements.append(f"{placement} (parallel attention + FFN)" if m.parallel else placement)
        elif isinstance(m, MoE):
            experts.append(path)
            s.experts += 1
            ffns.append(moe_kind(m))
            ffn_shapes.append(moe_shape(m))
        elif isinstance(m, FeedForward):
            if not any(path.startswith(p + ".") for p in experts):
                ffns.append(ffn_kind(m))
                ffn_shapes.append(ffn_shape(m))
        elif isinstance(m, nn.LayerNorm):
            norms.append("LayerNorm")
        elif isinstance(m, nn.RMSNorm):
            norms.append("RMSNorm")
        elif isinstance(m, nn.GroupNorm):
            norms.append("GroupNorm")
        elif isinstance(m, TokenEmbedding):
            vocab = max(vocab, m.num_embeddings)
        elif isinstance(m, PatchEmbedding):
            s.patch_embedding = True
        elif isinstance(m, LMHead):
            s.heads_out.append("LM head")
        elif isinstance(m, Pooler):
            s.heads_out.append("pooler")
        elif isinstance(m, ClassifierHead):
            s.heads_out.append("classifier")
        elif type(m).__name__ == "PatchMerging":  # Swin's, named by convention like the vision tables
            s.patch_merging = True
    # learned position tables and special tokens held as bare parameters (ViT's pos_embed,
    # cls_token, DINOv2's register tokens, SAM's relative tables): named by convention
    for name, p in list(model.named_parameters()) + list(model.named_buffers()):
        owner, leaf = name.rsplit(".", 1) if "." in name else ("", name)
        if any(owner == q or owner.startswith(q + ".") for q in pos_modules):
            continue
        low = leaf.lower()
        if low.startswith(("cls_token", "class_token", "class_embedding")) or low == "cls":
            s.cls_token = True
        elif low.startswith("distillation_token"):
            s.distillation_token = True
        elif "register" in low or low.startswith("reg_token"):
            s.register_tokens = max(s.register_tokens, p.shape[-2] if p.dim() >= 2 else p.shape[0])
        elif "rel_pos" in low:
            s.positions.append("relative (decomposed, learned)")
        elif "pos" in low and ("embed" in low or "embedding" in low):
            s.positions.append(f"learned absolute ({leaf})")
    s.positions = _uniq(s.positions)
    s.heads = _uniq(heads)
    s.head_shapes = _uniq(head_shapes)
    s.norms = _uniq(norms)
    s.placement = " and ".join(_uniq(placements)).replace("pre-norm and post-norm", "pre- and post-norm")
    s.ffn = _uniq(ffns)
    s.ffn_shapes = _uniq(ffn_shapes)
    s.widths = sorted(set(widths))
    # a few learned rows (BERT's 2 segments, SAM's 4 mask tokens) are not a vocabulary
    s.vocab = vocab if vocab > 16 else None
    s.token_embedding = s.vocab is not None
    s.heads_out = _uniq(s.heads_out)
    report = params or count_params(model)
    s.convolution = report.by_category["convolution"] > 0
    return s
