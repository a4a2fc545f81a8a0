"""LayerNorm and RMSNorm, chosen by the NormSpec's kind so configs stay data."""

from torch import nn

from tfcli.spec.parts import NormSpec


def make_norm(spec: NormSpec) -> nn.Module:
    if spec.kind == "layer":
        return nn.LayerNorm(spec.dim, eps=spec.eps, bias=spec.bias)
    if spec.kind == "rms":
        # scale only, no mean subtraction and no bias (T5, Llama)
        return nn.RMSNorm(spec.dim, eps=spec.eps)
    raise ValueError(f"unknown norm '{spec.kind}'")
