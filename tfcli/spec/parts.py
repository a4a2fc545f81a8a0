"""The one structural description of a model: parts that know their parameters and MACs. No torch.

A family's config returns its `Layout` once (`config.layout()`): named parts, each used on
one of the resolved input's lengths. `tfcli.build` makes the modules from the same part
specs (blocks, attention, feed-forward, norms take a spec), and the parameter count and
the closed-form MACs are sums over the layout, so a block is described exactly once.
The MAC convention is tfcli.spec.tally's.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Iterable, Iterator

from tfcli.spec.saved import SavedTally
from tfcli.spec.tally import Breakdown, Tally


class Part:
    """A piece of a model: its parameters, and its MACs for `rows` tokens (per sequence)
    reading a `context` of that many tokens (cross-attention), `times` times."""

    def num_params(self) -> int:
        return 0

    def num_active_params(self) -> int:
        """Parameters one token runs through: all of them, except in a mixture of experts."""
        return self.num_params()

    @property
    def input_dim(self) -> int:
        """The width of a token it reads (what a picked row's view keeps, per token)."""
        raise NotImplementedError(type(self).__name__)

    def add_macs(self, t: Tally, rows: int, context: int | None = None, times: int = 1) -> None:
        """Nothing by default: lookups, gathers and elementwise ops cost no MACs."""

    def add_saved(self, s: SavedTally, rows: int, context: int | None = None, times: int = 1) -> None:
        """What a training forward keeps for backward (tfcli.spec.saved's convention). A part
        that does not say is unmodelled, so no estimate is printed that nobody checked."""
        s.unmodelled = True


def _linear_params(n_in: int, n_out: int, bias: bool) -> int:
    return n_in * n_out + (n_out if bias else 0)


@dataclass(frozen=True)
class Linear(Part):
    n_in: int
    n_out: int
    bias: bool = True
    category: str = "heads"

    def num_params(self) -> int:
        return _linear_params(self.n_in, self.n_out, self.bias)

    @property
    def input_dim(self) -> int:
        return self.n_in

    def add_macs(self, t, rows, context=None, times=1):
        t.linear(self.category, rows, self.n_in, self.n_out, times)

    def add_saved(self, s, rows, context=None, times=1):
        s.add(self.category, times * rows * self.n_in)


@dataclass(frozen=True)
class Table(Part):
    """Learned vectors read by index, not multiplied: token and position tables, [CLS],
    mask and register tokens, relative-position biases, a logit scale."""

    rows: int
    dim: int
    scale: float = 1.0  # multiplies the vectors read (Gemma: sqrt(d_model)); elementwise, no MACs
    # how it is read: "ids", each sequence's own indices (tokens, segments); "positions", one
    # index row shared by the batch; "": added whole, not indexed ([CLS], a ViT's positions)
    lookup: str = "ids"

    def num_params(self) -> int:
        return self.rows * self.dim

    def add_saved(self, s, rows, context=None, times=1):
        if self.lookup:  # the lookup keeps its int64 indices for the gradient's scatter
            s.add("embeddings", times * rows, "index", per_sequence=self.lookup == "ids")


@dataclass(frozen=True)
class NormSpec(Part):
    kind: str = "layer"  # "layer" | "rms"
    dim: int = 0
    eps: float = 1e-5
    bias: bool = True  # LayerNorm's shift; RMSNorm has none
    unit_offset: bool = False  # Gemma: the scale is stored as w and applied as (1 + w)

    def num_params(self) -> int:
        return self.dim * (2 if self.kind == "layer" and self.bias else 1)

    @property
    def input_dim(self) -> int:
        return self.dim

    def add_macs(self, t, rows, context=None, times=1):
        t.norm(rows * self.dim, times)

    def add_saved(self, s, rows, context=None, times=1, groups: int = 1):
        """`groups` normalised vectors per row (a Q/K norm over each head)."""
        if self.kind == "rms":  # computed in fp32: the fp32 input and the normalised input, rstd
            s.add("norms", times * rows * self.dim, "fp32")
            s.add("norms", times * rows * (self.dim + groups), "fp32")
        else:  # the input, mean and rstd
            s.add("norms", times * rows * self.dim)
            s.add("norms", times * rows * 2 * groups, "stat")
        if self.unit_offset:  # Gemma: the scale applied, 1 + w, made anew at every call
            s.add("norms", times * self.dim, per_sequence=False)


@dataclass(frozen=True)
class PatchEmbed(Part):
    """A conv with kernel = stride = patch: each patch's p²·C pixels → one d-vector."""

    patch_size: int
    in_channels: int
    dim: int
    bias: bool = True

    def num_params(self) -> int:
        return _linear_params(self.patch_size**2 * self.in_channels, self.dim, self.bias)

    def add_macs(self, t, rows, context=None, times=1):
        t.linear("embeddings", rows, self.patch_size**2 * self.in_channels, self.dim, times)

    def add_saved(self, s, rows, context=None, times=1):
        s.add("embeddings", times * rows * self.patch_size**2 * self.in_channels)  # the pixels, for the weight's gradient


@dataclass(frozen=True)
class LMHeadSpec(Part):
    """Hidden states → vocabulary logits; a tied head reuses the token table (0 parameters)."""

    d_model: int
    vocab_size: int
    tied: bool = False
    bias: bool = False
    softcap: float = 0.0  # > 0: logits → cap·tanh(logits/cap) (Gemma 2); elementwise, no MACs

    def num_params(self) -> int:
        return (0 if self.tied else self.d_model * self.vocab_size) + (self.vocab_size if self.bias else 0)

    def add_macs(self, t, rows, context=None, times=1):
        t.linear("heads", rows, self.d_model, self.vocab_size, times)

    def add_saved(self, s, rows, context=None, times=1):
        s.add("heads", times * rows * self.d_model)  # its input; the logits are the output (a loss would keep more)
        if self.softcap:  # tanh keeps the capped logits
            s.add("heads", times * rows * self.vocab_size)


@dataclass(frozen=True)
class AttentionSpec(Part):
    """Multi-head attention: MHA, GQA (fewer K/V heads), MQA (one); cross when kv_dim is set."""

    d_model: int
    num_heads: int
    num_kv_heads: int | None = None  # None: as many as query heads
    head_dim: int | None = None  # None: d_model // num_heads
    kv_dim: int | None = None  # width of the sequence cross-attention reads; None: self-attention
    causal: bool = False
    qkv_bias: bool = True
    out_bias: bool | None = None  # None: same as qkv_bias
    scale: float | None = None  # None: 1/sqrt(head_dim); T5 folds it into init (1.0)
    window: int = 0  # > 0: attends within windows of this side (SAM)
    # > 0: causal self-attention where each query reads only the last W keys (Mistral, Gemma 2);
    # scores and KV cache follow tfcli.spec.tally's band convention. Not SAM's 2-D `window`
    sliding_window: int = 0
    # RMSNorm of queries and keys before RoPE (Qwen3, Gemma 3, OLMo 2): dim = head_size norms
    # each head (one scale shared by the heads), dim = q_dim the whole projection (K: kv_out)
    qk_norm: NormSpec | None = None
    softcap: float = 0.0  # > 0: scores → cap·tanh(scores/cap) before the softmax (Gemma 2); no MACs
    rope_theta: float = 0.0  # > 0: this layer's own RoPE base (Gemma 3's local layers); 0: the model's
    pooling: bool = False  # a learned query reads the sequence to pool it (SigLIP's head): not a decoder
    k_bias: bool | None = None  # None: as qkv_bias; BEiT's and Whisper's q and v have biases, their k none
    # > 0: bidirectional local attention, each token sees the tokens within ±local_window//2
    # (ModernBERT's local layers, local_attention = 128). A band mask over the full score
    # matrix, as SDPA computes it, so the scores are counted in full. Not Mistral's causal
    # sliding_window (which looks back only); the two may be unified as one band at merge.
    local_window: int = 0

    @property
    def kv_heads(self) -> int:
        return self.num_kv_heads or self.num_heads

    @property
    def head_size(self) -> int:
        return self.head_dim or self.d_model // self.num_heads

    @property
    def q_dim(self) -> int:
        return self.num_heads * self.head_size

    @property
    def kv_out(self) -> int:
        return self.kv_heads * self.head_size

    @property
    def cross(self) -> bool:
        return self.kv_dim is not None

    @property
    def has_out_bias(self) -> bool:
        return self.qkv_bias if self.out_bias is None else self.out_bias

    @property
    def qk_norms(self) -> tuple[NormSpec, NormSpec] | None:
        """The query and key norms as built (per head, or over the whole projection)."""
        if self.qk_norm is None:
            return None
        if self.qk_norm.dim == self.head_size:
            return self.qk_norm, self.qk_norm
        return replace(self.qk_norm, dim=self.q_dim), replace(self.qk_norm, dim=self.kv_out)

    @property
    def has_k_bias(self) -> bool:
        return self.qkv_bias if self.k_bias is None else self.k_bias

    def num_params(self) -> int:
        kv_in = self.kv_dim if self.cross else self.d_model
        norms = sum(n.num_params() for n in self.qk_norms) if self.qk_norm is not None else 0
        return (
            _linear_params(self.d_model, self.q_dim, self.qkv_bias)
            + _linear_params(kv_in, self.kv_out, self.has_k_bias)
            + _linear_params(kv_in, self.kv_out, self.qkv_bias)
            + _linear_params(self.q_dim, self.d_model, self.has_out_bias)
            + norms
        )

    def add_macs(self, t, rows, context=None, times=1):
        if self.cross:
            t.linear("attn_proj", rows, self.d_model, self.q_dim, times)
            t.linear("attn_proj", context, self.kv_dim, 2 * self.kv_out, times)  # K, V of the context
        else:
            t.linear("attn_proj", rows, self.d_model, self.q_dim + 2 * self.kv_out, times)  # fused QKV
        t.linear("attn_proj", rows, self.q_dim, self.d_model, times)
        if self.qk_norm is not None:  # per head or whole width: the same elements either way
            t.norm(rows * self.q_dim, times)
            t.norm((context if self.cross else rows) * self.kv_out, times)
        if self.window and not self.cross:  # rows tile whole windows (Swin): scores per window, linear in rows
            n = self.window**2
            t.attention(self.num_heads, n, n, self.head_size, times=times, batch=t.batch * (rows // n), windowed=True)
            return
        tk = context if self.cross else rows
        t.attention(self.num_heads, rows, tk, self.head_size, causal=self.causal, times=times,
                    sliding_window=0 if self.cross else self.sliding_window)

    def kv_per_token(self) -> int:
        """K and V elements cached per token of the sequence it reads."""
        return 2 * self.kv_out

    @property
    def split_bias(self) -> bool:
        """Q and V biases added after a bias-free fused projection (BEiT)."""
        return self.qkv_bias and self.k_bias is False and not self.cross

    def add_saved(self, s, rows, context=None, times=1):
        """Its input, Q/K/V as the kernel receives them, the output and row statistics
        (tfcli.spec.saved). A bias with parameters added to the self-attention scores
        (`s.learned_bias`: T5, BEiT) sends SDPA to its math path."""
        h, qd, kvo = self.num_heads, self.q_dim, self.kv_out
        repeat = self.kv_heads != self.num_heads  # GQA: K and V copied out to every query head
        kv_width = qd if repeat else kvo
        n = times * rows
        tk = rows if context is None or not self.cross else context
        rows_k = times * tk
        s.add("attention", n * self.d_model)  # the projection's input (Q's, for cross-attention)
        rotary = None if self.cross else s.rotary
        rotates = rotary is not None or (bool(self.rope_theta) and not self.cross)
        partial = rotary is not None and getattr(rotary, "rotary_dim", None) is not None
        q_new = self.cross or rotates or self.qk_norm is not None or self.split_bias
        k_new = self.cross or rotates or self.qk_norm is not None or repeat
        v_new = self.cross or repeat or self.split_bias
        if self.qk_norm is not None:  # in fp32: the normalised Q and K, rstd per vector
            groups = h if self.qk_norm.dim == self.head_size else 1
            s.add("norms", n * (qd + groups), "fp32")
            s.add("norms", rows_k * (kvo + (self.kv_heads if groups > 1 else 1)), "fp32")
            s.add("norms", n * qd + rows_k * kvo, "upcast")
            if self.qk_norm.unit_offset:  # each norm's 1 + w, per call
                q_norm, k_norm = self.qk_norms
                s.add("norms", times * (q_norm.dim + k_norm.dim), per_sequence=False)
        if self.rope_theta and not self.cross:  # this layer's own RoPE tables (Gemma 3's local layers)
            s.add("attention", 2 * times * rows * self.head_size, per_sequence=False)
        causal_mask = self.causal and not self.cross and (s.alibi_heads or s.learned_bias)
        if (s.learned_bias and not self.cross) or self.softcap:
            # computed outside the fused kernel: scaled Q and K copies, the probabilities (and
            # the capped scores), V (a copy once batch × windows > 1), the output copy the
            # projection reads. Windowed (Swin): each token's scores span its window only
            window_tokens = self.window**2 if self.window and not self.cross else tk
            calls = s.batch * (rows // window_tokens if self.window and not self.cross else 1)
            probs = times * h * rows * window_tokens * (2 if self.softcap else 1)
            s.add("attention", 2 * n * qd + probs + n * qd)
            copied_v = v_new or calls > 1
            if copied_v:
                s.add("attention", rows_k * kv_width)
            view = not copied_v
            if causal_mask or self.softcap and self.causal:  # the future positions, masked
                s.add("attention", times * rows * tk, "mask", per_sequence=False)
        else:
            s.add("attention", n * qd * q_new + rows_k * kv_width * (k_new + v_new))
            s.add("attention", n * qd * (2 if partial else 1))  # output (copied for the projection when contiguous)
            s.add("attention", n * h, "fp32")  # log-sum-exp per query row and head
            view = not (q_new and k_new and v_new)
            band = self.local_window or (self.sliding_window and rows > self.sliding_window)
            if causal_mask:  # the bias with the future masked, made per layer
                s.add("attention", times * max(s.alibi_heads, 1) * rows * tk, per_sequence=False)
            elif band:  # the band mask, converted to the scores' dtype by the kernel
                s.add("attention", times * rows * tk, per_sequence=False)
        if view:  # a view of the fused projection's output reaches the kernel
            s.add("attention", n * (qd + 2 * kvo))
        elif self.qk_norm is not None and not self.cross:  # at fp32 the norms keep that view as their input
            s.add("norms", n * (qd + 2 * kvo), "fp32_only")


@dataclass(frozen=True)
class FeedForwardSpec(Part):
    """Linear → activation → Linear; gated (SwiGLU/GeGLU) makes gate and value in one matmul."""

    d_model: int
    ffn_dim: int
    activation: str = "gelu"
    gated: bool = False
    bias: bool = True

    def num_params(self) -> int:
        return _linear_params(self.d_model, self.ffn_dim * (2 if self.gated else 1), self.bias) + _linear_params(
            self.ffn_dim, self.d_model, self.bias
        )

    def add_macs(self, t, rows, context=None, times=1):
        t.linear("feed_forward", rows, self.d_model, self.ffn_dim * (2 if self.gated else 1), times)
        t.linear("feed_forward", rows, self.ffn_dim, self.d_model, times)

    @property
    def hidden_saved(self) -> int:
        """Per token, of its hidden units: gated, the fused gate/value output (2), the gate's
        activation and the product; else the first output and the activation's (ReLU keeps
        only its own output, quick-GELU its sigmoid too)."""
        return self.ffn_dim * (
            4 if self.gated else 1 if self.activation == "relu" else 3 if self.activation == "quick_gelu" else 2
        )

    def add_saved(self, s, rows, context=None, times=1):
        s.add("feed_forward", times * rows * (self.d_model + self.hidden_saved))  # its input, its hidden units


@dataclass(frozen=True)
class RelPosBias(Part):
    """A learned bias per head for each relative offset (Δy, Δx) between two tokens of a
    `grid`×`grid` patch grid or window, added to the attention scores (BEiT, Swin): (2g−1)²
    offsets, plus 3 for [CLS]→patch, patch→[CLS] and [CLS]→[CLS] when a [CLS] is attended.
    Gathered and added, so no MACs."""

    grid: int
    num_heads: int
    cls: bool = False

    @property
    def rows(self) -> int:
        return (2 * self.grid - 1) ** 2 + (3 if self.cls else 0)

    def num_params(self) -> int:
        return self.rows * self.num_heads

    def add_saved(self, s, rows, context=None, times=1):
        """Its gather's index is counted by the block that adds it."""


@dataclass(frozen=True)
class BlockSpec(Part):
    """Self-attention, optional cross-attention, feed-forward; each a residual branch with its norm.

    pre-norm:  x = x + f(norm(x))    (GPT-2, T5, Llama, ViT: stable when deep)
    post-norm: x = norm(x + f(x))    (original Transformer, BERT, BART)
    parallel:  x = x + attn(norm₁(x)) + ffn(norm₂(x))   (GPT-J, GPT-NeoX, Falcon, Phi: one
               residual step, so the two branches can run at once); `shared_norm`: norm₁ = norm₂
    """

    attention: AttentionSpec
    ffn: FeedForwardSpec
    norm: NormSpec
    cross_attention: AttentionSpec | None = None
    pre_norm: bool = True
    layer_scale: bool = False  # DINOv2: a learned per-channel scale on each branch
    # each branch's output normed before the residual add: with pre_norm, x + n2(f(n1(x)))
    # (Gemma 2/3's sandwich, 4 norms a block); without, x + n(f(x)) (OLMo 2)
    branch_post_norm: bool = False
    parallel: bool = False  # attention and feed-forward read the same input, summed into one residual
    shared_norm: bool = False  # parallel branches read one norm (GPT-J, Phi, Falcon-7B) instead of two
    rel_pos: RelPosBias | None = None  # BEiT: each block's own relative-position bias table
    attn_norm: bool = True  # False: the attention branch reads x un-normalised (ModernBERT's first layer)

    @property
    def d_model(self) -> int:
        return self.attention.d_model

    @property
    def num_norms(self) -> int:
        if self.parallel and self.shared_norm:
            return 1
        branches = 3 if self.cross_attention is not None else 2
        norms = branches * (2 if self.pre_norm and self.branch_post_norm else 1)
        return norms - (0 if self.attn_norm else 1)  # ModernBERT's first layer: no attention norm

    def num_params(self) -> int:
        cross = self.cross_attention.num_params() if self.cross_attention is not None else 0
        scales = 2 * self.d_model if self.layer_scale else 0
        rel = self.rel_pos.num_params() if self.rel_pos is not None else 0
        return (self.attention.num_params() + cross + self.ffn.num_params() + self.num_norms * self.norm.num_params()
                + scales + rel)

    def num_active_params(self) -> int:
        return self.num_params() - self.ffn.num_params() + self.ffn.num_active_params()

    def add_macs(self, t, rows, context=None, times=1):
        self.attention.add_macs(t, rows, times=times)
        if self.cross_attention is not None:
            self.cross_attention.add_macs(t, rows, context, times)
        self.ffn.add_macs(t, rows, times=times)
        self.norm.add_macs(t, rows, times=times * self.num_norms)  # LayerScale is elementwise

    def add_saved(self, s, rows, context=None, times=1):
        """Each branch's part, and each norm's input; parallel branches share the block's
        input (one saved tensor), and with one norm also its output. The cross-attention's
        context is the stack's (counted there)."""
        shared_bias = s.learned_bias
        s.learned_bias = shared_bias or self.rel_pos is not None  # BEiT: this block's own table
        if self.rel_pos is not None:  # the offset index its table is gathered with, per window (Swin)
            span = self.attention.window**2 if self.attention.window else rows
            s.add("attention", times * span * span, "index", per_sequence=False)
        self.attention.add_saved(s, rows, times=times)
        s.learned_bias = shared_bias
        if self.cross_attention is not None:
            self.cross_attention.add_saved(s, rows, context, times)
        self.ffn.add_saved(s, rows, times=times)
        norms = self.num_norms
        if self.parallel:
            if self.shared_norm:  # attention and FFN read one normalised tensor
                s.add("feed_forward", -times * rows * self.d_model)
            else:  # two norms of one input
                s.add("norms", -times * rows * self.d_model * (2 if self.norm.kind == "rms" else 1),
                      "fp32" if self.norm.kind == "rms" else "act")
        self.norm.add_saved(s, rows, times=times * norms)
        if self.layer_scale:  # γ·branch keeps the branch output for γ's gradient
            s.add("other", 2 * times * rows * self.d_model)


def block_spec(
    d_model: int,
    num_heads: int,
    ffn_dim: int,
    *,
    num_kv_heads: int | None = None,
    head_dim: int | None = None,
    activation: str = "gelu",
    gated: bool = False,
    norm: str = "layer",
    norm_eps: float = 1e-5,
    norm_bias: bool = True,
    pre_norm: bool = True,
    qkv_bias: bool = True,
    out_bias: bool | None = None,
    ffn_bias: bool = True,
    causal: bool = False,
    cross_dim: int | None = None,
    attn_scale: float | None = None,
    layer_scale: bool = False,
    parallel: bool = False,
    shared_norm: bool = False,
    k_bias: bool | None = None,
) -> BlockSpec:
    """The usual block from flat hyper-parameters (what most families' configs hold)."""
    attention = AttentionSpec(
        d_model, num_heads, num_kv_heads, head_dim, causal=causal, qkv_bias=qkv_bias, out_bias=out_bias,
        scale=attn_scale, k_bias=k_bias,
    )
    cross = replace(attention, kv_dim=cross_dim, causal=False) if cross_dim is not None else None
    return BlockSpec(
        attention=attention,
        ffn=FeedForwardSpec(d_model, ffn_dim, activation, gated, ffn_bias),
        norm=NormSpec(norm, d_model, norm_eps, norm_bias),
        cross_attention=cross,
        pre_norm=pre_norm,
        layer_scale=layer_scale,
        parallel=parallel,
        shared_norm=shared_norm,
    )


@dataclass(frozen=True)
class StackSpec(Part):
    """N identical blocks and, for pre-norm stacks (unless told otherwise), a final norm."""

    block: BlockSpec
    num_layers: int
    final_norm: bool | None = None  # None: as the blocks are pre-norm
    # one block per layer when they differ (Gemma 2's alternating sliding/global layers);
    # empty: num_layers × block. `block` is then the first layer's (its norm is the final one)
    layer_blocks: tuple[BlockSpec, ...] = ()
    # ALBERT: one block's parameters serve every layer; counted once, its MACs once per use
    shared: bool = False

    @property
    def has_final_norm(self) -> bool:
        return self.block.pre_norm if self.final_norm is None else self.final_norm

    @property
    def causal(self) -> bool:
        return self.block.attention.causal

    def blocks(self) -> list[BlockSpec]:
        """The block of every layer, in order."""
        return list(self.layer_blocks) if self.layer_blocks else [self.block] * self.num_layers

    def block_counts(self) -> list[tuple[BlockSpec, int]]:
        """Each distinct block and how many layers use it (first-use order)."""
        if not self.layer_blocks:
            return [(self.block, self.num_layers)]
        counts: dict[BlockSpec, int] = {}
        for b in self.layer_blocks:
            counts[b] = counts.get(b, 0) + 1
        return list(counts.items())

    def num_params(self) -> int:
        final = self.block.norm.num_params() if self.has_final_norm else 0
        if self.shared:  # ALBERT: one block's parameters serve every layer
            return self.block.num_params() + final
        return sum(n * b.num_params() for b, n in self.block_counts()) + final

    def num_active_params(self) -> int:
        final = self.block.norm.num_params() if self.has_final_norm else 0
        if self.shared:
            return self.block.num_active_params() + final
        return sum(n * b.num_active_params() for b, n in self.block_counts()) + final

    def add_macs(self, t, rows, context=None, times=1):
        for block, n in self.block_counts():
            block.add_macs(t, rows, context, times * n)
        if self.has_final_norm:
            self.block.norm.add_macs(t, rows, times=times)

    def add_saved(self, s, rows, context=None, times=1):
        for block, n in self.block_counts():
            block.add_saved(s, rows, context, times * n)
        if self.has_final_norm:
            self.block.norm.add_saved(s, rows, times=times)
        cross = self.block.cross_attention
        if cross is not None:  # every layer's K and V read the one context tensor
            s.add("attention", times * context * cross.kv_dim)


@dataclass(frozen=True)
class Use:
    """A part and the input length it runs over (a key of ResolvedInput.lengths)."""

    name: str
    part: Part
    rows: str = "tokens"
    context: str | None = None  # the length its cross-attention reads
    generates: bool = False  # a decoder run token by token: its self-attention K/V are cached
    # its input is one row picked from a sequence of this length ([CLS], the last token): a
    # view, so backward keeps the whole sequence's tensor (None: its input is its own)
    picks: str | None = None


@dataclass
class Layout:
    """A model as its named parts, in the order they run; each parameter counted once."""

    uses: list[Use] = field(default_factory=list)

    def __iter__(self) -> Iterator[Use]:
        return iter(self.uses)

    def __getitem__(self, name: str) -> Part:
        for use in self.uses:
            if use.name == name:
                return use.part
        raise KeyError(name)

    def __contains__(self, name: str) -> bool:
        return any(u.name == name for u in self.uses)

    def add(self, name: str, part: Part, rows: str = "tokens", context: str | None = None,
            generates: bool = False, picks: str | None = None) -> "Layout":
        self.uses.append(Use(name, part, rows, context, generates, picks))
        return self

    @property
    def last_rows(self) -> str:
        """The length the last part added runs over (what a head after a stack picks from)."""
        return self.uses[-1].rows

    def replace(self, name: str, part: Part) -> "Layout":
        """The same layout with the part called `name` swapped (a family built on another's)."""
        self.uses = [replace(u, part=part) if u.name == name else u for u in self.uses]
        return self

    def extend(self, prefix: str, other: "Layout") -> "Layout":
        """Another layout's parts under `prefix.` (a tower, a pipeline stage)."""
        self.uses.extend(replace(u, name=f"{prefix}.{u.name}") for u in other.uses)
        return self

    def num_params(self) -> int:
        return sum(u.part.num_params() for u in self.uses)

    def attentions(self) -> Iterator["AttentionSpec"]:
        for use in self.uses:
            yield from (attn for attn, _ in _attentions(use.part))

    def has_causal_attention(self) -> bool:
        """Whether any self-attention is causally masked (what --causal-half can change)."""
        return any(a.causal and not a.cross for a in self.attentions())

    def generates(self) -> bool:
        """Whether a decoder runs token by token, so it keeps a KV cache."""
        return any(u.generates for u in self.uses)

    def num_active_params(self) -> int:
        """Parameters a token runs through: routed experts count top_k of num_experts."""
        return sum(u.part.num_active_params() for u in self.uses)

    def add_macs(self, t: Tally, lengths: dict[str, int]) -> None:
        for u in self.uses:
            rows = lengths[u.rows]
            context = lengths[u.context] if u.context else None
            u.part.add_macs(t, rows, context)
            if u.generates:
                for attn, layers in _attentions(u.part):
                    if attn.cross:  # the encoder output's K/V, computed once per sequence
                        t.kv_cross += layers * attn.kv_per_token() * (context or 0) * t.batch
                    else:
                        t.kv += layers * attn.kv_per_token()
                        if attn.sliding_window:  # this layer keeps only the last W tokens
                            t.kv_window(attn.sliding_window, layers * attn.kv_per_token())

    def saved(self, lengths: dict[str, int], batch: int) -> SavedTally:
        """What a training forward keeps for backward, part by part (tfcli.spec.saved)."""
        s = SavedTally(batch)
        for u in self.uses:
            rows = lengths[u.rows]
            u.part.add_saved(s, rows, lengths[u.context] if u.context else None)
            if u.picks:  # the rest of the sequence its picked row is a view of
                s.add("heads", (lengths[u.picks] - rows) * u.part.input_dim)
        return s

    def macs(self, lengths: dict[str, int], batch: int, tokens: int) -> Breakdown:
        t = Tally(batch)
        t.tokens = tokens
        self.add_macs(t, lengths)
        return t.result()


def _attentions(part: Part) -> Iterable[tuple[AttentionSpec, int]]:
    """Each attention of a stack (or block) and how many layers have it."""
    counts = part.block_counts() if isinstance(part, StackSpec) else [(part, 1)]
    for block, layers in counts:
        if isinstance(block, BlockSpec):
            yield block.attention, layers
            if block.cross_attention is not None:
                yield block.cross_attention, layers


@dataclass(frozen=True)
class Counted(Part):
    """A part whose modules really differ from the shared blocks (SAM's two-way decoder, a
    UNet level): its family computes the parameters, and its MACs in `config.macs()`."""

    params: int

    def num_params(self) -> int:
        return self.params



@dataclass(frozen=True)
class Conv1dSpec(Part):
    """A 1-D convolution over a sequence (Whisper's audio stem): `rows` is its output length;
    each output position is a (in_channels·kernel) → out_channels product."""

    in_channels: int
    out_channels: int
    kernel: int
    stride: int = 1
    bias: bool = True
    category: str = "convolution"

    def num_params(self) -> int:
        return _linear_params(self.in_channels * self.kernel, self.out_channels, self.bias)

    def add_macs(self, t, rows, context=None, times=1):
        t.linear(self.category, rows, self.in_channels * self.kernel, self.out_channels, times)

    def add_saved(self, s, rows, context=None, times=1):
        # its input sequence (stride × rows long) and its output, which the GELU after it keeps
        s.add(self.category, times * rows * (self.stride * self.in_channels + self.out_channels))
