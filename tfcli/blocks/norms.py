"""LayerNorm and RMSNorm, chosen by name so configs stay data."""

from torch import nn



def make_norm(kind: str, dim: int, eps: float, bias: bool = True) -> nn.Module:
    if kind == "layer":
        return nn.LayerNorm(dim, eps=eps, bias=bias)
    if kind == "rms":
        # scale only, no mean subtraction and no bias (T5, Llama)
        return nn.RMSNorm(dim, eps=eps)
    raise ValueError(f"unknown norm '{kind}'")
