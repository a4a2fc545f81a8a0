"""One numeric policy for every config value, from a preset, a file, --set or a config.json,
and short quoting of values in messages (a 50 MB list must not become a 75 MB error)."""

from __future__ import annotations

import math
from typing import Any

# one tensor dimension torch's kernels index with 32-bit ints in places; no real model is near
MAX_DIM = 2**31 - 1
# depth: the deepest published models have ~130 layers; analysing one takes ~10-50 ms a layer
MAX_LAYERS = 512


def short(value: Any, limit: int = 60) -> str:
    """repr() cut to `limit` characters, saying how much was left out."""
    return clip(repr(value), limit)


def clip(text: str, limit: int = 60) -> str:
    """Text cut to `limit` characters, saying how much was left out."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text):,} characters)"


def number_problem(name: str, value: Any, *, zero_ok: bool = False) -> str | None:
    """What is wrong with a number a config field holds, or None. Floats must be finite;
    sizes and counts positive (0 where the field allows); counts bounded so tensors can exist."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return f"must be a finite number, got {value!r}"
    if value < 0 or (value == 0 and not zero_ok):
        return f"must be positive, got {short(value)}"
    if isinstance(value, int):
        limit = MAX_LAYERS if is_depth(name) else MAX_DIM
        if value > limit:
            what = "layers" if is_depth(name) else "a tensor dimension"
            return f"must be at most {limit:,} ({what}), got {short(value)}"
    return None


def is_depth(name: str) -> bool:
    return name.endswith("layers") or name.endswith("depth") or name.endswith("layers_per_block")
