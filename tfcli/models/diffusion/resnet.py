"""The convolutional pieces shared by the UNet and the VAE: ResNet blocks and resamplers."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class TimeProjection(nn.Linear):
    """Each ResNet block's projection of the shared time embedding: counted with the embeddings."""

    category = "embeddings"


class ResnetBlock(nn.Module):
    """GroupNorm → SiLU → 3×3 conv, (+ time embedding), GroupNorm → SiLU → 3×3 conv, + shortcut.

    The time embedding is projected to one bias per channel and added between the two convs,
    so every block knows the noise level; the VAE's blocks have no time input (temb_dim=0).
    """

    def __init__(self, c_in: int, c_out: int, temb_dim: int = 0, groups: int = 32, eps: float = 1e-5):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, c_in, eps=eps)
        self.conv1 = nn.Conv2d(c_in, c_out, 3, padding=1)
        self.time_emb_proj = TimeProjection(temb_dim, c_out) if temb_dim else None
        self.norm2 = nn.GroupNorm(groups, c_out, eps=eps)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1)
        # a 1×1 conv only where the width changes; otherwise the residual is the identity
        self.conv_shortcut = nn.Conv2d(c_in, c_out, 1) if c_in != c_out else None

    def forward(self, x: torch.Tensor, temb: torch.Tensor | None = None) -> torch.Tensor:
        h = self.conv1(F.silu(self.norm1(x)))  # (B, c_out, H, W)
        if self.time_emb_proj is not None:
            h = h + self.time_emb_proj(F.silu(temb))[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))
        shortcut = self.conv_shortcut(x) if self.conv_shortcut is not None else x
        return shortcut + h


class Downsample(nn.Module):
    """A stride-2 3×3 conv halves the side. The VAE pads right/bottom only (asymmetric), as trained."""

    def __init__(self, channels: int, asymmetric: bool = False):
        super().__init__()
        self.asymmetric = asymmetric
        self.conv = nn.Conv2d(channels, channels, 3, stride=2, padding=0 if asymmetric else 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.asymmetric:
            x = F.pad(x, (0, 1, 0, 1))
        return self.conv(x)  # (B, C, H/2, W/2)


class Upsample(nn.Module):
    """Nearest-neighbour 2× then a 3×3 conv (no transposed conv: avoids checkerboard artefacts)."""

    def __init__(self, channels: int):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.interpolate(x, scale_factor=2.0, mode="nearest")  # (B, C, 2H, 2W)
        return self.conv(x)
