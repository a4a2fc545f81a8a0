"""Training FLOPs: a forward, a real backward and the optimizer step, counted two ways.

Measured: torch's FlopCounterMode over one forward, loss.backward() and optimizer.step() of
the real built module on the meta device (no weights: GPT-3 175B counts in seconds), with
tfcli's handles (tfcli.analysis.flops.torch_counter) and the backward attributed to modules
by tfcli.analysis.flops.tracker. Closed form: derived from the same spec (config.layout()).

Convention (tfcli.spec.tally's for the forward: MACs, FLOPs = 2 × MACs, norms at numel×5,
elementwise ops not counted, score matrices counted in full), and for the backward:

* Each counted op costs its forward once per gradient it produces: once for its input's
  gradient, once for its parameters' (a matmul with a weight: 2× its forward; QKᵀ and AV,
  two differentiable operands: 2×; a norm with a learned scale: 2×). So the backward is
  2 × the forward, minus the input gradient of the layers that read the model's
  non-differentiable input: the patch conv on pixels (PatchEmbed) and an audio stem's
  first conv on log-mel frames pay for their weight gradient only (1×). Embedding lookups
  cost 0 forward and 0 backward (their gradient is a scatter-add, elementwise).
* Attention is counted as the math backend computes it (what runs on meta under autograd):
  the backward's four score matmuls are 2 × the forward's two. Fused kernels (flash,
  memory-efficient, the CPU flash kernel) also recompute QKᵀ in their backward, which is
  not counted here (`fused_recompute` says how much it is).
* The loss (a mean square of every floating output, standing in for any loss: it gives
  every parameter a gradient) is elementwise: 0 MACs.
* The optimizer step is elementwise, no matmuls: FlopCounterMode counts none of it. It is
  counted by convention in FLOPs per trainable parameter (OPTIMIZER_FLOPS: AdamW 14, SGD 2),
  added to the step's FLOPs (in MACs it shows as FLOPs / 2 so that FLOPs = 2 × MACs holds).
* Activation checkpointing (`checkpointing`): every block of every tfcli Stack is
  checkpointed (torch.utils.checkpoint, non-reentrant); its recomputation is one more
  forward of those blocks, counted in full (torch's early stop, on by default, skips the
  ops after a block's last saved tensor, so a real run recomputes a little less).
"""

from __future__ import annotations

import contextlib
import functools
from dataclasses import dataclass, field
from typing import Any

from tfcli.spec import CATEGORIES, InputShape, ResolvedInput, ResolvedSpec, Tally
from tfcli.spec.parts import Conv1dSpec, Counted, PatchEmbed, StackSpec

# FLOPs per trainable parameter of one optimizer step (torch's single-tensor update rules)
OPTIMIZER_FLOPS = {
    # decay p·(1 - lr·wd): 1; m.lerp_(g, 1-β1): 3; v·β2 + (1-β2)·g·g: 4;
    # (sqrt(v)/bias_correction) + eps: 3; p.addcdiv_(m, denom, -step): 3
    "adamw": 14,
    "sgd": 2,  # p - lr·g (no momentum, no decay)
}
OPTIMIZER_LABELS = {"adamw": "AdamW", "sgd": "SGD"}
PHASES = ("forward", "backward", "recompute")
TRAIN_METHODS = ("torch", "analytic")


def training_loss(outputs):
    """The mean square of every floating output, summed: a scalar every parameter's
    gradient flows from, whatever the head (logits, hidden states, embeddings, images).
    Elementwise, so it adds no MACs; None when no output depends on a parameter."""
    import torch
    from torch.utils._pytree import tree_leaves

    leaves = [t for t in tree_leaves(outputs) if torch.is_tensor(t) and t.is_floating_point() and t.requires_grad]
    if not leaves:
        return None
    return sum(t.float().square().mean() for t in leaves)


def make_optimizer(model, name: str):
    import torch

    params = [p for p in model.parameters() if p.requires_grad]
    if name == "sgd":
        return torch.optim.SGD(params, lr=1e-3)
    return torch.optim.AdamW(params, lr=1e-3)


def stack_layers(model) -> list:
    """The blocks of every tfcli Stack, each module once (ALBERT reuses one at every depth)."""
    from tfcli.blocks.block import Stack

    seen: dict[int, Any] = {}
    for module in model.modules():
        if isinstance(module, Stack):
            for layer in module.layers:
                seen.setdefault(id(layer), layer)
    return list(seen.values())


