"""SD1.5's denoiser: diffusers' UNet2DConditionModel, built from a UNetConfig.

Input: noisy latents (B, 4, 64, 64), a timestep per sample (B,), the text embedding
(B, 77, 768). Output: the predicted noise, the latents' shape.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from tfcli.blocks import FeedForward
from tfcli.models.base import TfcliModel
from tfcli.models.diffusion.unet_blocks import DownLevel, MidBlock, UpLevel
from tfcli.presets.diffusion import UNetConfig, check_side
from tfcli.spec import ResolvedInput


def timestep_features(t: torch.Tensor, dim: int, max_period: float = 10000.0) -> torch.Tensor:
    """Sinusoidal features of the (continuous) timestep, cos half first (flip_sin_to_cos)."""
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, device=t.device, dtype=torch.float32) / half)
    angles = t.float()[:, None] * freqs[None, :]  # (B, dim/2)
    return torch.cat([torch.cos(angles), torch.sin(angles)], dim=-1)  # (B, dim)


class TimestepMLP(FeedForward):
    """The shared feed-forward, counted as the time embedding it is."""

    category = "embeddings"


class UNet(TfcliModel):
    def __init__(self, config: UNetConfig):
        super().__init__()
        self.config = c = config
        ch = c.block_out_channels
        self.conv_in = nn.Conv2d(c.in_channels, ch[0], 3, padding=1)
        # timestep → sinusoid (no parameters) → MLP to 4× the first width, shared by every ResNet
        self.time_embedding = TimestepMLP(ch[0], c.time_embed_dim, "silu", out_dim=c.time_embed_dim)
        self.down_blocks = nn.ModuleList(DownLevel(c, i) for i in range(len(ch)))
        self.mid_block = MidBlock(c)
        self.up_blocks = nn.ModuleList(UpLevel(c, i) for i in range(len(ch)))
        self.conv_norm_out = nn.GroupNorm(c.norm_num_groups, ch[0], eps=c.norm_eps)
        self.conv_out = nn.Conv2d(ch[0], c.out_channels, 3, padding=1)

    def inputs_for(self, x: ResolvedInput, device):
        c = self.config
        side, tokens, B = x.lengths["latent_side"], x.seq_len, x.batch
        if torch.device(device).type == "meta":
            timestep = torch.empty(B, dtype=torch.long, device=device)
        else:
            timestep = torch.randint(0, 1000, (B,), device=device)
        return {
            "sample": torch.randn(B, c.in_channels, side, side, device=device),
            "timestep": timestep,
            "encoder_hidden_states": torch.randn(B, tokens, c.cross_attention_dim, device=device),
        }

    def components(self) -> dict[str, nn.Module]:
        parts: dict[str, nn.Module] = {"conv_in": self.conv_in, "time_embedding": self.time_embedding}
        parts.update({f"down_blocks.{i}": b for i, b in enumerate(self.down_blocks)})
        parts["mid_block"] = self.mid_block
        parts.update({f"up_blocks.{i}": b for i, b in enumerate(self.up_blocks)})
        parts.update(conv_norm_out=self.conv_norm_out, conv_out=self.conv_out)
        return parts


    def forward(self, sample, timestep, encoder_hidden_states):
        d = self.config.downsamples
        for side in sample.shape[-2:]:
            check_side(side, d, "latent", f"use a latent side that is a multiple of {2**d}")
        temb = self.time_embedding(timestep_features(timestep, self.config.block_out_channels[0]))  # (B, 1280)
        x = self.conv_in(sample)  # (B, 320, 64, 64)
        skips = [x]
        for level in self.down_blocks:
            x, saved = level(x, temb, encoder_hidden_states)
            skips += saved
        x = self.mid_block(x, temb, encoder_hidden_states)  # (B, 1280, 8, 8)
        for level in self.up_blocks:
            x = level(x, skips, temb, encoder_hidden_states)
        x = self.conv_out(F.silu(self.conv_norm_out(x)))
        return x  # (B, 4, 64, 64): the predicted noise
