"""Closed-form MAC counts per family: the third opinion beside fvcore and torch's counter.

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
* Grouped-query attention: scores are counted for every query head (tfcli's SDPA receives
  K/V already repeated); the K/V projections are counted at their narrow width.
* Tied weights count once in parameters and once per use in MACs.

Adding a family: write one function `(config, shape) -> Breakdown` and decorate it with
`@analytic("family-name")`. `shape` arrives resolved (seq_len/tgt_len/image_size filled
from the family's defaults, batch ≥ 1). Use a `Tally`, and put every MAC in one category:

    embeddings   patch/conv stems that turn pixels into tokens (0 for token lookups)
    attn_proj    Q, K, V and output projections (self- and cross-attention)
    attn_scores  QKᵀ + AV, via `Tally.attention` (it also records the memory facts below);
                 relative-position einsums inside attention belong here too
    feed_forward both (or all three, gated) FFN matmuls
    norms        every norm call, via `Tally.norm`
    heads        LM head, pooler, classifier, projection heads
    other        convolutions outside the patch stem (UNet/VAE resblocks, SAM's neck), upsampling

Set `Tally.tokens` to the token count of the main stack (for vision: patches + class and
register tokens) and call `Tally.kv_cache(layers, kv_dim)` for decoder self-attention.
Windowed attention (SAM) is `Tally.attention` with Tq = Tk = window tokens and
batch = B × windows, so it grows linearly with the image area.

The tests check every preset's closed form against both counters within 0.5% (they agree
exactly for the text families).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Callable

from tfcli.spec import ArchConfig, InputShape

CATEGORIES = ("embeddings", "attn_proj", "attn_scores", "feed_forward", "norms", "heads", "other")
LABELS = {
    "embeddings": "embeddings",
    "attn_proj": "attention projections",
    "attn_scores": "attention scores (QKᵀ+AV)",
    "feed_forward": "feed-forward",
    "norms": "norms",
    "heads": "heads",
    "other": "conv / other",
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
    windowed_scores: int = 0  # the part of attn_scores computed inside windows (SAM): grows linearly
    notes: list[str] = field(default_factory=list)

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
        self.windowed = 0

    def linear(self, category: str, tokens: int, n_in: int, n_out: int, times: int = 1) -> None:
        """`tokens` rows through an n_in → n_out matmul, per sequence in the batch."""
        self.macs[category] += times * self.batch * tokens * n_in * n_out

    def attention(self, heads: int, tq: int, tk: int, head_dim: int, causal: bool = False,
                  times: int = 1, batch: int | None = None, windowed: bool = False) -> None:
        """QKᵀ and AV of `times` identical calls; `batch` defaults to the input batch
        (windowed attention: batch × windows, tq = tk = window tokens, windowed=True)."""
        b = self.batch if batch is None else batch
        full = b * heads * tq * tk * head_dim * 2
        self.macs["attn_scores"] += times * full
        if windowed:
            self.windowed += times * full
        if causal:  # the masked half keeps tq(tq+1)/2 of the tq² pairs
            half = b * heads * (tq * (tq + 1) // 2) * head_dim * 2
            self.causal_saving += times * (full - half)
        if b * heads * tq * tk > self.attn_matrix:
            self.attn_matrix, self.attn_rows = b * heads * tq * tk, b * heads * tq

    def norm(self, numel_per_seq: int, times: int = 1, affine: bool = True) -> None:
        self.macs["norms"] += times * self.batch * numel_per_seq * (5 if affine else 4)

    def kv_cache(self, layers: int, kv_dim: int) -> None:
        self.kv += 2 * layers * kv_dim

    def result(self, notes: list[str] | None = None) -> Breakdown:
        return Breakdown(
            macs={c: int(self.macs.get(c, 0)) for c in CATEGORIES},
            tokens=self.tokens,
            causal_saving=self.causal_saving,
            attn_matrix=self.attn_matrix,
            attn_rows=self.attn_rows,
            kv_per_token=self.kv,
            windowed_scores=self.windowed,
            notes=notes or [],
        )


Formula = Callable[[ArchConfig, InputShape], Breakdown]
ANALYTIC: dict[str, Formula] = {}


def analytic(family: str) -> Callable[[Formula], Formula]:
    def register(fn: Formula) -> Formula:
        ANALYTIC[family] = fn
        return fn

    return register


def formula_for(family: str) -> Formula | None:
    return ANALYTIC.get(family)


def resolved(config: ArchConfig, shape: InputShape) -> InputShape:
    """Every unset field of `shape` from the family's default input (tgt_len from seq_len)."""
    import dataclasses

    d = config.default_input()
    filled = {f.name: getattr(shape, f.name) if getattr(shape, f.name) is not None else getattr(d, f.name)
              for f in dataclasses.fields(InputShape)}
    filled["batch"] = shape.batch or 1
    if filled.get("tgt_len") is None:
        filled["tgt_len"] = filled.get("seq_len")
    return InputShape(**filled)


def count_analytic(config: ArchConfig, shape: InputShape) -> Breakdown | None:
    fn = formula_for(config.family)
    return None if fn is None else fn(config, resolved(config, shape))