@contextlib.contextmanager
def checkpointed(layers: list):
    """Each layer's forward through torch.utils.checkpoint (non-reentrant) for the block;
    early stop off, so the recomputation is the whole forward again (the convention)."""
    from torch.utils.checkpoint import checkpoint, set_checkpoint_early_stop

    for layer in layers:
        layer.forward = functools.partial(checkpoint, layer.forward, use_reentrant=False)
    try:
        with set_checkpoint_early_stop(False):
            yield
    finally:
        for layer in layers:
            del layer.forward  # the instance attribute: the class's forward shows again


def no_trainable_forward(name: str):
    from tfcli.errors import UsageError

    return UsageError(f"{name} has no trainable forward: none of its outputs depends on a parameter")


# -- one method's answer ----------------------------------------------------------------


@dataclass
class TrainCount:
    """One method's count of a training step: MACs by category for each phase, and the
    optimizer's elementwise FLOPs (by convention; FlopCounterMode counts none)."""

    method: str
    phases: dict[str, dict[str, int]]  # forward, backward (and recompute) → category → MACs
    optimizer_flops: int
    measured_optimizer_flops: int | None = None  # what FlopCounterMode counted in the step (torch)
    uncounted: dict[str, int] = field(default_factory=dict)  # op → calls with no handle
    elementwise: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def phase_total(self, phase: str) -> int:
        return sum(self.phases.get(phase, {}).values())

    @property
    def model_macs(self) -> int:
        """Forward + backward (+ recompute): the MACs of the model, without the optimizer."""
        return sum(self.phase_total(p) for p in self.phases)

    @property
    def total_flops(self) -> int:
        return 2 * self.model_macs + self.optimizer_flops

    def to_dict(self) -> dict:
        out: dict[str, Any] = {"method": self.method}
        for phase, cats in self.phases.items():
            out[f"{phase}_macs"] = sum(cats.values())
            out[f"{phase}_macs_by_category"] = cats
        out |= {
            "optimizer_flops": self.optimizer_flops,
            "model_macs": self.model_macs,
            "total_flops": self.total_flops,
        }
        if self.method == "torch":
            out |= {"flop_counter_optimizer_flops": self.measured_optimizer_flops,
                    "uncounted_op_calls": self.uncounted, "elementwise_op_calls": self.elementwise,
                    "time_s": round(self.seconds, 3)}
        return out


def _merge_ops(*dicts: dict[str, int]) -> dict[str, int]:
    out: dict[str, int] = {}
    for d in dicts:
        for op, n in d.items():
            out[op] = out.get(op, 0) + n
    return dict(sorted(out.items()))


def _measure_step(model, inputs: dict, optimizer: str, checkpoint: bool, name: str):
    """Forward, backward and optimizer step on meta under the counter: three phases."""
    import torch

    from tfcli.analysis.flops.torch_counter import TorchCounter

    ctx = checkpointed(stack_layers(model)) if checkpoint else contextlib.nullcontext()
    opt = make_optimizer(model, optimizer)
    with ctx, torch.enable_grad(), TorchCounter(model, backward=True) as counter:
        loss = training_loss(model(**inputs))
        if loss is None:
            raise no_trainable_forward(name)
        forward = counter.phase()
        loss.backward()
        backward = counter.phase()
        opt.step()
        step = counter.phase()
        step_flops = 2 * counter.global_macs  # outside every module: FlopCounterMode's own total
        opt.zero_grad(set_to_none=True)
    return forward, backward, step, step_flops


def count_torch_train(name: str, model, inputs: dict, optimizer: str, checkpoint: bool,
                      trainable: int) -> TrainCount:
    """FlopCounterMode on a real backward: with checkpointing, a second run with the blocks
    checkpointed, whose backward less the plain one is the recomputation."""
    forward, backward, step, step_flops = _measure_step(model, inputs, optimizer, False, name)
    phases = {"forward": forward.by_category, "backward": backward.by_category}
    runs = [forward, backward, step]
    if checkpoint:
        _, ck_backward, _, _ = _measure_step(model, inputs, optimizer, True, name)
        phases["recompute"] = {c: ck_backward.by_category[c] - backward.by_category[c] for c in CATEGORIES}
        runs.append(ck_backward)
    return TrainCount(
        "torch", phases, OPTIMIZER_FLOPS[optimizer] * trainable, measured_optimizer_flops=step_flops,
        uncounted=_merge_ops(*(r.uncounted for r in runs)), elementwise=_merge_ops(*(r.elementwise for r in runs)),
        seconds=sum(r.seconds for r in runs),
    )


