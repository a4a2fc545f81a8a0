"""`tfcli memory`: what running or training a model takes, from its one description. No torch.

Inference: the weights in each storage format, the KV cache a generating decoder keeps, the
activations a prefill holds at its widest point, and the longest context and largest batch
that fit a device. Training: weights, gradients, optimizer states, master weights and the
activations kept for backward (tfcli.spec.saved's closed form, which `--measure` checks
against autograd), with and without activation checkpointing, split over data (ZeRO/FSDP),
tensor and pipeline parallel degrees.

Conventions, stated once:
* Weight formats: fp32 4 B, bf16/fp16 2 B; int8 and int4 quantise the blocks' linear weights
  (embeddings, heads and norms stay bf16) with one fp16 scale per group of `GROUP_SIZE`
  weights, and int4 a 4-bit zero point per group too (GPTQ/AWQ-style).
* Mixed-precision training (bf16): bf16 weights and gradients, an fp32 master copy; the
  optimizer's states in fp32 (AdamW: m and v; SGD: momentum) or 8-bit (bitsandbytes'
  AdamW8bit: two int8 states plus an fp32 absmax per block of 2048). fp32 training keeps no master.
* The loss: cross-entropy over the LM head's logits keeps fp32 log-probabilities, B·T·vocab.
* ZeRO stage 1 shards the optimizer states and master weights over --dp, stage 2 the
  gradients too, stage 3 (= FSDP full sharding) the weights too. --tp and --pp divide the
  parameters; activations are divided by --tp (Megatron sequence parallelism) and not by
  --pp (1F1B: the first stage keeps pp micro-batches of its layers in flight).
* Capacities are the vendors' (tfcli.gpus), all of it counted as usable: a runtime keeps
  some for its own context and fragmentation.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from tfcli.spec import InputShape, ResolvedInput, ResolvedSpec
from tfcli.spec.moe import MLASpec, MoESpec
from tfcli.spec.parts import Counted, LMHeadSpec, StackSpec
from tfcli.spec.saved import SavedTally

GROUP_SIZE = 128
ACT_BYTES = {"fp32": 4, "bf16": 2, "fp16": 2}
# bytes per parameter of the optimizer's states
OPTIMIZERS = {"adamw": 8.0, "adamw-8bit": 2.0 + 2 * 4 / 2048, "sgd": 4.0}
LONGEST = 1 << 24  # the context search stops here (16M tokens)


@dataclass
class WeightFormat:
    name: str
    bytes: int
    note: str = ""


@dataclass
class TrainingPlan:
    dp: int
    tp: int
    pp: int
    zero: int
    optimizer: str
    dtype: str
    checkpointing: bool
    weights_bytes: int
    gradients_bytes: int
    master_bytes: int
    optimizer_bytes: int
    activations_bytes: int | None  # None: no closed form for this family's activations
    loss_bytes: int

    @property
    def total_bytes(self) -> int:
        return (self.weights_bytes + self.gradients_bytes + self.master_bytes + self.optimizer_bytes
                + (self.activations_bytes or 0) + self.loss_bytes)

    def to_dict(self) -> dict:
        return {"dp": self.dp, "tp": self.tp, "pp": self.pp, "zero": self.zero, "optimizer": self.optimizer,
                "dtype": self.dtype, "checkpointing": self.checkpointing,
                "weights_bytes": self.weights_bytes, "gradients_bytes": self.gradients_bytes,
                "master_weights_bytes": self.master_bytes, "optimizer_states_bytes": self.optimizer_bytes,
                "activations_bytes": self.activations_bytes, "loss_bytes": self.loss_bytes,
                "total_per_device_bytes": self.total_bytes}


@dataclass
class MemoryReport:
    name: str
    params: int
    x: ResolvedInput
    dtype: str
    device_name: str | None
    device_bytes: int | None
    formats: list[WeightFormat]
    kv_cache_bytes: int | None  # None: not a generating decoder
    kv_per_token_bytes: int
    prefill_bytes: int | None  # None: not modelled for this family
    inference_total_bytes: int
    max_context: int | None = None  # tokens that fit at --batch (None: no device, or no token input)
    max_batch: int | None = None
    trained_context: int | None = None
    saved_bytes: int | None = None  # activations kept for backward, no checkpointing
    saved_by_category: dict[str, int] = field(default_factory=dict)
    plan: TrainingPlan | None = None
    plan_checkpointed: TrainingPlan | None = None
    fits_with: list[str] = field(default_factory=list)  # the smallest degrees that make training fit
    notes: list[str] = field(default_factory=list)
    measurement: object | None = None  # tfcli.bench.saved.SavedMeasurement

    def to_dict(self) -> dict:
        from tfcli.analysis.inputs import input_record

        out = {
            "model": self.name, "params": self.params, "input": input_record(self.x), "tokens": self.x.tokens,
            "dtype": self.dtype, "device": self.device_name, "device_memory_bytes": self.device_bytes,
            "inference": {
                "weights_bytes_by_format": {f.name: f.bytes for f in self.formats},
                "kv_cache_bytes": self.kv_cache_bytes, "kv_cache_bytes_per_token": self.kv_per_token_bytes,
                "prefill_activations_bytes": self.prefill_bytes, "total_bytes": self.inference_total_bytes,
                "max_context_tokens": self.max_context, "max_batch": self.max_batch,
                "trained_context_tokens": self.trained_context,
            },
            "training": {
                "saved_activations_bytes": self.saved_bytes,
                "saved_activations_bytes_by_category": self.saved_by_category,
                "plan": self.plan.to_dict() if self.plan else None,
                "plan_checkpointed": self.plan_checkpointed.to_dict() if self.plan_checkpointed else None,
                "fits_with": self.fits_with,
            },
            "notes": self.notes + self.x.notes,
        }
        if self.measurement is not None:
            m = self.measurement
            out["measured"] = {"saved_activations_bytes": m.total_bytes,
                               "saved_activations_bytes_by_category": m.by_category, "device": m.device,
                               "dtype": m.dtype, "tensors": m.tensors, "peak_allocated_bytes": m.peak_allocated_bytes}
        return out


# -- weights ------------------------------------------------------------------


def _quantisable(spec: ResolvedSpec) -> int:
    """Parameters of the blocks' matrices (what int8/int4 formats quantise)."""
    total = 0
    for use in spec.config.layout():
        if isinstance(use.part, StackSpec):
            for block, n in ([(use.part.block, 1)] if use.part.shared else use.part.block_counts()):
                total += n * (block.num_params() - block.num_norms * block.norm.num_params())
    return total


