"""Closed-form MACs: the third opinion beside fvcore and torch's counter.

Every family describes its structure once (`config.layout()`); the closed form is the sum of
its parts' MACs at the resolved input (`config.macs(config.resolve_input(shape))`), under
the convention of tfcli.spec.tally. A family whose modules really differ from the shared
parts (SAM, the UNet, the VAE) writes its own `macs()` in its record.
"""

from __future__ import annotations

from tfcli.spec import CATEGORIES, LABELS, ArchConfig, Breakdown, InputShape, Tally, block_spec
from tfcli.spec.parts import StackSpec

__all__ = ["CATEGORIES", "LABELS", "Breakdown", "Tally", "bare_block", "count_analytic"]


def count_analytic(config: ArchConfig, shape: InputShape) -> Breakdown:
    return config.macs(config.resolve_input(shape))


def bare_block(shape: InputShape, *, d_model: int, heads: int, ffn: int, layers: int = 1,
               kv_heads: int | None = None, gated: bool = False, causal: bool = False) -> Breakdown:
    """`layers` standard pre-norm blocks of bare dimensions (`tfcli complexity --d-model ...`):
    projections, scores, feed-forward and the blocks' two norms; no embeddings, head or biases."""
    block = block_spec(d_model, heads, ffn, num_kv_heads=kv_heads, gated=gated, causal=causal)
    t = Tally(shape.batch)
    t.tokens = shape.seq_len
    StackSpec(block, layers, final_norm=False).add_macs(t, shape.seq_len)
    if causal:
        t.kv_cache(layers, block.attention.kv_out)
    return t.result()
