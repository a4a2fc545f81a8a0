"""`tfcli compare` as data: one column per model, one row per architectural fact.

Each model is built on the meta device; the facts come from its module tree
(tfcli.analysis.structure), its classification, its parameter report and one FLOP count
at its own default input, or at the given one capped at its position table (so CLIP is
counted at 77 tokens, as `tfcli flops clip-b32` does). Only the pre-training objective is
curated (each family record's facts). Each model's record holds the facts typed (numbers
as numbers, docs/json.md); each row the text the table shows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tfcli.spec import InputShape, ResolvedSpec

KV_BYTES = 2  # the KV-cache row is in bf16


@dataclass
class Row:
    key: str  # the field of each model's record the row shows
    label: str
    values: list[str]  # shown, one per model
    raw: list[Any]  # the records' typed values (numbers as numbers)

    @property
    def differ(self) -> bool:
        return any(v != self.values[0] for v in self.values[1:])  # as the reader sees them


@dataclass
class Comparison:
    names: list[str]
    shape: InputShape  # the input as asked (None fields: each model's default)
    models: list[dict[str, Any]]  # one record per model, the values typed (docs/json.md)
    rows: list[Row]
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        from tfcli.analysis.inputs import input_record

        return {
            "input": input_record(self.shape),
            "models": self.models,
            "rows": [{"key": r.key, "label": r.label.strip(), "shown": r.values, "differ": r.differ}
                     for r in self.rows],
            "notes": self.notes,
        }

    def csv_rows(self) -> list[dict]:
        """One row per model (as timm's benchmark writes): the input it was counted at, then
        a column per table row, a number where the record holds one, else the table's text."""
        out = []
        for i, m in enumerate(self.models):
            row: dict[str, Any] = {"name": m["name"], "family": m["family"], "input": m["input"]}
            for r in self.rows:
                plain = r.raw[i] is None or isinstance(r.raw[i], (int, float, str))
                row[r.key] = r.raw[i] if plain else r.values[i]
            out.append(row)
        return out


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


@dataclass
class Profile:
    """One model's facts: `record` typed (its --json), `shown` the table's text per row key."""

    record: dict[str, Any]
    shown: dict[str, str]


def _params_text(n: int) -> str:
    from tfcli.humanize import human

    return f"{n:,} ({human(n)})"


def _layers_text(layers: dict[str, int]) -> str:
    if len(layers) == 1:
        return str(next(iter(layers.values())))
    return " + ".join(f"{n} {name}" for name, n in layers.items())


def profile(spec: ResolvedSpec, shape: InputShape, notes: list[str] | None = None) -> Profile:
    """Every fact about one model at `shape`. The MACs are the family's closed form (tfcli
    flops' convention; equal to fvcore and torch's counter on every preset)."""
    from tfcli.analysis.classify import classify
    from tfcli.analysis.inputs import NO_TOKENS, input_record, resolve_input
    from tfcli.analysis.params import count_params
    from tfcli.analysis.structure import read_structure
    from tfcli.build import build_model
    from tfcli.catalog import family_of
    from tfcli.humanize import human, human_bytes

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
    flops = 2 * macs.total()
    attention_flops = 2 * (cats["attn_proj"] + cats["attn_scores"])
    context = config.context_length()
    embedding = params.by_category["embeddings"]
    record = {
        "name": spec.name,
        "family": fam.name,
        "kind": cls.kind,
        "modality": str(fam.modality),
        "input": input_record(x),  # what this model was counted at
        "inputs": {k: list(v.shape) for k, v in inputs.items()},
        "positions": s.positions,
        "attention": s.attention,  # attention modules by kind
        "windowed_attention": s.windowed,  # of those, restricted to windows
        "heads": s.head_shapes,
        "norm": {"placement": s.placement or None, "kinds": s.norms},
        "feed_forward": s.ffn_shapes,
        "layers": {f.path.split(".")[0] if f.path.count(".") else f.path: f.layers for f in cls.stacks},
        "widths": s.widths,
        "vocab": s.vocab,
        "context_length": context,
        "params": params.total,
        "params_embedding": embedding,
        "params_non_embedding": params.total - embedding,
        "params_active": params.active_params,  # a mixture of experts runs top_k of its experts per token
        "macs": macs.total(),
        "flops": flops,
        "attention_flops": attention_flops,
        "attention_share": round(attention_flops / flops, 4) if flops else 0.0,
        "kv_cache_bytes_per_token": macs.kv_per_token * KV_BYTES if generates else None,
        "objective": facts.objective.en if facts else "",
        "notes": [*(notes or []), *x.notes],
    }
    r = record
    if context:
        context_text = f"{context:,}"
    elif fam.modality in NO_TOKENS:
        context_text = "— (reads images)"  # its positions are a patch grid, not a length limit
    else:
        context_text = "no table (any length)"
    shown = {
        "kind": r["kind"],
        "modality": r["modality"],
        "inputs": ", ".join(
            _input_kind(k, list(v.shape), not v.is_floating_point(), s.patch_embedding)
            + (f" ({k})" if len(inputs) > 1 and _NAMED_INPUTS.get(k) != k else "")
            for k, v in inputs.items()
        ),
        "positions": ", ".join(s.positions) or "none",
        "attention": _count(s.attention, s.windowed),
        "heads": ", ".join(s.heads),
        "norm": " ".join(x for x in (s.placement, "/".join(s.norms)) if x) or "none",
        "feed_forward": ", ".join(s.ffn) or "none",
        "layers": _layers_text(r["layers"]),
        "widths": "/".join(map(str, s.widths)) or "—",
        "vocab": f"{s.vocab:,}" if s.vocab else "—",
        "context_length": context_text,
        **{k: _params_text(r[k]) for k in ("params", "params_embedding", "params_non_embedding", "params_active")},
        "flops": human(flops),
        "attention_share": f"{100 * r['attention_share']:.1f}%",
        "kv_cache_bytes_per_token": human_bytes(r["kv_cache_bytes_per_token"]) if r["kv_cache_bytes_per_token"] else "—",
        "objective": r["objective"] or "—",
    }
    return Profile(record, shown)


# the table's rows: record key → label
ROWS = (
    ("kind", "class"),
    ("modality", "modality"),
    ("inputs", "input"),
    ("positions", "positional encoding"),
    ("attention", "attention kinds"),
    ("heads", "heads × head dim"),
    ("norm", "norm"),
    ("feed_forward", "feed-forward"),
    ("layers", "layers"),
    ("widths", "width"),
    ("vocab", "vocabulary"),
    ("context_length", "context length"),
    ("params", "parameters"),
    ("params_embedding", "  embedding"),
    ("params_non_embedding", "  non-embedding"),
    ("params_active", "  active per token"),  # only when a mixture of experts is compared
    ("flops", "forward FLOPs (2 × MACs)"),
    ("attention_share", "  attention share"),
    ("kv_cache_bytes_per_token", "KV cache / token (bf16)"),
    ("objective", "pre-training objective"),
)


def model_input(spec: ResolvedSpec, shape: InputShape) -> tuple[InputShape, list[str]]:
    """The shared input for one model: lengths past its learned position table are capped
    at the table (what `tfcli flops` counts by default), with a note saying so."""
    from dataclasses import replace

    from tfcli.analysis.inputs import NO_TOKENS
    from tfcli.catalog import family_of
    from tfcli.registry import Modality

    config = spec.config
    limit = config.context_length()
    if limit is None:
        return shape, []
    reads_tokens = family_of(config).modality not in (*NO_TOKENS, Modality.AUDIO)
    caps, notes = {}, []
    for option, value, applies in (("seq_len", shape.seq_len, reads_tokens),
                                   ("tgt_len", shape.tgt_len, config.encoder_decoder)):
        if applies and value is not None and value > limit:
            caps[option] = limit
            notes.append(f"--{option.replace('_', '-')} {value} is past its {limit} learned positions; "
                         f"counted at {limit}")
    return replace(shape, **caps), notes


def compare(specs: list[ResolvedSpec], shape: InputShape | None = None) -> Comparison:
    """The models side by side, each at `shape` (None fields: the model's own default),
    lengths capped at each model's position table."""
    shape = shape or InputShape()
    profiles = [profile(spec, *model_input(spec, shape)) for spec in specs]
    sparse = any(p.record["params_active"] != p.record["params"] for p in profiles)
    rows = [
        Row(key, label, [p.shown[key] for p in profiles], [p.record[key] for p in profiles])
        for key, label in ROWS
        if key != "params_active" or sparse
    ]
    tokens = (f"--seq-len {shape.seq_len} where a model reads tokens, capped at its position table"
              if shape.seq_len else "each model's default length")
    images = f"{shape.image_size}-pixel images" if shape.image_size else "images at each model's default size"
    notes = [
        f"FLOPs: one forward pass at the shapes the input row shows (batch {shape.batch}; {tokens}; {images}), "
        "by each family's closed form (equal to fvcore and torch's FlopCounterMode); FLOPs = 2 × MACs "
        "(a multiply-add counts 2), norms at numel×5 as fvcore, elementwise ops not counted (tfcli flops' convention)"
    ]
    for p in profiles:  # each model's own words about its input (a length capped, a table passed, ...)
        notes.extend(f"{p.record['name']}: {n}" for n in p.record["notes"])
    return Comparison([p.record["name"] for p in profiles], shape, [p.record for p in profiles], rows, notes)
