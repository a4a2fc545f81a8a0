"""Attention over feature maps: the UNet's spatial transformer and the VAE's mid-block attention.

Both flatten the (H, W) grid into H·W tokens and run the shared blocks on them.
"""

from __future__ import annotations

import torch
from torch import nn

from tfcli.blocks import Attention, Block
from tfcli.presets.diffusion import transformer_block


def to_tokens(x: torch.Tensor) -> torch.Tensor:
    B, C, H, W = x.shape
    return x.permute(0, 2, 3, 1).reshape(B, H * W, C)  # (B, H·W, C)


def to_map(x: torch.Tensor, H: int, W: int) -> torch.Tensor:
    B, _, C = x.shape
    return x.reshape(B, H, W, C).permute(0, 3, 1, 2)  # (B, C, H, W)


class SpatialTransformer(nn.Module):
    """diffusers' Transformer2DModel as SD1.5 uses it.

    GroupNorm, a 1×1 conv in, `depth` pre-norm blocks (self-attention over the pixels,
    cross-attention to the text embedding, GEGLU feed-forward), a 1×1 conv out, residual.
    The block is the shared tfcli Block: q/k/v without bias, output projection with bias.
    """

    def __init__(self, channels: int, num_heads: int, context_dim: int, depth: int = 1, groups: int = 32):
        super().__init__()
        self.norm = nn.GroupNorm(groups, channels, eps=1e-6)
        self.proj_in = nn.Conv2d(channels, channels, 1)
        block = transformer_block(channels, num_heads, context_dim)
        self.blocks = nn.ModuleList(Block(block) for _ in range(depth))
        self.proj_out = nn.Conv2d(channels, channels, 1)

    def forward(self, x: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
        H, W = x.shape[-2:]
        h = to_tokens(self.proj_in(self.norm(x)))  # (B, H·W, C)
        for block in self.blocks:
            h = block(h, context)  # context: (B, 77, 768) text embedding
        return x + self.proj_out(to_map(h, H, W))


class SpatialSelfAttention(nn.Module):
    """The VAE mid-block attention: GroupNorm, one head over every pixel, residual."""

    def __init__(self, channels: int, groups: int = 32):
        super().__init__()
        self.group_norm = nn.GroupNorm(groups, channels, eps=1e-6)
        self.attn = Attention(channels, 1)  # q/k/v/out with bias, as AutoencoderKL

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        H, W = x.shape[-2:]
        h = self.attn(to_tokens(self.group_norm(x)))  # (B, H·W, C): 64×64 = 4096 tokens at 512 px
        return x + to_map(h, H, W)
