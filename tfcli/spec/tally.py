"""MAC accounting: the categories, the per-category tally and the breakdown it produces. No torch.

Convention (every count in tfcli follows it, measured or closed-form):

* The unit is the MAC, one multiply-add (fvcore calls it a "flop"). FLOPs = 2 × MACs.
* A matmul (m×k)·(k×n) costs m·k·n MACs. Biases, residual adds, activations, softmax,
  scaling, RoPE rotations and every other elementwise op are NOT counted (the counters
  list them as "elementwise, not counted"); embedding lookups are gathers, 0 MACs.
* Norms ARE counted the way fvcore does: numel × 5 for a norm with a learned scale,
  numel × 4 without (LayerNorm, RMSNorm and GroupNorm alike). That is what makes
  fvcore's published ViT-B/16 figure (17.58 GMACs) come out.
* Attention scores: QKᵀ and AV, B·heads·Tq·Tk·head_dim each; causal attention counts the
  full Tq×Tk matrix, as the kernels compute it. The masked half, Tq(Tq+1)/2 pairs,
  is offered by `Breakdown.total(causal_half=True)`; `causal_saving` records the difference.
* Sliding-window attention (Mistral, Gemma 2/3, Starcoder2; `sliding_window` W): query i
  reads keys i-W < j ≤ i. At T ≤ W that is plain causal attention, T×T counted. Past it the
  band is computed in blocks (`band_blocks`): queries in blocks of W read their own block and
  the previous one, ceil(T/W) calls of W×2W each (the last block padded), unless one dense
  T×T call (band mask) is smaller. `causal_half` keeps the exact band pairs,
  Σᵢ min(i+1, W) = W(W+1)/2 + (T-W)·W. The KV cache of such a layer is W tokens, not T
  (`Breakdown.kv_windows`, `Breakdown.kv_elements`).
* Grouped-query attention: scores are counted for every query head (tfcli's SDPA receives
  K/V already repeated); the K/V projections are counted at their narrow width.
* Tied weights count once in parameters and once per use in MACs.

Categories: one vocabulary for parameters and MACs. A module declares one of
MODULE_CATEGORIES (its `category` attribute, or the nearest ancestor's; norms and bare
convolutions are recognised by type); its parameters count there, and so do its MACs,
except that attention's MACs are split into projections and scores:

    embeddings   token/position tables; patch/conv stems that turn pixels into tokens
    attention    → attn_proj: Q, K, V and output projections (self- and cross-attention)
                 → attn_scores: QKᵀ + AV; relative-position einsums inside attention too
    feed_forward both (or all three, gated) FFN matmuls; in a mixture of experts, those of
                 the experts each token is routed to (top_k) and of the shared experts
    router       a mixture of experts' router: d_model → num_experts logits per token
    norms        every norm
    convolution  convolutions outside the patch stem (UNet/VAE resblocks, SAM's neck and mask convs)
    heads        LM head, pooler, classifier, projection heads
    other        the rest (a logit scale, CLIP's similarity matmul, LayerScale)
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

MODULE_CATEGORIES = ("embeddings", "attention", "feed_forward", "router", "norms", "convolution", "heads", "other")
CATEGORIES = ("embeddings", "attn_proj", "attn_scores", "feed_forward", "router", "norms", "convolution", "heads",
              "other")
LABELS = {
    "embeddings": "embeddings",
    "attention": "attention",
    "attn_proj": "attention projections",
    "attn_scores": "attention scores (QKᵀ+AV)",
    "feed_forward": "feed-forward",
    "router": "MoE router",
    "norms": "norms",
    "convolution": "convolution",
    "heads": "heads",
    "other": "other",
}


@dataclass
class Breakdown:
    """MACs per category at one input, plus the facts `complexity` needs about attention."""

    macs: dict[str, int]
    tokens: int = 0  # tokens in the main stack (query length of its self-attention)
    causal_saving: int = 0  # MACs the masked half of causal score matrices would not need
    attn_matrix: int = 0  # elements of the largest score matrix one call materialises: B·h·Tq·Tk
    attn_rows: int = 0  # B·h·Tq of that call: what a fused kernel keeps (row statistics)
    kv_per_token: int = 0  # K and V elements a decoder caches per generated token (all layers)
    kv_cross: int = 0  # K and V elements of the encoder output every cross-attention caches (whole batch)
    windowed_scores: int = 0  # the part of attn_scores computed inside windows (SAM): grows linearly
    notes: list[str] = field(default_factory=list)
    # window W → K and V elements per token of the layers whose cache stops at W tokens
    # (sliding-window layers); part of kv_per_token, which counts every layer uncapped
    kv_windows: dict[int, int] = field(default_factory=dict)

    def kv_elements(self, tokens: int) -> int:
        """K and V elements one sequence of `tokens` keeps cached: every layer holds its tokens,
        a sliding-window layer at most its window."""
        capped = sum(self.kv_windows.values())
        return (self.kv_per_token - capped) * tokens + sum(kv * min(tokens, w) for w, kv in self.kv_windows.items())

    def total(self, causal_half: bool = False) -> int:
        return sum(self.macs.values()) - (self.causal_saving if causal_half else 0)

    def by_category(self, causal_half: bool = False) -> dict[str, int]:
        out = {c: int(self.macs.get(c, 0)) for c in CATEGORIES}
        if causal_half:
            out["attn_scores"] -= self.causal_saving
        return out


class Tally:
    """Accumulates MACs by category; the helpers encode the convention above once."""

    def __init__(self, batch: int):
        self.batch = batch
        self.macs: Counter[str] = Counter()
        self.tokens = 0
        self.causal_saving = 0
        self.attn_matrix = self.attn_rows = 0
        self.kv = 0
        self.kv_cross = 0
        self.windowed = 0
        self.kv_windows: Counter[int] = Counter()

    def linear(self, category: str, tokens: int, n_in: int, n_out: int, times: int = 1) -> None:
        """`tokens` rows through an n_in → n_out matmul, per sequence in the batch."""
        self.macs[category] += times * self.batch * tokens * n_in * n_out

    def attention(self, heads: int, tq: int, tk: int, head_dim: int, causal: bool = False,
                  times: int = 1, batch: int | None = None, windowed: bool = False,
                  v_dim: int | None = None, sliding_window: int = 0) -> None:
        """QKᵀ and AV of `times` identical calls; `batch` defaults to the input batch
        (windowed attention: batch × windows, tq = tk = window tokens, windowed=True;
        causal self-attention over a band of `sliding_window` keys: see the convention);
        `v_dim`: the value head size when it differs from the query/key one (MLA)."""
        b = self.batch if batch is None else batch
        width = head_dim + (head_dim if v_dim is None else v_dim)  # QKᵀ reads head_dim, AV writes v_dim
        if sliding_window:
            blocks, bq, bk = band_blocks(tq, sliding_window)
            full = b * heads * blocks * bq * bk * width
            self.macs["attn_scores"] += times * full
            self.causal_saving += times * (full - b * heads * band_pairs(tq, sliding_window) * width)
            if b * heads * blocks * bq * bk > self.attn_matrix:
                self.attn_matrix, self.attn_rows = b * heads * blocks * bq * bk, b * heads * blocks * bq
            return
        full = b * heads * tq * tk * width
        self.macs["attn_scores"] += times * full
        if windowed:
            self.windowed += times * full
        if causal:  # the masked half keeps tq(tq+1)/2 of the tq² pairs
            half = b * heads * (tq * (tq + 1) // 2) * width
            self.causal_saving += times * (full - half)
        if b * heads * tq * tk > self.attn_matrix:
            self.attn_matrix, self.attn_rows = b * heads * tq * tk, b * heads * tq

    def norm(self, numel_per_seq: int, times: int = 1, affine: bool = True) -> None:
        self.macs["norms"] += times * self.batch * numel_per_seq * (5 if affine else 4)

    def kv_window(self, window: int, kv_per_token: int) -> None:
        """Of the cache already in `kv`, `kv_per_token` elements whose layers keep only `window` tokens."""
        self.kv_windows[window] += kv_per_token

    def kv_cache(self, layers: int, kv_dim: int) -> None:
        """A generating decoder's self-attention cache: K and V of kv_dim per layer and token."""
        self.kv += 2 * layers * kv_dim

    def result(self, notes: list[str] | None = None) -> Breakdown:
        return Breakdown(
            macs={c: int(self.macs.get(c, 0)) for c in CATEGORIES},
            tokens=self.tokens,
            causal_saving=self.causal_saving,
            attn_matrix=self.attn_matrix,
            attn_rows=self.attn_rows,
            kv_per_token=self.kv,
            kv_cross=self.kv_cross,
            windowed_scores=self.windowed,
            notes=notes or [],
            kv_windows=dict(self.kv_windows),
        )


def band_blocks(tokens: int, window: int) -> tuple[int, int, int]:
    """How causal sliding-window attention over `tokens` is computed: (calls, tq, tk) per head.

    Dense (1, T, T) while T ≤ W, or while one T×T call is no bigger than the blocks; else
    ceil(T/W) blocks of W queries reading their block and the one before (W×2W each)."""
    blocks = -(-tokens // window)
    if tokens <= window or tokens * tokens <= blocks * window * 2 * window:
        return 1, tokens, tokens
    return blocks, window, 2 * window


def band_pairs(tokens: int, window: int) -> int:
    """(query, key) pairs a causal band of `window` keys really needs: Σᵢ min(i+1, W)."""
    if tokens <= window:
        return tokens * (tokens + 1) // 2
    return window * (window + 1) // 2 + (tokens - window) * window
