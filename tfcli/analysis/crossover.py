"""Where attention's scores overtake the linear layers, found on the model's own counts.

`evaluate(x)` is the Breakdown at x tokens (or x whole patches a side); the crossover is
the first x where scores (QKᵀ+AV) cost at least projections + feed-forward.
"""

from __future__ import annotations

from typing import Callable

from tfcli.analysis.analytic import Breakdown

Evaluate = Callable[[int], Breakdown]


def crossover(evaluate: Evaluate, causal_half: bool, lo: int = 1, hi: int = 1 << 24) -> int | None:
    """Smallest x in [lo, hi] where scores ≥ projections + feed-forward (bisection)."""

    def past(x: int) -> bool:
        c = evaluate(x).by_category(causal_half)
        return c["attn_scores"] >= c["attn_proj"] + c["feed_forward"]

    if not past(hi):
        return None
    if past(lo):
        return lo
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if past(mid) else (mid, hi)
    return hi


def exact_root(evaluate: Evaluate, causal_half: bool) -> float | None:
    """Scores = a·n² + b·n and linear = c·n for text stacks: the real root (b − c)/−a."""
    pts = {}
    for n in (1, 2, 3, 4):
        c = evaluate(n).by_category(causal_half)
        pts[n] = (c["attn_scores"], c["attn_proj"] + c["feed_forward"])
    s1, s2, s3 = pts[1][0], pts[2][0], pts[3][0]
    a = (s3 - 2 * s2 + s1) / 2
    b = s2 - s1 - 3 * a
    c = pts[2][1] - pts[1][1]
    quadratic = all(abs(pts[n][0] - (a * n * n + b * n)) < 1e-6 * max(1, pts[n][0]) for n in pts)
    linear = all(pts[n][1] == c * n for n in pts)
    if not (quadratic and linear) or a <= 0:
        return None
    return (c - b) / a


def bracket(evaluate: Evaluate, causal_half: bool, start: int, limit: int) -> tuple[int, int | None]:
    """A doubling search from `start`: (lo, hi) with the crossover in (lo, hi], or hi None."""
    lo, x = 1, max(1, start)
    while x <= limit:
        c = evaluate(x).by_category(causal_half)
        if c["attn_scores"] >= c["attn_proj"] + c["feed_forward"]:
            return lo, x
        lo, x = x, x * 2
    return lo, None
