"""Everything `tfcli inspect` shows, as data: build on meta, run shapes, count, classify."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from tfcli.analysis.classify import Classification
from tfcli.analysis.params import ParamReport
from tfcli.analysis.tree import TreeNode
from tfcli.spec import InputShape, ResolvedSpec


@dataclass
class Inspection:
    name: str
    family: str
    family_description: str
    source: str
    config: dict
    inputs: dict[str, list[int]]
    classification: Classification
    params: ParamReport
    tree: TreeNode
    notes: list[str] = field(default_factory=list)
    input_notes: list[str] = field(default_factory=list)  # the model's describe_input()
    positions: list[str] = field(default_factory=list)  # "rotary (partial, 25%, θ=10000)", "ALiBi"
    placement: str = ""  # "pre-norm", "pre-norm (parallel attention + FFN)"
    overrides: dict = field(default_factory=dict)  # --set, as applied
    input: dict = field(default_factory=dict)  # tfcli.analysis.inputs.input_record of the resolved input

    def to_dict(self) -> dict:
        c = self.classification
        return {
            "name": self.name,
            "family": self.family,
            "source": self.source,
            "overrides": self.overrides,
            "config": self.config,
            "input": self.input,
            "inputs": self.inputs,
            "input_description": self.input_notes,
            "kind": c.kind,
            "kind_summary": c.summary,
            "stacks": [dataclasses.asdict(s) for s in c.stacks],
            "params": self.params.total,
            "params_active": self.params.active_params,  # per token; = params unless a mixture of experts
            "params_trainable": self.params.trainable,
            "params_by_category": self.params.by_category,
            "params_by_component": self.params.by_component,
            "tied_weights": self.params.tied,
            "weights_fp32_bytes": self.params.bytes(4),
            "weights_bf16_bytes": self.params.bytes(2),
            "positions": self.positions,
            "norm_placement": self.placement,
            "tree": self.tree.to_dict(),
            "notes": self.notes,
        }


def inspect_model(spec: ResolvedSpec, shape: InputShape) -> Inspection:
    from tfcli.analysis.classify import classify
    from tfcli.analysis.inputs import input_record, resolve_input
    from tfcli.analysis.params import count_params
    from tfcli.analysis.structure import read_structure
    from tfcli.analysis.tree import build_tree, record_output_shapes
    from tfcli.build import build_model
    from tfcli.catalog import family_of

    model = build_model(spec.config, device="meta")
    x = resolve_input(spec, shape, forward=True)
    inputs = model.example_inputs(x, "meta")
    shapes = record_output_shapes(model, inputs)
    fam = family_of(spec.config)
    params = count_params(model)  # once: the classification and the structure read it too
    structure = read_structure(model, params)
    return Inspection(
        name=spec.name,
        family=fam.name,
        family_description=fam.description,
        source=spec.source,
        config=spec.config.to_dict(),
        inputs={k: list(v.shape) for k, v in inputs.items()},
        classification=classify(model, params),
        params=params,
        tree=build_tree(model, shapes),
        notes=x.notes,
        input_notes=x.lines,
        positions=structure.positions,
        placement=structure.placement,
        overrides=dict(spec.overrides),
        input=input_record(x),
    )

