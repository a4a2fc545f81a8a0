"""How the cost of attention grows with sequence length (or image side), as data.

Every point is a `Breakdown` (tfcli.analysis.analytic): the family's closed form when it
has one, else fvcore on the meta-built model plus the shapes of its attention calls.
The crossover is where the attention scores (QKᵀ+AV) cost as much as the linear layers
of the blocks (attention projections + feed-forward); heads and embeddings are left out
of that comparison, so for a standard block it is n = (4d² + 2·d·ffn)/(2d) = 6d when
ffn = 4d. It is found by bisection on the model's own counts, never assumed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from tfcli.analysis.analytic import Breakdown, bare_block, count_analytic, formula_for, resolved
from tfcli.spec import InputShape, ResolvedSpec

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
    has_kv_cache: bool
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "family": self.family,
            "mode": self.mode,
            "method": self.method,
            "batch": self.batch,
            "dtype": self.dtype,
            "causal_half": self.causal_half,
            "params": self.params,
            "params_note": "parameters do not change with sequence length",
            "crossover_tokens": self.crossover.tokens,
            "crossover_exact": self.crossover.exact,
            "crossover_image_size": self.crossover.image_size,
            "points": [
                {
                    ("image_size" if self.mode == "image" else "seq_len"): p.x,
                    "tokens": p.tokens,
                    "macs": {"attn_scores": p.scores, "attn_proj": p.proj, "feed_forward": p.ffn,
                             "other": p.other, "total": p.total},
                    "windowed_scores": p.windowed,
                    "scores_share": round(p.scores_share, 6),
                    "attention_share": round(p.attention_share, 6),
                    "attn_matrix_bytes": p.attn_matrix_bytes,
                    "fused_kernel_bytes": p.fused_bytes,
                    "kv_cache_bytes": p.kv_cache_bytes if self.has_kv_cache else None,
                }
                for p in self.points
            ],
            "notes": self.notes,
        }


Evaluate = Callable[[int], Breakdown]


def _point(x: int, b: Breakdown, batch: int, nbytes: int, causal_half: bool) -> Point:
    cats = b.by_category(causal_half)
    other = cats["embeddings"] + cats["norms"] + cats["heads"] + cats["other"]
    return Point(
        x=x, tokens=b.tokens, scores=cats["attn_scores"], proj=cats["attn_proj"], ffn=cats["feed_forward"],
        other=other, attn_matrix_bytes=b.attn_matrix * nbytes, fused_bytes=b.attn_rows * FUSED_ROW_BYTES,
        kv_cache_bytes=b.kv_per_token * b.tokens * batch * nbytes,
        windowed=b.windowed_scores,
    )


def crossover(evaluate: Evaluate, causal_half: bool, lo: int = 1, hi: int = 1 << 24) -> int | None:
    """Smallest x in [lo, hi] where scores ≥ projections + feed-forward (bisection)."""

    def past(x: int) -> bool:
        c = evaluate(x).by_category(causal_half)
        return c["attn_scores"] >= c["attn_proj"] + c["feed_forward"]

    if not past(hi):
        return None
    if past(lo):
        return lo
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if past(mid) else (mid, hi)
    return hi


def exact_root(evaluate: Evaluate, causal_half: bool) -> float | None:
    """Scores = a·n² + b·n and linear = c·n for text stacks: the real root (b − c)/−a."""
    pts = {}
    for n in (1, 2, 3, 4):
        c = evaluate(n).by_category(causal_half)
        pts[n] = (c["attn_scores"], c["attn_proj"] + c["feed_forward"])
    s1, s2, s3 = pts[1][0], pts[2][0], pts[3][0]
    a = (s3 - 2 * s2 + s1) / 2
    b = s2 - s1 - 3 * a
    c = pts[2][1] - pts[1][1]
    quadratic = all(abs(pts[n][0] - (a * n * n + b * n)) < 1e-6 * max(1, pts[n][0]) for n in pts)
    linear = all(pts[n][1] == c * n for n in pts)
    if not (quadratic and linear) or a <= 0:
        return None
    return (c - b) / a


def _sweep(start: int, stop: int) -> list[int]:
    xs, x = [], start
    while x <= stop:
        xs.append(x)
        x *= 2
    return xs


def _next_pow2(n: int) -> int:
    return 1 << max(0, (n - 1).bit_length())


def _measured(config, notes: list[str]) -> Callable[[InputShape], Breakdown]:
    """fvcore on the meta-built model, plus its attention calls, for families without a formula.
    A model built for one image size (SAM's position grid) is rebuilt at each size asked."""
    from tfcli.analysis.flops import attention_calls, causal_saving, count_fvcore
    from tfcli.build import build_model
    from tfcli.errors import InputShapeError

    models = {None: build_model(config, device="meta")}

    def model_for(shape: InputShape):
        try:
            model = models[None]
            return model, model.example_inputs(shape, "meta")
        except InputShapeError:
            if not hasattr(config, "image_size") or shape.image_size is None:
                raise
        if shape.image_size not in models:
            models[shape.image_size] = build_model(config.replace(image_size=shape.image_size), device="meta")
            note = (f"{config.family} is built for one image size: each point rebuilds it with "
                    "image_size set to that side (the position grid grows, so do its parameters)")
            if note not in notes:
                notes.append(note)
        model = models[shape.image_size]
        return model, model.example_inputs(shape, "meta")

    def evaluate(shape: InputShape) -> Breakdown:
        model, inputs = model_for(shape)
        count = count_fvcore(model, inputs)
        calls = attention_calls(model, inputs)
        biggest = max(calls, key=lambda c: c.batch * c.heads * c.tq * c.tk, default=None)
        kv = 0
        for m in model.modules():
            if getattr(m, "causal", False) and not getattr(m, "cross", False):
                kv += 2 * m.num_kv_heads * m.head_dim
        return Breakdown(
            macs=dict(count.by_category),
            # the main stack's tokens: its global (unwindowed) calls' query length
            tokens=max((c.tq for c in calls if not c.window), default=0) or max((c.tq for c in calls), default=0),
            causal_saving=causal_saving(calls),
            attn_matrix=biggest.batch * biggest.heads * biggest.tq * biggest.tk if biggest else 0,
            attn_rows=biggest.batch * biggest.heads * biggest.tq if biggest else 0,
            kv_per_token=kv,
            windowed_scores=sum(c.score_macs for c in calls if c.window),
        )

    return evaluate


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
    if spec is None:
        dims = dict(bare or {})
        name, family, method, mode = _bare_name(dims), "bare", "analytic", "tokens"
        d, f, layers = dims["d_model"], dims["ffn"], dims.get("layers", 1)
        kv = (dims.get("kv_heads") or dims["heads"]) * (d // dims["heads"])
        params = layers * (d * (d + 2 * kv) + d * d + d * f * (2 if dims.get("gated") else 1) + f * d)
        notes.append("bare dimensions: weight matrices only (no biases, norms or embeddings)")
        context = None
        has_kv = bool(dims.get("causal"))

        def raw(x: int) -> Breakdown:
            return bare_block(InputShape(batch=batch, seq_len=x), **dims)
    else:
        config = spec.config
        name, family = spec.name, config.family
        default = config.default_input()
        mode = "image" if default.image_size else "tokens"
        params = config.num_params()
        from tfcli.build import build_model

        model = build_model(config, device="meta")
        context = model.context_length()
        has_kv = any(getattr(m, "causal", False) and not getattr(m, "cross", False) for m in model.modules())
        measured = None
        if formula_for(family) is not None:
            method = "analytic"
        else:
            method = "fvcore"
            measured = _measured(config, notes)
            notes.append(f"no closed-form formula for '{family}': each point counted by fvcore on the meta device")

        def raw(x: int) -> Breakdown:
            shape = (InputShape(batch=batch, image_size=x) if mode == "image"
                     else InputShape(batch=batch, seq_len=x, tgt_len=x))
            if measured is not None:
                return measured(resolved(config, shape))
            return count_analytic(config, shape)

    def evaluate(x: int) -> Breakdown:
        if x not in cache:
            cache[x] = raw(x)
        return cache[x]

    from tfcli.errors import TfcliError

    step = 1 if mode == "tokens" else image_step(spec.config)
    search = evaluate if step == 1 else (lambda k: evaluate(k * step))  # image sides: whole patches
    hi = (1 << 24) if mode == "tokens" else max(1, (1 << 15) // step)
    if xs is None:
        first = 128 if mode == "tokens" else (spec.config.default_input().image_size)
        cross_guess = None
        if method == "analytic":  # cheap: find the crossover first so the sweep reaches past it
            try:
                cross_guess = crossover(search, causal_half, lo=1, hi=min(hi, 1 << 20))
            except TfcliError:
                cross_guess = None
        cross_guess = cross_guess * step if cross_guess else None
        stop = max_x or max(8192 if mode == "tokens" else 8 * first, _next_pow2(2 * (cross_guess or 0)))
        stop = min(stop, 1 << 20)
        xs = _sweep(first, stop) or [stop]
    points = [_point(x, evaluate(x), batch, nbytes, causal_half) for x in xs]

    lo = 1
    try:
        if method != "analytic":  # each evaluation is a trace: search a doubling bracket first
            lo, hi = _bracket(search, causal_half, max(1, xs[0] // step), hi)
        cross = crossover(search, causal_half, lo=lo, hi=hi) if hi else None
    except TfcliError as e:  # a size the model cannot take: say so, keep the table
        cross = None
        notes.append(f"crossover not found: {e}")
    if mode == "image":
        side = cross * step if cross else None
        result = Crossover(tokens=evaluate(side).tokens if side else None, image_size=side)
    else:
        result = Crossover(tokens=cross, exact=exact_root(evaluate, causal_half) if method == "analytic" else None)

    if context is not None and mode == "tokens" and max(xs) > context:
        notes.append(f"lengths past the position table ({context}) are counted with the table extended "
                     "(positions wrap): the trained model never saw them")
    if mode == "image":
        notes.append("tokens grow with the square of the image side, attention scores with its fourth power")
    return ComplexityReport(
        name=name, family=family, mode=mode, method=method, batch=batch, dtype=dtype,
        causal_half=causal_half, params=params, points=points, crossover=result,
        has_kv_cache=has_kv, notes=notes,
    )


def image_step(config) -> int:
    """The granularity image sides come in: the patch size (searched in nested configs too)."""
    import dataclasses

    if isinstance(getattr(config, "patch_size", None), int):
        return config.patch_size
    for f in dataclasses.fields(config):
        value = getattr(config, f.name)
        if dataclasses.is_dataclass(value) and isinstance(getattr(value, "patch_size", None), int):
            return value.patch_size
    # latent diffusion: pixels per latent, times 2 per UNet halving (the latents must halve evenly)
    unet = getattr(config, "unet", config)
    if hasattr(unet, "downsamples") and hasattr(unet, "pixels_per_latent"):
        per_latent = getattr(config, "pixels_per_latent", unet.pixels_per_latent)
        return per_latent * 2**unet.downsamples
    if hasattr(config, "downsamples"):  # the VAE: the image side halves `downsamples` times
        return 2**config.downsamples
    return 8


def _bracket(evaluate: Evaluate, causal_half: bool, start: int, limit: int) -> tuple[int, int | None]:
    lo, x = 1, max(1, start)
    while x <= limit:
        c = evaluate(x).by_category(causal_half)
        if c["attn_scores"] >= c["attn_proj"] + c["feed_forward"]:
            return lo, x
        lo, x = x, x * 2
    return lo, None


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
