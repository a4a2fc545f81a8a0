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

    def to_dict(self) -> dict:
        c = self.classification
        return {
            "name": self.name,
            "family": self.family,
            "source": self.source,
            "config": self.config,
            "inputs": self.inputs,
            "classification": {
                "kind": c.kind,
                "summary": c.summary,
                "stacks": [dataclasses.asdict(s) for s in c.stacks],
            },
            "params": {
                "total": self.params.total,
                "trainable": self.params.trainable,
                "by_category": self.params.by_category,
                "by_component": self.params.by_component,
                "tied": self.params.tied,
                "bytes_fp32": self.params.bytes(4),
                "bytes_bf16": self.params.bytes(2),
            },
            "tree": self.tree.to_dict(),
            "notes": self.notes,
            "input_notes": self.input_notes,
        }


def resolve_shape(model, shape: InputShape) -> tuple[InputShape, list[str]]:
    """Fill the family's defaults in and note anything the user should know."""
    default = model.config.default_input()
    merged = InputShape(
        batch=shape.batch,
        seq_len=shape.seq_len or default.seq_len,
        tgt_len=shape.tgt_len or default.tgt_len,
        image_size=shape.image_size or default.image_size,
        prompt=shape.prompt,
    )
    if shape.prompt is not None and not getattr(model, "takes_prompts", False):
        from tfcli.errors import InputShapeError

        raise InputShapeError(f"--prompt is for SAM models; {model.config.family} takes no prompts")
    notes = []
    ctx = model.context_length()
    longest = max(merged.seq_len or 0, merged.tgt_len or 0)
    if ctx is not None and longest > ctx:
        notes.append(
            f"sequence length {longest} exceeds the learned position table ({ctx}); "
            "positions past it reuse the table (counting only, the trained model never saw them)"
        )
    # families whose inputs need explaining (e.g. pixels → latents) say so themselves
    notes += model.input_notes(merged)
    return merged, notes


def inspect_model(spec: ResolvedSpec, shape: InputShape) -> Inspection:
    from tfcli.analysis.classify import classify
    from tfcli.analysis.params import count_params
    from tfcli.analysis.tree import build_tree, record_output_shapes
    from tfcli.build import build_model
    from tfcli.registry import family_of

    model = build_model(spec.config, device="meta")
    shape, notes = resolve_shape(model, shape)
    inputs = model.example_inputs(shape, "meta")
    shapes = record_output_shapes(model, inputs)
    fam = family_of(spec.config)
    return Inspection(
        name=spec.name,
        family=fam.name,
        family_description=fam.description,
        source=spec.source,
        config=spec.config.to_dict(),
        inputs={k: list(v.shape) for k, v in inputs.items()},
        classification=classify(model),
        params=count_params(model),
        tree=build_tree(model, shapes),
        notes=notes,
        input_notes=model.describe_input(shape),
    )