# -- the pieces text families share -------------------------------------------


def block(t: Tally, *, tokens: int, d: int, heads: int, head_dim: int, ffn: int, layers: int,
          kv_heads: int | None = None, gated: bool = False, causal: bool = False,
          cross_tokens: int | None = None, norms: int = 2) -> None:
    """`layers` identical blocks: self-attention, optional cross-attention, feed-forward."""
    inner, kv_inner = heads * head_dim, (kv_heads or heads) * head_dim
    t.linear("attn_proj", tokens, d, inner + 2 * kv_inner, layers)  # fused QKV
    t.linear("attn_proj", tokens, inner, d, layers)  # output
    t.attention(heads, tokens, tokens, head_dim, causal=causal, times=layers)
    if cross_tokens is not None:
        t.linear("attn_proj", tokens, d, inner, layers)  # Q from the decoder
        t.linear("attn_proj", cross_tokens, d, 2 * inner, layers)  # K, V from the encoder
        t.linear("attn_proj", tokens, inner, d, layers)
        t.attention(heads, tokens, cross_tokens, head_dim, times=layers)
    t.linear("feed_forward", tokens, d, ffn * (2 if gated else 1), layers)
    t.linear("feed_forward", tokens, ffn, d, layers)
    t.norm(tokens * d, times=layers * norms)


def _seq2seq(c, s: InputShape, *, head_dim: int, gated: bool = False, embed_norms: bool = False,
             final_norms: bool = False) -> Breakdown:
    t = Tally(s.batch)
    src, tgt, d = s.seq_len, s.tgt_len, c.d_model
    t.tokens = src
    common = dict(d=d, heads=c.num_heads, head_dim=head_dim, ffn=c.ffn_dim, gated=gated)
    block(t, tokens=src, layers=c.num_layers, **common)
    block(t, tokens=tgt, layers=c.num_decoder_layers, causal=True, cross_tokens=src, norms=3, **common)
    if embed_norms:
        t.norm(src * d)
        t.norm(tgt * d)
    if final_norms:
        t.norm(src * d)
        t.norm(tgt * d)
    t.linear("heads", tgt, d, c.vocab_size)  # tied to the embedding: counted at its use
    t.kv_cache(c.num_decoder_layers, c.num_heads * head_dim)
    return t.result()


@analytic("transformer")
def transformer(c, s: InputShape) -> Breakdown:
    return _seq2seq(c, s, head_dim=c.d_model // c.num_heads)


@analytic("bart")
def bart(c, s: InputShape) -> Breakdown:
    return _seq2seq(c, s, head_dim=c.d_model // c.num_heads, embed_norms=True)


@analytic("t5")
def t5(c, s: InputShape) -> Breakdown:
    return _seq2seq(c, s, head_dim=c.head_dim, gated=c.gated, final_norms=True)


@analytic("bert")
def bert(c, s: InputShape) -> Breakdown:
    t = Tally(s.batch)
    n, d = s.seq_len, c.d_model
    t.tokens = n
    t.norm(n * d)  # embedding LayerNorm
    block(t, tokens=n, d=d, heads=c.num_heads, head_dim=d // c.num_heads, ffn=c.ffn_dim, layers=c.num_layers)
    if c.pooler:
        t.linear("heads", 1, d, d)  # [CLS] only
    return t.result()


@analytic("gpt")
def gpt(c, s: InputShape) -> Breakdown:
    t = Tally(s.batch)
    n, d = s.seq_len, c.d_model
    t.tokens = n
    block(t, tokens=n, d=d, heads=c.num_heads, head_dim=d // c.num_heads, ffn=c.ffn_dim,
          layers=c.num_layers, causal=True)
    t.norm(n * d)  # final LayerNorm
    t.linear("heads", n, d, c.vocab_size)
    t.kv_cache(c.num_layers, d)
    return t.result()


@analytic("llama")
def llama(c, s: InputShape) -> Breakdown:
    t = Tally(s.batch)
    n, d = s.seq_len, c.d_model
    hd = d // c.num_heads
    t.tokens = n
    block(t, tokens=n, d=d, heads=c.num_heads, head_dim=hd, ffn=c.ffn_dim, layers=c.num_layers,
          kv_heads=c.num_kv_heads, gated=True, causal=True)
    t.norm(n * d)
    t.linear("heads", n, d, c.vocab_size)
    t.kv_cache(c.num_layers, c.num_kv_heads * hd)
    return t.result()


def bare_block(shape: InputShape, *, d_model: int, heads: int, ffn: int, layers: int = 1,
               kv_heads: int | None = None, gated: bool = False, causal: bool = False) -> Breakdown:
    """`layers` standard blocks of bare dimensions (for `tfcli complexity --d-model ...`)."""
    t = Tally(shape.batch)
    t.tokens = shape.seq_len
    block(t, tokens=shape.seq_len, d=d_model, heads=heads, head_dim=d_model // heads, ffn=ffn,
          layers=layers, kv_heads=kv_heads, gated=gated, causal=causal)
    if causal:
        t.kv_cache(layers, (kv_heads or heads) * (d_model // heads))
    return t.result()
