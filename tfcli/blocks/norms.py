"""LayerNorm and RMSNorm, chosen by the NormSpec's kind so configs stay data."""

import torch
import torch.nn.functional as F
from torch import nn

from tfcli.spec.parts import NormSpec


def make_norm(spec: NormSpec) -> nn.Module:
    if spec.kind == "layer":
        return nn.LayerNorm(spec.dim, eps=spec.eps, bias=spec.bias)
    if spec.kind == "rms" and spec.unit_offset:
        return OffsetRMSNorm(spec.dim, eps=spec.eps)
    if spec.kind == "rms":
        # scale only, no mean subtraction and no bias (T5, Llama)
        return nn.RMSNorm(spec.dim, eps=spec.eps)
    raise ValueError(f"unknown norm '{spec.kind}'")


class OffsetRMSNorm(nn.RMSNorm):
    """Gemma's RMSNorm: the learned scale is stored as w (initialised to 0) and applied as 1 + w."""

    def __init__(self, dim: int, eps: float = 1e-6):
        super().__init__(dim, eps=eps)
        nn.init.zeros_(self.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.rms_norm(x, self.normalized_shape, 1 + self.weight, self.eps)
