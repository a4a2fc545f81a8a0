"""Pieces shared by SAM's parts: a channel LayerNorm for feature maps, and the small ReLU
MLP heads of the mask decoder (hypernetworks, IoU head)."""

import torch
import torch.nn.functional as F
from torch import nn


class LayerNorm2d(nn.LayerNorm):
    """LayerNorm over the channels of a (B, C, H, W) map, at every pixel."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


class MLPHead(nn.Module):
    """`depth` Linear layers with ReLU between: a prediction head, not a Transformer
    feed-forward (which is tfcli.blocks.FeedForward, used in the two-way blocks)."""

    category = "heads"

    def __init__(self, d_in: int, hidden: int, d_out: int, depth: int):
        super().__init__()
        dims = [d_in] + [hidden] * (depth - 1) + [d_out]
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(dims, dims[1:]))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for i, layer in enumerate(self.layers):
            x = layer(x) if i == len(self.layers) - 1 else F.relu(layer(x))
        return x
