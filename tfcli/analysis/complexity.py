"""How the cost of attention grows with sequence length (or image side), as data.

Every point is a `Breakdown` (tfcli.analysis.analytic): the family's closed form, the sum
of its layout's parts at that length or image side.
The crossover is where the attention scores (QKᵀ+AV) cost as much as the linear layers
of the blocks (attention projections + feed-forward); heads and embeddings are left out
of that comparison, so for a standard block it is n = (4d² + 2·d·ffn)/(2d) = 6d when
ffn = 4d. It is found by bisection on the model's own counts, never assumed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from tfcli.analysis.analytic import Breakdown, bare_block, count_analytic
from tfcli.analysis.crossover import Evaluate, bracket, crossover, exact_root
from tfcli.spec import InputShape, ResolvedSpec, block_spec

DTYPE_BYTES = {"fp32": 4, "bf16": 2, "fp16": 2, "fp8": 1}
FUSED_ROW_BYTES = 4  # a fused kernel keeps one fp32 log-sum-exp per query row, never the matrix


@dataclass
class Point:
    x: int  # the swept value: tokens, or image side in pixels
    tokens: int
    scores: int  # MACs of QKᵀ + AV
    proj: int
    ffn: int
    other: int  # embeddings, norms, heads, convolutions
    attn_matrix_bytes: int  # one layer's score matrix materialised (B·heads·Tq·Tk·bytes)
    fused_bytes: int  # what a fused kernel keeps instead: O(n)
    kv_cache_bytes: int
    windowed: int = 0  # part of `scores` inside windows (SAM): linear in the token count

    @property
    def total(self) -> int:
        return self.scores + self.proj + self.ffn + self.other

    @property
    def scores_share(self) -> float:
        return self.scores / self.total if self.total else 0.0

    @property
    def attention_share(self) -> float:
        return (self.scores + self.proj) / self.total if self.total else 0.0


@dataclass
class Crossover:
    tokens: int | None  # first token count where scores ≥ projections + feed-forward
    image_size: int | None = None  # the same in image side, for vision models
    exact: float | None = None  # the real root when the counts are a clean quadratic


@dataclass
class ComplexityReport:
    name: str
    family: str
    mode: str  # "tokens" or "image"
    method: str  # "analytic" or "fvcore"
    batch: int
    dtype: str
    causal_half: bool
    params: int
    points: list[Point]
    crossover: Crossover
    has_kv_cache: bool  # a decoder that generates keeps K and V; an encoder, even a causal one, does not
    has_causal: bool  # whether --causal-half can change anything
    notes: list[str] = field(default_factory=list)

    def causal_convention(self) -> str:
        from tfcli.analysis.flops import causal_convention

        return causal_convention(self.name, self.causal_half, self.has_causal)

    @property
    def swept(self) -> str:
        """The swept input, named as the option that sets it."""
        return {"image": "image_size", "audio": "audio_seconds"}.get(self.mode, "seq_len")

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "family": self.family,
            "mode": self.mode,
            "method": self.method,
            "batch": self.batch,
            "dtype": self.dtype,
            "causal_half": self.causal_half,
            "has_causal_attention": self.has_causal,
            "params": self.params,
            "params_note": "parameters do not change with sequence length",
            "crossover_tokens": self.crossover.tokens,
            "crossover_tokens_exact": self.crossover.exact,
            "crossover_image_size": self.crossover.image_size,
            "points": [
                {
                    self.swept: p.x,
                    "tokens": p.tokens,
                    "macs": p.total,
                    "attn_scores_macs": p.scores,
                    "attn_proj_macs": p.proj,
                    "feed_forward_macs": p.ffn,
                    "other_macs": p.other,
                    "windowed_attn_scores_macs": p.windowed,
                    "attn_scores_share": round(p.scores_share, 6),
                    "attention_share": round(p.attention_share, 6),
                    "attn_matrix_bytes": p.attn_matrix_bytes,
                    "fused_kernel_bytes": p.fused_bytes,
                    "kv_cache_bytes": p.kv_cache_bytes if self.has_kv_cache else None,
                }
                for p in self.points
            ],
            "notes": self.notes,
        }

    def csv_rows(self) -> list[dict]:
        """One record per swept length: the model and its settings, then the point."""
        d = self.to_dict()
        head = {k: d[k] for k in ("name", "family", "mode", "method", "batch", "dtype", "causal_half", "params")}
        return [{**head, **p} for p in d["points"]]


def _point(x: int, b: Breakdown, batch: int, nbytes: int, causal_half: bool) -> Point:
    cats = b.by_category(causal_half)
    ffn = cats["feed_forward"] + cats["router"]  # a mixture of experts' router is part of its FFN
    other = sum(cats.values()) - cats["attn_scores"] - cats["attn_proj"] - ffn
    return Point(
        x=x, tokens=b.tokens, scores=cats["attn_scores"], proj=cats["attn_proj"], ffn=ffn,
        other=other, attn_matrix_bytes=b.attn_matrix * nbytes, fused_bytes=b.attn_rows * FUSED_ROW_BYTES,
        # the decoder's own K/V per token, plus the encoder output's K/V every cross-attention keeps
        kv_cache_bytes=(b.kv_elements(b.tokens) * batch + b.kv_cross) * nbytes,  # windows cap their layers
        windowed=b.windowed_scores,
    )


def _sweep(start: int, stop: int) -> list[int]:
    xs, x = [], start
    while x <= stop:
        xs.append(x)
        x *= 2
    return xs


def _next_pow2(n: int) -> int:
    return 1 << max(0, (n - 1).bit_length())


@dataclass
class _Subject:
    """What is swept, a model or a bare block: its facts and its count at one x."""

    name: str
    family: str
    method: str
    mode: str
    params: int
    has_kv: bool
    has_causal: bool
    raw: Evaluate
    shape: Callable[[int], InputShape] | None = None  # x → the input it stands for (a model's)


def _bare_subject(dims: dict, batch: int, notes: list[str]) -> _Subject:
    block = block_spec(dims["d_model"], dims["heads"], dims["ffn"], num_kv_heads=dims.get("kv_heads"),
                       gated=bool(dims.get("gated")), qkv_bias=False, ffn_bias=False)
    params = dims.get("layers", 1) * (block.attention.num_params() + block.ffn.num_params())
    # bare_block counts two norms per block, as every family's closed form does
    notes.append("bare dimensions: parameters are the weight matrices only (no biases, norms or embeddings); "
                 "MACs also count two norms per block (numel × 5 each, as fvcore)")
    causal = bool(dims.get("causal"))
    return _Subject(_bare_name(dims), "bare", "analytic", "tokens", params, causal, causal,
                    lambda x: bare_block(InputShape(batch=batch, seq_len=x), **dims))


def _model_subject(spec: ResolvedSpec, batch: int, notes: list[str]) -> _Subject:
    """A model's facts from its declared layout (nothing is built): every family's closed form
    is its layout, and the input at each x is resolved by the family (encoder-decoders: as
    many target tokens as source tokens)."""
    config = spec.config
    layout = config.layout()
    default = config.default_input()
    mode = "image" if default.image_size else "audio" if default.audio_seconds else "tokens"

    def shape(x: int) -> InputShape:
        if mode == "audio":  # seconds of audio: the encoder's tokens grow with them (Whisper: 50 a second)
            return InputShape(batch=batch, audio_seconds=x)
        return InputShape(batch=batch, image_size=x) if mode == "image" else InputShape(batch=batch, seq_len=x)

    return _Subject(spec.name, config.family, "analytic", mode, config.num_params(), layout.generates(),
                    layout.has_causal_attention(), lambda x: count_analytic(config, shape(x)), shape)


def complexity_report(
    spec: ResolvedSpec | None,
    xs: list[int] | None,
    max_x: int | None,
    *,
    batch: int = 1,
    dtype: str = "bf16",
    causal_half: bool = False,
    bare: dict | None = None,
) -> ComplexityReport:
    """Sweep tokens (or image sides) for a model, or for `bare` dims: d_model, heads, ffn, …"""
    nbytes = DTYPE_BYTES[dtype]
    notes: list[str] = []
    cache: dict[int, Breakdown] = {}
    subject = _bare_subject(dict(bare or {}), batch, notes) if spec is None else _model_subject(spec, batch, notes)
    method, mode = subject.method, subject.mode

    def evaluate(x: int) -> Breakdown:
        if x not in cache:
            cache[x] = subject.raw(x)
        return cache[x]

    from tfcli.errors import TfcliError

    step = spec.config.image_step() if mode == "image" else 1
    search = evaluate if step == 1 else (lambda k: evaluate(k * step))  # image sides: whole patches
    hi = {"tokens": 1 << 24, "audio": 3600}.get(mode) or max(1, (1 << 15) // step)
    if xs is None:
        first = {"tokens": 128, "audio": 1}.get(mode) or spec.config.default_input().image_size
        cross_guess = None
        if method == "analytic":  # cheap: find the crossover first so the sweep reaches past it
            try:
                cross_guess = crossover(search, causal_half, lo=1, hi=min(hi, 1 << 20))
            except TfcliError:
                cross_guess = None
        cross_guess = cross_guess * step if cross_guess else None
        floor = {"tokens": 8192, "audio": 32}.get(mode) or 8 * first
        stop = max_x or max(floor, _next_pow2(2 * (cross_guess or 0)))
        stop = min(stop, 1 << 20)
        xs = _sweep(first, stop) or [stop]
    points = [_point(x, evaluate(x), batch, nbytes, causal_half) for x in xs]

    lo = 1
    try:
        if method != "analytic":  # each evaluation is a trace: search a doubling bracket first
            lo, hi = bracket(search, causal_half, max(1, xs[0] // step), hi)
        cross = crossover(search, causal_half, lo=lo, hi=hi) if hi else None
    except TfcliError as e:  # a size the model cannot take: say so, keep the table
        cross = None
        notes.append(f"crossover not found: {e}")
    if mode == "image":
        side = cross * step if cross else None
        result = Crossover(tokens=evaluate(side).tokens if side else None, image_size=side)
    elif mode == "audio":
        result = Crossover(tokens=evaluate(cross).tokens if cross else None)
        if cross:
            notes.append(f"crossover at {cross} s of audio ({result.tokens} encoder tokens)")
    else:
        result = Crossover(tokens=cross, exact=exact_root(evaluate, causal_half) if method == "analytic" else None)

    if subject.shape is not None:  # what the family says about the longest input (its position table)
        notes.extend(spec.config.resolve_input(subject.shape(max(xs))).notes)
    if mode == "image":
        last = points[-1] if points else None
        if last is not None and last.windowed and last.windowed == last.scores:  # every score inside windows (Swin)
            notes.append("tokens grow with the square of the image side, and so do the attention scores: "
                         "every layer attends within fixed windows")
        else:
            notes.append("tokens grow with the square of the image side, attention scores with its fourth power")
    return ComplexityReport(
        name=subject.name, family=subject.family, mode=mode, method=method, batch=batch, dtype=dtype,
        causal_half=causal_half, params=subject.params, points=points, crossover=result,
        has_kv_cache=subject.has_kv, has_causal=subject.has_causal, notes=notes,
    )


def _bare_name(dims: dict) -> str:
    parts = [f"d_model={dims['d_model']}", f"heads={dims['heads']}", f"ffn={dims['ffn']}"]
    for key in ("layers", "kv_heads"):
        if dims.get(key) not in (None, 1) or (key == "layers" and dims.get(key, 1) != 1):
            parts.append(f"{key}={dims[key]}")
    if dims.get("gated"):
        parts.append("gated")
    if dims.get("causal"):
        parts.append("causal")
    return "bare block (" + ", ".join(parts) + ")"
