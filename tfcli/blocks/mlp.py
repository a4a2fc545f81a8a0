"""Position-wise feed-forward: plain (Linear-act-Linear) or gated (SwiGLU/GeGLU)."""

import torch
import torch.nn.functional as F
from torch import nn

from tfcli.spec.parts import FeedForwardSpec


def activation_fn(name: str):
    if name == "relu":
        return F.relu
    if name == "gelu":
        return F.gelu
    if name == "gelu_tanh":  # GPT-2's "gelu_new"
        return lambda x: F.gelu(x, approximate="tanh")
    if name == "quick_gelu":  # CLIP: x * sigmoid(1.702 x)
        return lambda x: x * torch.sigmoid(1.702 * x)
    if name == "silu":
        return F.silu
    raise ValueError(f"unknown activation '{name}'")


class FeedForward(nn.Module):
    category = "feed_forward"

    def __init__(
        self,
        d_model: int,
        ffn_dim: int,
        activation: str = "gelu",
        gated: bool = False,
        bias: bool = True,
        out_dim: int | None = None,
    ):
        super().__init__()
        self.activation, self.gated = activation, gated
        self.act = activation_fn(activation)
        # gated: one matmul makes both the gate and the value (same parameters as two)
        self.fc1 = nn.Linear(d_model, ffn_dim * (2 if gated else 1), bias=bias)
        self.fc2 = nn.Linear(ffn_dim, out_dim or d_model, bias=bias)

    @classmethod
    def from_spec(cls, spec: FeedForwardSpec) -> "FeedForward":
        return cls(spec.d_model, spec.ffn_dim, spec.activation, spec.gated, spec.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.fc1(x)
        if self.gated:
            gate, value = h.chunk(2, dim=-1)
            h = self.act(gate) * value
        else:
            h = self.act(h)
        return self.fc2(h)