# -- the closed form ------------------------------------------------------------------


def reads_raw_input(part, rows: str) -> bool:
    """A part that reads the model's own float input, which needs no gradient: the patch
    conv on pixels, an audio stem's conv on the log-mel frames (the input's own length)."""
    return isinstance(part, PatchEmbed) or (isinstance(part, Conv1dSpec) and rows == "frames")


def _part_macs(x: ResolvedInput, parts) -> dict[str, int]:
    t = Tally(x.batch)
    for part, rows, context, times in parts:
        part.add_macs(t, x.lengths[rows], x.lengths[context] if context else None, times)
    return {c: int(t.macs.get(c, 0)) for c in CATEGORIES}


def analytic_train(config, x: ResolvedInput, optimizer: str, checkpoint: bool, trainable: int) -> TrainCount:
    """The step in closed form: backward = 2 × forward, less the input gradient of the parts
    that read the raw input; the recomputation = one forward of every stack's blocks."""
    layout = config.layout()
    forward = config.macs(x).by_category(False)
    raw = _part_macs(x, [(u.part, u.rows, u.context, 1) for u in layout if reads_raw_input(u.part, u.rows)])
    phases = {"forward": forward, "backward": {c: 2 * forward[c] - raw[c] for c in CATEGORIES}}
    if checkpoint:
        blocks = [(block, u.rows, u.context, n) for u in layout if isinstance(u.part, StackSpec)
                  for block, n in u.part.block_counts()]
        phases["recompute"] = _part_macs(x, blocks)
    return TrainCount("analytic", phases, OPTIMIZER_FLOPS[optimizer] * trainable)


def analytic_missing(config) -> str | None:
    """Why a family has no closed-form training count (its closed form is not its parts)."""
    if any(isinstance(u.part, Counted) for u in config.layout()):
        return ("its closed form is the family's own macs(), not parts, so which layers read "
                "the raw input is not known to it; use --method torch")
    return None


def fused_recompute(model, inputs: dict) -> int:
    """MACs a fused attention kernel's backward adds by recomputing QKᵀ: B·h·Tq·Tk·dk for
    every attention call (one meta forward records their shapes)."""
    from tfcli.analysis.flops.attention import attention_calls

    return sum(c.batch * c.heads * c.tq * c.tk * c.head_dim for c in attention_calls(model, inputs))


# -- the report ------------------------------------------------------------------------


