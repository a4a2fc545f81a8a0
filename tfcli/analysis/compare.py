"""`tfcli compare` as data: one column per model, one row per architectural fact.

Each model is built on the meta device; the facts come from its module tree
(tfcli.analysis.structure), its classification, its parameter report and one FLOP count
at a common input. Only the pre-training objective is curated (each family record's facts).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tfcli.spec import InputShape, ResolvedSpec

KV_BYTES = 2  # the KV-cache row is in bf16


@dataclass
class Row:
    key: str
    label: str
    values: list[str]  # shown
    raw: list[Any]  # compared and written to JSON

    @property
    def differ(self) -> bool:
        return any(v != self.values[0] for v in self.values[1:])  # as the reader sees them


@dataclass
class Comparison:
    names: list[str]
    shape: InputShape  # the one input every model is counted at (None fields: each family's default)
    rows: list[Row]
    notes: list[str] = field(default_factory=list)

    @property
    def seq_len(self) -> int | None:
        return self.shape.seq_len

    def to_dict(self) -> dict:
        return {
            "models": self.names,
            "batch": self.shape.batch,
            "seq_len": self.shape.seq_len,
            "tgt_len": self.shape.tgt_len,
            "image_size": self.shape.image_size,
            "rows": [
                {"key": r.key, "label": r.label, "values": r.raw, "shown": r.values, "differ": r.differ}
                for r in self.rows
            ],
            "notes": self.notes,
        }


# inputs whose name says more than their dtype and rank (SAM's prompts, SD's conditioning)
_NAMED_INPUTS = {
    "timestep": "timestep", "input_points": "points", "input_labels": "point labels",
    "input_boxes": "boxes", "input_masks": "mask prompt", "encoder_hidden_states": "text states",
}


def _input_kind(name: str, shape: list[int], is_int: bool, patches: bool) -> str:
    dims = "×".join(map(str, shape[1:]))
    if name in _NAMED_INPUTS:
        return f"{_NAMED_INPUTS[name]} {dims}".strip()
    if is_int:
        return f"tokens {dims}"
    if len(shape) == 4:
        if shape[1] == 3:
            return f"image {dims}" + (" → patches" if patches else "")
        return f"latents {dims}"
    if len(shape) <= 1:
        return name  # a timestep, a scalar
    return f"{name} {dims}"


def _count(kinds: dict[str, int], windowed: int) -> str:
    # windowed layers are bidirectional self-attention restricted to windows: say how many of them
    parts = [
        f"{k} ×{n}" + (f" ({windowed} windowed)" if windowed and k == "bidirectional" else "")
        for k, n in kinds.items()
    ]
    if windowed and "bidirectional" not in kinds:
        parts.append(f"windowed ×{windowed}")
    return ", ".join(parts) or "none"


def profile(spec: ResolvedSpec, shape: InputShape) -> dict[str, Any]:
    """Every fact about one model, raw (numbers stay numbers). The MACs are the family's
    closed form (tfcli flops' convention; equal to fvcore and torch's counter on every preset)."""
    from tfcli.analysis.classify import classify
    from tfcli.analysis.inputs import resolve_input
    from tfcli.analysis.params import count_params
    from tfcli.analysis.structure import read_structure
    from tfcli.build import build_model
    from tfcli.catalog import family_of

    config = spec.config
    model = build_model(config, device="meta")
    x = resolve_input(spec, shape, strict=False)  # once: the inputs, the closed form and the notes read it
    inputs = model.example_inputs(x, "meta")
    s = read_structure(model)
    cls = classify(model)
    params = count_params(model)
    macs = config.macs(x)
    cats = macs.by_category()
    generates = config.layout().generates()
    fam = family_of(config)
    facts = fam.facts
    layers = {f.path.split(".")[0] if f.path.count(".") else f.path: f.layers for f in cls.stacks}
    return {
        "name": spec.name,
        "family": fam.name,
        "class": cls.kind,
        "modality": fam.modality,
        "inputs": {k: list(v.shape) for k, v in inputs.items()},
        "input": ", ".join(
            _input_kind(k, list(v.shape), not v.is_floating_point(), s.patch_embedding)
            + (f" ({k})" if len(inputs) > 1 and _NAMED_INPUTS.get(k) != k else "")
            for k, v in inputs.items()
        ),
        "positions": ", ".join(s.positions) or "none",
        "attention": _count(s.attention, s.windowed),
        "heads": ", ".join(s.heads),
        "norm": " ".join(x for x in (s.placement, "/".join(s.norms)) if x) or "none",
        "ffn": ", ".join(s.ffn) or "none",
        "layers": layers,
        "width": s.widths,
        "vocab": s.vocab,
        "context": config.context_length(),
        "params": params.total,
        "params_embedding": params.by_category["embeddings"],
        "params_non_embedding": params.total - params.by_category["embeddings"],
        "params_active": params.active_params,  # a mixture of experts runs top_k of its experts per token
        "macs": macs.total(),
        "flops": 2 * macs.total(),
        "flops_attention": 2 * (cats["attn_proj"] + cats["attn_scores"]),
        "kv_cache_bytes_per_token": macs.kv_per_token * KV_BYTES if generates else None,
        "objective": facts.objective.en if facts else "",
        "input_notes": x.notes,
    }


def compare(specs: list[ResolvedSpec], shape: InputShape | None = None) -> Comparison:
    """The models side by side at one input (`shape`; None fields: each family's default)."""
    from tfcli.humanize import human, human_bytes

    shape = shape or InputShape()
    profiles = [profile(s, shape) for s in specs]

    def row(key, label, show=str, raw=None):
        raws = [p[key] if raw is None else raw(p) for p in profiles]
        return Row(key, label, [show(p[key]) if raw is None else show(r) for p, r in zip(profiles, raws)], raws)

    def layers(d):
        if len(d) == 1:
            return str(next(iter(d.values())))
        return " + ".join(f"{n} {name}" for name, n in d.items())

    def share(p):
        return round(p["flops_attention"] / p["flops"], 4) if p["flops"] else 0.0

    rows = [
        row("class", "class"),
        row("modality", "modality"),
        row("input", "input"),
        row("positions", "positional encoding"),
        row("attention", "attention kinds"),
        row("heads", "heads × head dim"),
        row("norm", "norm"),
        row("ffn", "feed-forward"),
        row("layers", "layers", layers),
        row("width", "width", lambda w: "/".join(map(str, w)) or "—"),
        row("vocab", "vocabulary", lambda v: f"{v:,}" if v else "—"),
        row("context", "context length", lambda c: f"{c:,}" if c else "no table (any length)"),
        row("params", "parameters", lambda n: f"{n:,} ({human(n)})"),
        row("params_embedding", "  embedding", lambda n: f"{n:,} ({human(n)})"),
        row("params_non_embedding", "  non-embedding", lambda n: f"{n:,} ({human(n)})"),
        *([row("params_active", "  active per token", lambda n: f"{n:,} ({human(n)})")]
          if any(p["params_active"] != p["params"] for p in profiles) else []),
        row("flops", "forward FLOPs (2 × MACs)", lambda n: f"{human(n)}"),
        Row("attention_share", "  attention share", [f"{100 * share(p):.1f}%" for p in profiles],
            [share(p) for p in profiles]),
        row("kv_cache_bytes_per_token", "KV cache / token (bf16)", lambda b: human_bytes(b) if b else "—"),
        row("objective", "pre-training objective", lambda t: t or "—"),
    ]
    tokens = f"{shape.seq_len} tokens" if shape.seq_len else "each family's default length"
    images = f"{shape.image_size}-pixel images" if shape.image_size else "images at their default size"
    notes = [
        f"FLOPs: one forward pass at batch {shape.batch} and {tokens} ({images}), by each family's closed "
        "form (equal to fvcore and torch's FlopCounterMode); FLOPs = 2 × MACs (a multiply-add counts 2), "
        "norms at numel×5 as fvcore, elementwise ops not counted (tfcli flops' convention)"
    ]
    for p in profiles:  # each family's own words about the input (a position table passed, ...)
        notes.extend(f"{p['name']}: {n}" for n in p["input_notes"])
    return Comparison([p["name"] for p in profiles], shape, rows, notes)
