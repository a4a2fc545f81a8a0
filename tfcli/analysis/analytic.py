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

Image families: patch stems are "embeddings"; UNet/VAE convolutions, SAM's neck and mask
upscaler are "other"; time-embedding matmuls (UNet) are "embeddings", as their modules are.
A k×k conv is `Tally.linear(cat, output pixels, k²·c_in, c_out)`; a stride-2 2×2 transposed
conv is `linear(cat, input pixels, c_in, 4·c_out)`.

The tests check every preset's closed form against both counters within 0.5%; they agree
exactly, category by category, for every family (tests/test_flops.py also checks --set
variants, other image sizes, batches and SAM prompts).
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


# -- vision and image families ------------------------------------------------------


def _grid(image_size: int, patch_size: int) -> int:
    from tfcli.blocks.vision import grid_size  # the model's own check: the same refusal

    return grid_size(image_size, patch_size)


def _vit_stack(t: Tally, *, g: int, patch: int, channels: int, prefix: int, d: int, heads: int,
               ffn: int, layers: int, gated: bool = False) -> int:
    """Patch conv + `layers` pre-norm blocks over g² patches and `prefix` tokens; returns N."""
    n = g * g + prefix
    t.linear("embeddings", g * g, patch * patch * channels, d)  # the strided patch conv
    block(t, tokens=n, d=d, heads=heads, head_dim=d // heads, ffn=ffn, layers=layers, gated=gated)
    return n


@analytic("vit")
def vit(c, s: InputShape) -> Breakdown:
    """N = g² + 1: patch conv g²·p²·C·d; per layer 4Nd² + 2N²d + 2Nd·f + 2 LayerNorms;
    the final LayerNorm; the classifier reads the [CLS] row only."""
    t = Tally(s.batch)
    n = _vit_stack(t, g=_grid(s.image_size, c.patch_size), patch=c.patch_size, channels=c.in_channels,
                   prefix=1, d=c.d_model, heads=c.num_heads, ffn=c.ffn_dim, layers=c.num_layers)
    t.tokens = n
    t.norm(n * c.d_model)
    if c.num_classes:
        t.linear("heads", 1, c.d_model, c.num_classes)
    return t.result()


@analytic("dinov2")
def dinov2(c, s: InputShape) -> Breakdown:
    """As ViT with N = g² + 1 + registers, SwiGLU (3 matrices of c.ffn_dim) in the giant,
    no head (LayerScale is an elementwise product: not counted)."""
    t = Tally(s.batch)
    n = _vit_stack(t, g=_grid(s.image_size, c.patch_size), patch=c.patch_size, channels=c.in_channels,
                   prefix=1 + c.num_registers, d=c.d_model, heads=c.num_heads, ffn=c.ffn_dim,
                   layers=c.num_layers, gated=c.swiglu)
    t.tokens = n
    t.norm(n * c.d_model)
    return t.result()


def _clip_text(t: Tally, c, tokens: int) -> None:
    """Causal pre-norm blocks over `tokens`, the final LayerNorm; the [EOT] read-out is a gather."""
    block(t, tokens=tokens, d=c.d_model, heads=c.num_heads, head_dim=c.d_model // c.num_heads,
          ffn=c.ffn_dim, layers=c.num_layers, causal=True)
    t.norm(tokens * c.d_model)


@analytic("clip-text")
def clip_text(c, s: InputShape) -> Breakdown:
    t = Tally(s.batch)
    t.tokens = s.seq_len
    _clip_text(t, c, s.seq_len)
    return t.result()


@analytic("clip")
def clip(c, s: InputShape) -> Breakdown:
    """Text tower (T tokens) + vision tower (N′ = g² + 1: bias-free patch conv, pre-LayerNorm,
    blocks, a LayerNorm on [CLS]) + both projections + the B×B image-text logit matmul."""
    t = Tally(s.batch)
    text, vision, p = c.text, c.vision, c.projection_dim
    _clip_text(t, text, s.seq_len)
    n = _vit_stack(t, g=_grid(s.image_size, vision.patch_size), patch=vision.patch_size, channels=3,
                   prefix=1, d=vision.d_model, heads=vision.num_heads, ffn=vision.ffn_dim,
                   layers=vision.num_layers)
    t.norm(n * vision.d_model)  # pre_norm over every token
    t.norm(vision.d_model)  # post_norm on [CLS]
    t.linear("heads", 1, text.d_model + vision.d_model, p)  # text_ and visual_projection
    t.macs["other"] += s.batch * s.batch * p  # (B, P) image · (P, B) text: every pair's logit
    t.tokens = max(s.seq_len, n)
    return t.result()


@analytic("sam")
def sam(c, s: InputShape) -> Breakdown:
    """Image encoder (B images) + prompt encoder and mask decoder (B prompts, one per image).

    Encoder, T = g²: patch conv T·3p²·d; a global layer 4Td² + 2T²d + rel-pos 2T·g·d; a
    windowed layer pads the grid to whole windows (T_w = nW·w² tokens) and costs 4T_w·d² +
    2T_w·w²·d + rel-pos 2T_w·w·d; each layer 2Td·mlp and 2 LayerNorms on T·d; neck T·d·C +
    9T·C² and 2 LayerNorms. Decoder, N_t = 1 IoU + masks + sparse tokens, cross(a, b) =
    2a·C·c_i + 2b·C·c_i + 2ab·c_i: depth × (4N_t·C² + 2N_t²·C + cross(N_t, T) + 2N_t·C·mlp +
    cross(T, N_t)) + cross(N_t, T); the upscaler's transposed convs, the hypernetworks, the
    IoU head and the (masks × C/8)·(C/8 × 16T) mask product."""
    from tfcli.models.sam.prompt_encoder import parse_prompt

    t = Tally(s.batch)
    d, C, hd = c.d_model, c.embed_dim, c.head_dim
    g = _grid(s.image_size, c.patch_size)
    T = g * g
    t.tokens = T
    t.linear("embeddings", T, 3 * c.patch_size**2, d)  # patch conv
    for i in range(c.num_layers):
        w = 0 if i in c.global_attn_indexes else c.window_size
        if w:
            windows = (-(-g // w)) ** 2  # the grid zero-padded to whole windows
            n_w = windows * w * w
            t.linear("attn_proj", n_w, d, 4 * d)  # QKV and output run on the padded tokens
            t.attention(c.num_heads, w * w, w * w, hd, batch=s.batch * windows, windowed=True)
            rel = 2 * s.batch * n_w * w * d  # q·R_h and q·R_w: w offsets per axis
            t.macs["attn_scores"] += rel
            t.windowed += rel
        else:
            t.linear("attn_proj", T, d, 4 * d)
            t.attention(c.num_heads, T, T, hd)
            t.macs["attn_scores"] += 2 * s.batch * T * g * d
        t.linear("feed_forward", T, d, 2 * c.mlp_dim)  # fc1 + fc2 (same MACs each)
        t.norm(T * d, times=2)
    t.linear("other", T, d, C)  # neck: 1×1 conv
    t.linear("other", T, 9 * C, C)  # 3×3 conv
    t.norm(T * C, times=2)

    # prompt encoder: Fourier features of each point (the image grid's are "embeddings")
    prompt = parse_prompt(s.prompt)
    points = prompt.points + (1 if prompt.points and not prompt.box else 0)  # + the padding point
    sparse = points + (2 if prompt.box else 0)  # a box is its two corners
    t.macs["embeddings"] += T * 2 * (C // 2)  # the image grid's positions: once, whatever the batch
    t.linear("other", sparse, 2, C // 2)
    if prompt.mask:  # 4g² mask pixels → 2×2/2 conv → LN → 2×2/2 conv → LN → 1×1 conv
        m = c.mask_in_chans
        t.linear("other", 4 * T, 4, m // 4)
        t.norm(4 * T * (m // 4))
        t.linear("other", T, 4 * (m // 4), m)
        t.norm(T * m)
        t.linear("other", T, m, C)

    # mask decoder: the two-way transformer
    masks = c.num_multimask_outputs + 1
    n_t = 1 + masks + sparse
    ci = C // c.attn_downsample_rate

    def cross(a: int, b: int) -> None:
        t.linear("attn_proj", a, C, 2 * ci)  # Q in, output back
        t.linear("attn_proj", b, C, 2 * ci)  # K, V
        t.attention(c.decoder_heads, a, b, ci // c.decoder_heads)

    for _ in range(c.decoder_depth):
        t.linear("attn_proj", n_t, C, 4 * C)
        t.attention(c.decoder_heads, n_t, n_t, C // c.decoder_heads)
        cross(n_t, T)
        t.linear("feed_forward", n_t, C, 2 * c.decoder_mlp_dim)
        cross(T, n_t)
        t.norm(n_t * C, times=3)
        t.norm(T * C)
    cross(n_t, T)
    t.norm(n_t * C)
    # upscaler: 2×2 stride-2 transposed convs, every input pixel feeds 4 outputs
    t.linear("other", T, C, 4 * (C // 4))
    t.norm(4 * T * (C // 4))
    t.linear("other", 4 * T, C // 4, 4 * (C // 8))
    hyper = [C, C, C, C // 8]
    iou = [C] + [c.iou_head_hidden] * (c.iou_head_depth - 1) + [masks]
    t.linear("heads", 1, sum(a * b for a, b in zip(hyper, hyper[1:])), 1, times=masks)
    t.linear("heads", 1, sum(a * b for a, b in zip(iou, iou[1:])), 1)
    t.linear("other", masks, C // 8, 16 * T)  # hypernetwork weights · upscaled pixels
    return t.result()


# -- Stable Diffusion: UNet, VAE and the pipeline -------------------------------------------


def _conv3(t: Tally, pixels: int, c_in: int, c_out: int) -> None:
    t.linear("other", pixels, 9 * c_in, c_out)


def _resnet(t: Tally, pixels: int, c_in: int, c_out: int, temb: int = 0) -> None:
    """GroupNorm, 3×3 conv, (time projection), GroupNorm, 3×3 conv, 1×1 shortcut if widths differ."""
    t.norm(pixels * c_in)
    _conv3(t, pixels, c_in, c_out)
    if temb:
        t.linear("embeddings", 1, temb, c_out)  # one bias per channel from the time embedding
    t.norm(pixels * c_out)
    _conv3(t, pixels, c_out, c_out)
    if c_in != c_out:
        t.linear("other", pixels, c_in, c_out)


def _spatial_transformer(t: Tally, n: int, ch: int, heads: int, depth: int, text: int, ctx: int) -> None:
    """GroupNorm, 1×1 proj_in, `depth` blocks (self-attention over the n pixels, cross-attention
    to the text, GEGLU 4C, 3 LayerNorms), 1×1 proj_out: 20nC² + 2n²C + 2nTC + 2TdC per block."""
    t.norm(n * ch)
    t.linear("other", n, ch, 2 * ch)  # proj_in and proj_out
    hd = ch // heads
    t.linear("attn_proj", n, ch, 4 * ch, depth)  # self: QKV + out
    t.attention(heads, n, n, hd, times=depth)
    t.linear("attn_proj", n, ch, 2 * ch, depth)  # cross: Q + out
    t.linear("attn_proj", text, ctx, 2 * ch, depth)  # cross: K, V from the text
    t.attention(heads, n, text, hd, times=depth)
    t.linear("feed_forward", n, ch, 12 * ch, depth)  # GEGLU: C → 2·4C, 4C → C
    t.norm(n * ch, times=3 * depth)


def _unet(t: Tally, c, side: int, text: int) -> None:
    """The UNet on side×side latents, cross-attending to `text` tokens (c.cross_attention_dim wide)."""
    ch, temb, n_levels = c.block_out_channels, c.time_embed_dim, len(c.block_out_channels)
    pixels = [(side >> i) ** 2 for i in range(n_levels)]

    def transformer(n: int, width: int) -> None:
        _spatial_transformer(t, n, width, c.num_heads, c.transformer_layers_per_block, text,
                             c.cross_attention_dim)

    t.linear("embeddings", 1, ch[0], temb)  # time MLP on the sinusoid of t
    t.linear("embeddings", 1, temb, temb)
    _conv3(t, pixels[0], c.in_channels, ch[0])
    for i, level in enumerate(c.down_plan()):
        for a, b in level:
            _resnet(t, pixels[i], a, b, temb)
            if c.down_block_types[i] == "cross":
                transformer(pixels[i], b)
        if i < c.downsamples:
            _conv3(t, pixels[i + 1], ch[i], ch[i])  # stride 2: one output per 4 input pixels
    _resnet(t, pixels[-1], ch[-1], ch[-1], temb)
    transformer(pixels[-1], ch[-1])
    _resnet(t, pixels[-1], ch[-1], ch[-1], temb)
    for i, level in enumerate(c.up_plan()):
        n = pixels[n_levels - 1 - i]
        for a, b in level:
            _resnet(t, n, a, b, temb)
            if c.up_block_types[i] == "cross":
                transformer(n, b)
        if i < c.downsamples:
            _conv3(t, 4 * n, level[0][1], level[0][1])  # nearest 2× then a 3×3 conv
    t.norm(pixels[0] * ch[0])
    _conv3(t, pixels[0], ch[0], c.out_channels)
    t.tokens = max(t.tokens, pixels[0])


def _latent_side(image_size: int, c, pixels_per_latent: int | None = None) -> int:
    from tfcli.models.diffusion.unet import latent_side  # the model's own checks and messages

    return latent_side(image_size, c, pixels_per_latent)


@analytic("sd-unet")
def sd_unet(c, s: InputShape) -> Breakdown:
    """Per level at n pixels: ResNet blocks (9n·c_in·c_out + 9n·c_out² [+ n·c_in·c_out] +
    t·c_out), spatial transformers, a stride-2 conv (n/4)·9C² down or 4n·9C² up; conv_in,
    conv_out and the time MLP. `--image-size` is in pixels: the latent side is 1/8 of it."""
    t = Tally(s.batch)
    _unet(t, c, _latent_side(s.image_size, c), s.seq_len)
    return t.result()


def _vae_mid(t: Tally, pixels: int, ch: int) -> None:
    """ResNet, single-head self-attention over every pixel (GroupNorm first), ResNet."""
    _resnet(t, pixels, ch, ch)
    t.norm(pixels * ch)
    t.linear("attn_proj", pixels, ch, 4 * ch)
    t.attention(1, pixels, pixels, ch)
    _resnet(t, pixels, ch, ch)
    t.tokens = max(t.tokens, pixels)


def _vae_decode(t: Tally, c, side: int) -> None:
    """post_quant_conv and the decoder from side×side latents (side · 2^downsamples pixels out)."""
    ch, L, z = c.block_out_channels[::-1], c.layers_per_block, c.latent_channels
    n = side * side
    t.linear("other", n, z, z)  # post_quant_conv (1×1)
    _conv3(t, n, z, ch[0])
    _vae_mid(t, n, ch[0])
    c_in = ch[0]
    for i, width in enumerate(ch):
        for j in range(L + 1):
            _resnet(t, n, c_in if j == 0 else width, width)
        c_in = width
        if i < len(ch) - 1:
            n *= 4
            _conv3(t, n, width, width)  # nearest 2× then a 3×3 conv
    t.norm(n * ch[-1])
    _conv3(t, n, ch[-1], c.out_channels)


@analytic("sd-vae")
def sd_vae(c, s: InputShape) -> Breakdown:
    """forward = encode (ResNet levels, stride-2 convs, mid block, conv to mean and log-variance,
    quant_conv) then decode (post_quant_conv, mid block, one ResNet more per level, 2× convs)."""
    from tfcli.models.diffusion.vae import check_image_side

    check_image_side(s.image_size, c)
    t = Tally(s.batch)
    ch, L, z = c.block_out_channels, c.layers_per_block, c.latent_channels
    side = s.image_size
    _conv3(t, side * side, c.in_channels, ch[0])
    c_in = ch[0]
    for i, width in enumerate(ch):
        for j in range(L):
            _resnet(t, side * side, c_in if j == 0 else width, width)
        c_in = width
        if i < len(ch) - 1:
            side //= 2  # pad right/bottom by one, then a stride-2 3×3 conv
            _conv3(t, side * side, width, width)
    n = side * side
    _vae_mid(t, n, ch[-1])
    t.norm(n * ch[-1])
    _conv3(t, n, ch[-1], 2 * z)
    t.linear("other", n, 2 * z, 2 * z)  # quant_conv (1×1)
    _vae_decode(t, c, side)
    return t.result()


@analytic("sd")
def sd(c, s: InputShape) -> Breakdown:
    """One text-to-image step: the text encoder, one UNet step, the VAE decoder (the encoder
    is not run); the DDIM update between them is elementwise."""
    t = Tally(s.batch)
    _clip_text(t, c.text, s.seq_len)
    side = _latent_side(s.image_size, c.unet, c.pixels_per_latent)
    _unet(t, c.unet, side, s.seq_len)
    _vae_decode(t, c.vae, side)
    t.tokens = max(t.tokens, s.seq_len)
    return t.result()
