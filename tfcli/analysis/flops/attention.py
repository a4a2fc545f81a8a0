"""Who calls attention with what shapes: what the causal half and memory figures need."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tfcli.spec.tally import band_blocks, band_pairs


@dataclass
class AttentionCall:
    module: str
    batch: int
    heads: int
    tq: int
    tk: int
    head_dim: int
    causal: bool
    window: int = 0  # SAM's windowed layers: Tq = Tk = window², batch = B × windows
    sliding_window: int = 0  # causal band of this many keys (tfcli.spec.tally's convention)

    @property
    def score_macs(self) -> int:
        return self.batch * self.heads * self.tq * self.tk * self.head_dim * 2


def attention_calls(model, inputs: dict[str, Any]) -> list[AttentionCall]:
    """Every call of a tfcli Attention module in one meta forward: who, what shape, causal;
    in module order (identical layers run once, their copies take the same calls)."""
    import dataclasses

    import torch

    from tfcli.meta_shapes import MetaShapes
    from tfcli.analysis.replicas import run_with_replicas
    from tfcli.blocks import Attention

    def run() -> dict[str, list[AttentionCall]]:
        calls: dict[str, list[AttentionCall]] = {}
        hooks = []
        for name, module in model.named_modules():
            if isinstance(module, Attention):

                def pre(mod, args, kwargs, name=name):
                    x = args[0]
                    ctx = args[1] if len(args) > 1 else kwargs.get("context")
                    tk = ctx.shape[1] if (mod.cross and ctx is not None) else x.shape[1]
                    calls.setdefault(name, []).append(AttentionCall(
                        name, x.shape[0], mod.num_heads, x.shape[1], tk, mod.head_dim,
                        bool(mod.causal and not mod.cross), mod.window, 0 if mod.cross else mod.sliding_window))

                hooks.append(module.register_forward_pre_hook(pre, with_kwargs=True))
        try:
            with torch.no_grad(), MetaShapes():
                model(**inputs)
        finally:
            for h in hooks:
                h.remove()
        return calls

    by_module, replicas = run_with_replicas(model, inputs, run)
    replicas.copy(by_module, lambda calls, path: [dataclasses.replace(c, module=path) for c in calls])
    return [c for name, _ in model.named_modules() for c in by_module.get(name, [])]


def causal_saving(calls: list[AttentionCall]) -> int:
    """MACs the masked half of every causal score matrix would skip (QKᵀ and AV)."""
    saved = 0
    for c in calls:
        if c.causal and c.sliding_window:  # computed as band_blocks says, needed: the band's pairs
            blocks, bq, bk = band_blocks(c.tq, c.sliding_window)
            per_pair = c.batch * c.heads * c.head_dim * 2
            saved += per_pair * (blocks * bq * bk - band_pairs(c.tq, c.sliding_window))
        elif c.causal:
            full = c.batch * c.heads * c.tq * c.tk * c.head_dim * 2
            saved += full - c.batch * c.heads * (c.tq * (c.tq + 1) // 2) * c.head_dim * 2
    return saved
