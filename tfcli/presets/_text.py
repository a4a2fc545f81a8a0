"""Checks and parameter formulas shared by the text families' configs."""

from tfcli.spec import ACTIVATIONS, NORMS, divides, one_of, require


def check_attention(family: str, d_model: int, num_heads: int, num_kv_heads: int | None = None) -> None:
    divides(family, "d_model", d_model, "num_heads", num_heads)
    if num_kv_heads is not None:
        require(num_kv_heads <= num_heads, family, f"'num_kv_heads' ({num_kv_heads}) cannot exceed 'num_heads' ({num_heads})")
        divides(family, "num_heads", num_heads, "num_kv_heads", num_kv_heads)


def check_choices(family: str, activation: str | None = None, norm: str | None = None) -> None:
    if activation is not None:
        one_of(family, "activation", activation, ACTIVATIONS)
    if norm is not None:
        one_of(family, "norm", norm, NORMS)


def linear(n_in: int, n_out: int, bias: bool = True) -> int:
    return n_in * n_out + (n_out if bias else 0)


def layer_norm(d: int, bias: bool = True) -> int:
    return d * (2 if bias else 1)


def attention(d: int, inner: int, bias: bool = True, kv_inner: int | None = None, kv_in: int | None = None) -> int:
    """Q, K, V and output projections; K/V may be narrower (GQA) or read another width (cross)."""
    kv_inner = inner if kv_inner is None else kv_inner
    kv_in = d if kv_in is None else kv_in
    return linear(d, inner, bias) + 2 * linear(kv_in, kv_inner, bias) + linear(inner, d, bias)


def feed_forward(d: int, ffn: int, bias: bool = True, gated: bool = False) -> int:
    return linear(d, ffn * (2 if gated else 1), bias) + linear(ffn, d, bias)
