"""The report `tfcli flops` shows: every method's count, per-module rows, notes."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from tfcli.analysis.flops.attention import attention_calls, causal_saving
from tfcli.analysis.flops.count import Count, from_breakdown
from tfcli.analysis.flops.fvcore_adapter import count_fvcore
from tfcli.analysis.flops.torch_counter import count_torch
from tfcli.spec import InputShape, ResolvedSpec

METHODS = ("fvcore", "torch", "analytic")
AGREEMENT = 0.005  # the three methods must agree within 0.5%


@dataclass
class FlopsReport:
    name: str
    family: str
    inputs: dict[str, list[int]]
    shape: InputShape
    params: int
    tied: list[str]
    causal_half: bool
    has_causal: bool
    counts: dict[str, Count]  # method → count
    missing: dict[str, str]  # method → why it has no answer
    module_macs: dict[str, int]  # inclusive MACs per module path (first measured method)
    module_params: dict[str, int]
    module_depth: dict[str, int]  # table level: ModuleList/ModuleDict containers add none
    notes: list[str] = field(default_factory=list)

    @property
    def primary(self) -> Count:
        return next(iter(self.counts.values()))

    def spread(self) -> float:
        """Largest relative difference between the methods' totals."""
        totals = [c.total for c in self.counts.values()]
        if len(totals) < 2 or not max(totals):
            return 0.0
        return (max(totals) - min(totals)) / max(totals)

    def convention(self) -> str:
        return ("1 MAC = one multiply-add (fvcore's \"flop\"); FLOPs = 2 × MACs; norms at numel×5 "
                "as fvcore; biases, activations, softmax and other elementwise ops not counted; "
                + causal_convention(self.name, self.causal_half, self.has_causal))

    def to_dict(self) -> dict:
        from tfcli.analysis.inputs import input_record

        p = self.primary
        return {
            "name": self.name,
            "family": self.family,
            "input": input_record(self.shape),
            "inputs": self.inputs,
            "convention": self.convention(),
            "causal_half": self.causal_half,
            "has_causal_attention": self.has_causal,
            "params": self.params,
            "tied_weights": self.tied,
            "macs": p.total,
            "flops": 2 * p.total,
            "primary_method": p.method,
            "macs_by_category": p.by_category,
            "attention_scores_share": share(p.by_category["attn_scores"], p.total),
            "linear_share": share(p.by_category["attn_proj"] + p.by_category["feed_forward"], p.total),
            "methods": {m: c.to_dict() for m, c in self.counts.items()},
            "missing_methods": self.missing,
            "max_relative_difference": self.spread(),
            "module_macs": self.module_macs,
            "notes": self.notes,
        }


def causal_convention(name: str, causal_half: bool, has_causal: bool) -> str:
    """How causal score matrices are counted; with --causal-half on a model that has none,
    that the flag changes nothing (rather than claiming a masked half was left out)."""
    if causal_half and not has_causal:
        return f"no causal attention in {name}, so --causal-half changes nothing"
    if causal_half:
        return "causal attention: the masked half, Tq(Tq+1)/2 pairs"
    return "causal attention: the full n×n score matrix, as kernels compute it"


def share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def _inclusive(own: dict[str, int]) -> dict[str, int]:
    out: Counter = Counter()
    for name, n in own.items():
        parts = name.split(".") if name else []
        out[""] += n
        for i in range(1, len(parts) + 1):
            out[".".join(parts[:i])] += n
    return dict(out)


def _module_depths(model) -> dict[str, int]:
    from torch import nn

    depth = {"": 0}
    for name, module in model.named_modules():
        if not name:
            continue
        parent = name.rsplit(".", 1)[0] if "." in name else ""
        container = isinstance(module, (nn.ModuleList, nn.ModuleDict))
        depth[name] = depth.get(parent, 0) + (0 if container else 1)
    return {n: d for n, d in depth.items()
            if n == "" or not isinstance(model.get_submodule(n), (nn.ModuleList, nn.ModuleDict))}


def flops_report(spec: ResolvedSpec, shape: InputShape, methods: tuple[str, ...] = ("fvcore",),
                 causal_half: bool = False) -> FlopsReport:
    from tfcli.analysis.params import count_params
    from tfcli.build import build_model

    from tfcli.analysis.inputs import resolve_input

    config = spec.config
    # the input resolved once: validated for the model (prompts, image sizes), with its notes
    measured = any(m != "analytic" for m in methods)  # a meta forward runs
    x = resolve_input(spec, shape, forward=measured, instead=", or count it in closed form: --method analytic")
    model = build_model(config, device="meta")
    shape = x.shape()
    inputs = model.example_inputs(x, "meta")
    params = count_params(model)
    counts: dict[str, Count] = {}
    missing: dict[str, str] = {}
    # the layout says whether anything is causal; the shapes of the attention calls (one
    # more meta forward) are needed only to count the masked half
    has_causal = config.layout().has_causal_attention()
    saving = causal_saving(attention_calls(model, inputs)) if causal_half and has_causal and measured else 0
    for method in methods:
        if method == "analytic":
            counts[method] = from_breakdown(config.macs(x), causal_half)
            continue
        c = count_fvcore(model, inputs) if method == "fvcore" else count_torch(model, inputs)
        if saving:
            c.by_category["attn_scores"] -= saving
            c.total -= saving
        counts[method] = c
    first = next((c for c in counts.values() if c.method != "analytic"), None)
    module_macs = _inclusive(first.by_module) if first else {}
    module_params = {n: sum(p.numel() for p in m.parameters()) for n, m in model.named_modules()}
    module_depth = _module_depths(model)
    notes = list(x.notes)
    if params.tied:
        notes.append("tied weights count once in parameters and once per use in MACs: "
                     + "; ".join(params.tied))
    if causal_half and saving:
        notes.append("--causal-half: per-module rows still show the full causal score matrices")
    return FlopsReport(
        name=spec.name, family=config.family,
        inputs={k: list(v.shape) for k, v in inputs.items() if hasattr(v, "shape")},
        shape=shape, params=params.total, tied=params.tied, causal_half=causal_half,
        has_causal=has_causal, counts=counts, missing=missing,
        module_macs=module_macs, module_params=module_params, module_depth=module_depth, notes=notes,
    )