def weight_formats(spec: ResolvedSpec) -> list[WeightFormat]:
    n = spec.config.num_params()
    q = _quantisable(spec)
    rest = 2 * (n - q)  # bf16
    formats = [WeightFormat("fp32", 4 * n), WeightFormat("bf16", 2 * n)]
    if q:
        groups = -(-q // GROUP_SIZE)
        formats.append(WeightFormat("int8", q + 2 * groups + rest, f"fp16 scale per {GROUP_SIZE} weights"))
        formats.append(WeightFormat("int4", -(-q // 2) + 2 * groups + -(-groups // 2) + rest,
                                    f"fp16 scale + 4-bit zero per {GROUP_SIZE} weights"))
    return formats


# -- inference ----------------------------------------------------------------


def _blocks(spec: ResolvedSpec):
    for use in spec.config.layout():
        if isinstance(use.part, StackSpec):
            for block, _ in use.part.block_counts():
                yield use, block


def prefill_bytes(spec: ResolvedSpec, x: ResolvedInput, act: int) -> int | None:
    """Activations a forward without gradients holds at its widest point: the residual stream,
    one block's widest intermediates (Q/K/V and the attention output, or the FFN's hidden
    units), the score matrices where attention runs outside the fused kernel, and the logits.
    None where parts are the family's own (a UNet keeps every level's skip alive: not modelled)."""
    if any(isinstance(u.part, Counted) for u in spec.config.layout()):
        return None
    widest = 0
    for use, block in _blocks(spec):
        rows = x.lengths[use.rows]
        a = block.attention
        scores = 2 * a.num_heads * rows * rows if getattr(a, "softcap", 0) else 0  # outside the fused kernel
        widest = max(widest, rows * (2 * block.d_model + max(_attention_width(a), _ffn_width(block.ffn))) + scores)
    logits = 0
    for use in spec.config.layout():
        if isinstance(use.part, LMHeadSpec):
            logits += x.lengths[use.rows] * use.part.vocab_size
    return x.batch * (widest + logits) * act


def _attention_width(a) -> int:
    """Per token: Q, K, V and the attention output, live together."""
    if isinstance(a, MLASpec):  # queries, the up-projected keys/values, the output
        return a.q_out + a.kv_b_out + a.num_heads * a.v_head_dim
    return 2 * a.q_dim + 2 * a.kv_out


def _ffn_width(f) -> int:
    """Per token: the first linear's output and the activation's (a gated FFN's product too)."""
    if isinstance(f, MoESpec):  # each token's top_k experts, and the shared ones
        return f.top_k * _ffn_width(f.expert) + (_ffn_width(f.shared) if f.shared is not None else 0)
    return f.ffn_dim * (4 if f.gated else 2)


def kv_cache_bytes(spec: ResolvedSpec, x: ResolvedInput, act: int) -> tuple[int | None, int]:
    """(bytes of the cache at the input's length and batch, bytes per token); None: no cache."""
    layout = spec.config.layout()
    if not layout.generates():
        return None, 0
    b = spec.config.macs(x)
    tokens = x.tgt_len or x.tokens
    return (b.kv_elements(tokens) * x.batch + b.kv_cross) * act, b.kv_per_token * act


def _at(spec: ResolvedSpec, shape: InputShape, tokens: int | None, batch: int) -> ResolvedInput:
    changed = replace(shape, batch=batch, seq_len=tokens if tokens else shape.seq_len)
    if tokens and spec.config.encoder_decoder:
        changed = replace(changed, tgt_len=tokens)
    return spec.config.resolve_input(changed)


def _largest(fits, start: int, limit: int) -> int | None:
    """The largest n in [start, limit] with fits(n) (monotone), or None if not even start."""
    if not fits(start):
        return None
    lo, hi = start, start
    while hi < limit and fits(min(2 * hi, limit)):
        lo = hi = min(2 * hi, limit)
    if hi == limit:
        return limit
    hi = min(2 * hi, limit)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if fits(mid) else (lo, mid)
    return lo


# -- training -----------------------------------------------------------------


def saved_bytes(spec: ResolvedSpec, x: ResolvedInput, act: int) -> tuple[SavedTally, int | None]:
    s = spec.config.saved(x)
    return s, None if s.unmodelled else s.total_bytes(act)


def checkpointed_bytes(spec: ResolvedSpec, x: ResolvedInput, act: int, full: int) -> int:
    """Checkpointing every block: each block keeps only its input; one block at a time
    recomputes its forward and holds its full saved set during its backward."""
    blocks = 0
    inputs = 0
    widest = 0
    flags = SavedTally(x.batch)  # what the parts before a stack tell its attentions (RoPE, biases)
    for use in spec.config.layout():
        rows = x.lengths[use.rows]
        context = x.lengths[use.context] if use.context else None
        if not isinstance(use.part, StackSpec):
            use.part.add_saved(flags, rows, context)
            continue
        for block, n in use.part.block_counts():
            t = flags.fresh()
            block.add_saved(t, rows, context)
            one = t.total_bytes(act)
            blocks += n * one
            widest = max(widest, one)
            inputs += n * x.batch * rows * block.d_model * act
    return full - blocks + inputs + widest


def loss_bytes(spec: ResolvedSpec, x: ResolvedInput) -> int:
    return sum(x.batch * x.lengths[u.rows] * u.part.vocab_size * 4
               for u in spec.config.layout() if isinstance(u.part, LMHeadSpec))


def training_plan(spec: ResolvedSpec, activations: int | None, loss: int, *, dtype: str, optimizer: str,
                  dp: int = 1, tp: int = 1, pp: int = 1, zero: int = 0, checkpointing: bool = False) -> TrainingPlan:
    n = spec.config.num_params()
    per_device = n / (tp * pp)
    w = ACT_BYTES[dtype]
    mixed = dtype != "fp32"
    shard = lambda stage: dp if zero >= stage else 1  # noqa: E731 - the ZeRO stage that shards a state
    return TrainingPlan(
        dp, tp, pp, zero, optimizer, dtype, checkpointing,
        weights_bytes=int(per_device * w / shard(3)),
        gradients_bytes=int(per_device * w / shard(2)),
        master_bytes=int(per_device * 4 / shard(1)) if mixed else 0,
        optimizer_bytes=int(per_device * OPTIMIZERS[optimizer] / shard(1)),
        activations_bytes=None if activations is None else activations // tp,
        loss_bytes=loss // tp,
    )


def fitting_degrees(spec: ResolvedSpec, activations: int | None, loss: int, memory: int, **plan) -> list[str]:
    """The smallest data-parallel degree under ZeRO-3 and the smallest tensor-parallel degree
    (dividing the heads) that bring a device under `memory`."""
    found = []
    for dp in (2**k for k in range(1, 13)):
        if training_plan(spec, activations, loss, dp=dp, zero=3, **plan).total_bytes <= memory:
            found.append(f"--zero 3 --dp {dp}")
            break
    heads = [a.num_heads for a in spec.config.layout().attentions()]
    for tp in (2, 4, 8, 16, 32, 64):
        if heads and any(h % tp for h in heads):
            break
        if training_plan(spec, activations, loss, tp=tp, **plan).total_bytes <= memory:
            found.append(f"--tp {tp}")
            break
    return found


def memory_report(spec: ResolvedSpec, shape: InputShape, x: ResolvedInput, *, dtype: str = "bf16",
                  device_name: str | None = None, device_bytes: int | None = None, optimizer: str = "adamw",
                  dp: int = 1, tp: int = 1, pp: int = 1, zero: int = 0) -> MemoryReport:
    act = ACT_BYTES[dtype]
    formats = weight_formats(spec)
    weights = next(f.bytes for f in formats if f.name == dtype)
    kv, kv_token = kv_cache_bytes(spec, x, act)
    prefill = prefill_bytes(spec, x, act)
    report = MemoryReport(spec.name, spec.config.num_params(), x, dtype, device_name, device_bytes, formats, kv,
                          kv_token, prefill, weights + (kv or 0) + (prefill or 0),
                          trained_context=getattr(spec.config, "max_positions", None))
    if prefill is None:
        report.notes.append(f"{spec.family}'s inference activations are not modelled (its levels are its own): "
                            "the inference total is weights only, and no largest batch is given")
    # the longest context is a generating decoder's question (an encoder's is its position table)
    reads_tokens = spec.config.layout().generates() and x.seq_len is not None
    if device_bytes is not None and prefill is not None:
        def inference_fits(tokens: int | None, batch: int) -> bool:
            at = _at(spec, shape, tokens, batch)
            return weights + (kv_cache_bytes(spec, at, act)[0] or 0) + prefill_bytes(spec, at, act) <= device_bytes

        if reads_tokens:
            report.max_context = _largest(lambda t: inference_fits(t, x.batch), 1, LONGEST)
        report.max_batch = _largest(lambda b: inference_fits(x.seq_len if reads_tokens else None, b), 1, 1 << 20)
    if device_bytes is not None and weights > device_bytes:
        report.notes.append(f"the {dtype} weights alone exceed the device; a smaller format "
                            "(int8, int4) or --tp across devices is needed")
    tally, saved = saved_bytes(spec, x, act)
    report.saved_bytes = saved
    if any(isinstance(block.attention, MLASpec) for _, block in _blocks(spec)):
        report.notes.append("latent attention (MLA) is counted as SDPA runs it on a CPU: Q/K and V heads differ in "
                            "size, so its math path keeps the B·h·T² probabilities; a GPU's memory-efficient "
                            "kernel keeps row statistics instead")
    if saved is not None:
        report.saved_by_category = tally.bytes(act)
    else:
        report.notes.append(f"{spec.family}'s activations have no closed form here (its modules are its own); "
                            "--measure counts them on a real forward")
    loss = loss_bytes(spec, x)
    plan = dict(dtype=dtype, optimizer=optimizer)
    report.plan = training_plan(spec, saved, loss, dp=dp, tp=tp, pp=pp, zero=zero, **plan)
    stacks = any(isinstance(u.part, StackSpec) for u in spec.config.layout())
    if saved is not None and stacks:
        checkpointed = checkpointed_bytes(spec, x, act, saved)
        report.plan_checkpointed = training_plan(spec, checkpointed, loss, dp=dp, tp=tp, pp=pp, zero=zero,
                                                 checkpointing=True, **plan)
    elif saved is not None:
        report.notes.append("checkpointing is modelled per transformer block; this family's levels are its own")
    if device_bytes is not None and saved is not None and report.plan.total_bytes > device_bytes:
        report.fits_with = fitting_degrees(spec, saved, loss, device_bytes, **plan)
        if report.plan_checkpointed is not None and len(report.fits_with) < 2:
            act = report.plan_checkpointed.activations_bytes
            report.fits_with += [f"{d} with activation checkpointing"
                                 for d in fitting_degrees(spec, act, loss, device_bytes, **plan)
                                 if d not in report.fits_with]
    return report
