"""The UNet's levels: each a few ResNet blocks, each optionally followed by a spatial transformer.

A down level ends by halving the side, an up level by doubling it; the up levels eat the
skip connections the down levels saved, one per ResNet block.
"""

from __future__ import annotations

import torch
from torch import nn

from tfcli.models.diffusion.resnet import Downsample, ResnetBlock, Upsample
from tfcli.models.diffusion.transformer2d import SpatialTransformer
from tfcli.presets.diffusion import UNetConfig


def _resnet(cfg: UNetConfig, c_in: int, c_out: int) -> ResnetBlock:
    return ResnetBlock(c_in, c_out, cfg.time_embed_dim, cfg.norm_num_groups, cfg.norm_eps)


def _transformer(cfg: UNetConfig, channels: int) -> SpatialTransformer:
    return SpatialTransformer(
        channels, cfg.num_heads, cfg.cross_attention_dim, cfg.transformer_layers_per_block, cfg.norm_num_groups
    )


class DownLevel(nn.Module):
    def __init__(self, cfg: UNetConfig, level: int):
        super().__init__()
        plan = cfg.down_plan()[level]
        c = plan[0][1]
        self.resnets = nn.ModuleList(_resnet(cfg, a, b) for a, b in plan)
        cross = cfg.down_block_types[level] == "cross"
        self.attentions = nn.ModuleList(_transformer(cfg, b) for _, b in plan) if cross else None
        self.downsample = Downsample(c) if level < cfg.downsamples else None

    def forward(self, x, temb, context) -> tuple[torch.Tensor, list[torch.Tensor]]:
        skips = []
        for j, resnet in enumerate(self.resnets):
            x = resnet(x, temb)
            if self.attentions is not None:
                x = self.attentions[j](x, context)
            skips.append(x)
        if self.downsample is not None:
            x = self.downsample(x)  # (B, C, H/2, W/2)
            skips.append(x)
        return x, skips


class MidBlock(nn.Module):
    """ResNet → spatial transformer → ResNet at the lowest resolution (8×8 latents at 512 px)."""

    def __init__(self, cfg: UNetConfig):
        super().__init__()
        c = cfg.block_out_channels[-1]
        self.resnets = nn.ModuleList([_resnet(cfg, c, c), _resnet(cfg, c, c)])
        self.attentions = nn.ModuleList([_transformer(cfg, c)])

    def forward(self, x, temb, context):
        x = self.resnets[0](x, temb)
        x = self.attentions[0](x, context)
        return self.resnets[1](x, temb)


class UpLevel(nn.Module):
    def __init__(self, cfg: UNetConfig, level: int):
        super().__init__()
        plan = cfg.up_plan()[level]
        c = plan[0][1]
        self.resnets = nn.ModuleList(_resnet(cfg, a, b) for a, b in plan)
        cross = cfg.up_block_types[level] == "cross"
        self.attentions = nn.ModuleList(_transformer(cfg, b) for _, b in plan) if cross else None
        self.upsample = Upsample(c) if level < cfg.downsamples else None

    def forward(self, x, skips: list[torch.Tensor], temb, context):
        for j, resnet in enumerate(self.resnets):
            x = torch.cat([x, skips.pop()], dim=1)  # (B, C + C_skip, H, W)
            x = resnet(x, temb)
            if self.attentions is not None:
                x = self.attentions[j](x, context)
        if self.upsample is not None:
            x = self.upsample(x)  # (B, C, 2H, 2W)
        return x