@dataclass
class TrainReport:
    name: str
    family: str
    inputs: dict[str, list[int]]
    shape: InputShape
    params: int
    trainable: int
    non_embedding: int  # parameters outside the embeddings category (tables and patch stems)
    optimizer: str
    checkpointing: bool
    tokens: int  # tokens one step reads (both sides of an encoder-decoder; a ViT's patches + [CLS])
    counts: dict[str, TrainCount]
    missing: dict[str, str]
    fused_recompute: int
    notes: list[str] = field(default_factory=list)

    @property
    def primary(self) -> TrainCount:
        return next(iter(self.counts.values()))

    def spread(self) -> float:
        totals = [c.total_flops for c in self.counts.values()]
        if len(totals) < 2 or not max(totals):
            return 0.0
        return (max(totals) - min(totals)) / max(totals)

    def per_token_flops(self, recompute: bool = False) -> float:
        """Forward + backward FLOPs per token, the quantity 6N approximates (the optimizer is
        per step, not per token); `recompute`: with checkpointing's recomputation too."""
        p = self.primary
        macs = p.phase_total("forward") + p.phase_total("backward") + (p.phase_total("recompute") if recompute else 0)
        return 2 * macs / self.tokens if self.tokens else 0.0

    def convention(self) -> str:
        per = OPTIMIZER_FLOPS[self.optimizer]
        return ("1 MAC = one multiply-add; FLOPs = 2 × MACs; forward as `tfcli flops` (norms numel×5, "
                "elementwise ops not counted, score matrices in full); backward: each op's forward once per "
                "gradient it produces (2×; the patch conv on pixels 1×), attention as the math backend computes it; "
                f"optimizer: {OPTIMIZER_LABELS[self.optimizer]} {per} FLOPs per trainable parameter, elementwise "
                "(FlopCounterMode counts none)")

    def to_dict(self) -> dict:
        from tfcli.analysis.inputs import input_record

        p = self.primary
        return {
            "train": True,
            "name": self.name,
            "family": self.family,
            "input": input_record(self.shape),
            "inputs": self.inputs,
            "convention": self.convention(),
            "params": self.params,
            "params_trainable": self.trainable,
            "params_non_embedding": self.non_embedding,
            "optimizer": self.optimizer,
            "optimizer_flops_per_param": OPTIMIZER_FLOPS[self.optimizer],
            "checkpointing": self.checkpointing,
            "tokens": self.tokens,
            "primary_method": p.method,
            "forward_macs": p.phase_total("forward"),
            "backward_macs": p.phase_total("backward"),
            "recompute_macs": p.phase_total("recompute") if self.checkpointing else None,
            "optimizer_flops": p.optimizer_flops,
            "total_flops": p.total_flops,
            "flops_per_token": self.per_token_flops(),
            "flops_per_token_with_recompute": self.per_token_flops(True) if self.checkpointing else None,
            "six_n_flops_per_token": 6 * self.params,
            "six_n_non_embedding_flops_per_token": 6 * self.non_embedding,
            "fused_attention_recompute_macs": self.fused_recompute,
            "methods": {m: c.to_dict() for m, c in self.counts.items()},
            "missing_methods": self.missing,
            "max_relative_difference": self.spread(),
            "notes": self.notes,
        }


def train_report(spec: ResolvedSpec, shape: InputShape, methods: tuple[str, ...] = TRAIN_METHODS,
                 optimizer: str = "adamw", checkpointing: bool = False) -> TrainReport:
    from tfcli.analysis.inputs import resolve_input
    from tfcli.analysis.params import count_params
    from tfcli.bench.throughput import count_items
    from tfcli.build import build_model
    from tfcli.errors import UsageError

    config = spec.config
    measured = "torch" in methods
    x = resolve_input(spec, shape, forward=measured, instead=", or count it in closed form: --method analytic")
    model = build_model(config, device="meta").train()
    if checkpointing and not stack_layers(model):
        raise UsageError(f"--checkpointing wraps the blocks of tfcli's Stack modules; {spec.name} builds its own "
                         "(no Stack), so its recomputation cannot be measured; drop --checkpointing")
    inputs = model.example_inputs(x, "meta")
    params = count_params(model)
    counts: dict[str, TrainCount] = {}
    missing: dict[str, str] = {}
    for method in methods:
        if method == "torch":
            try:
                counts[method] = count_torch_train(spec.name, model, inputs, optimizer, checkpointing, params.trainable)
            except UsageError:
                raise
            except Exception as e:  # a model whose backward cannot run on meta
                first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
                raise UsageError(f"{spec.name}: the backward pass failed on the meta device ({first}); "
                                 "count it in closed form: --method analytic") from None
        else:
            why = analytic_missing(config)
            if why:
                missing[method] = why
            else:
                counts[method] = analytic_train(config, x, optimizer, checkpointing, params.trainable)
    if not counts:
        raise UsageError(f"{spec.name} has no closed-form training count: {next(iter(missing.values()))}")
    items = count_items(inputs, x)
    tokens = items.items if items.unit == "tokens" else x.batch * x.tokens
    notes = list(x.notes)
    if params.tied:
        notes.append("tied weights count once in parameters and once per use in MACs: " + "; ".join(params.tied))
    return TrainReport(
        name=spec.name, family=config.family,
        inputs={k: list(v.shape) for k, v in inputs.items() if hasattr(v, "shape")},
        shape=x.shape(), params=params.total, trainable=params.trainable,
        non_embedding=params.total - params.by_category.get("embeddings", 0),
        optimizer=optimizer, checkpointing=checkpointing, tokens=tokens, counts=counts, missing=missing,
        fused_recompute=fused_recompute(model, inputs), notes=notes,
    )
