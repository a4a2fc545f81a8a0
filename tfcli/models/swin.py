"""Swin Transformer (Liu et al. 2021; transformers' SwinForImageClassification): a patch stem,
four stages of pre-norm blocks attending within (shifted) windows, patch merging between
stages, a final LayerNorm, the mean of the last tokens, a linear head.

    image (B, 3, 224, 224) → (B, 56², 96) → (B, 28², 192) → (B, 14², 384) → (B, 7², 768) → mean → head
"""

from __future__ import annotations

import torch
from torch import nn

from tfcli.blocks import Block, ClassifierHead, PatchEmbedding, make_norm
from tfcli.models.base import TfcliModel
from tfcli.models.sam.image_encoder import window_partition, window_unpartition
from tfcli.models.vit import example_images
from tfcli.presets.swin import PatchMerging as PatchMergingSpec
from tfcli.presets.swin import SwinConfig
from tfcli.spec import NormSpec, ResolvedInput, StackSpec

MASKED = -100.0  # what transformers adds to scores between tokens the cyclic shift made neighbours


def shift_mask(grid: int, window: int, shift: int, device) -> torch.Tensor:
    """(windows, 1, w², w²) additive mask: after rolling the grid by `shift`, the last windows of
    each axis hold tokens from both ends of the image; only tokens of one region attend to each other."""
    idx = torch.arange(grid, device=device)
    region = (idx >= grid - window).long() + (idx >= grid - shift).long()  # 0, 1, 2 along each axis
    cells = (region[:, None] * 3 + region[None, :]).float()[None, :, :, None]  # (1, g, g, 1)
    ids = window_partition(cells, window)[0].reshape(-1, window * window)  # (windows, w²)
    diff = ids[:, None, :] - ids[:, :, None]
    return diff.masked_fill(diff != 0, MASKED).unsqueeze(1)


class SwinBlock(Block):
    """The shared pre-norm block (attention, feed-forward, this block's relative table), with its
    attention run per window; odd blocks roll the grid by half a window first."""

    def __init__(self, spec, shift: int):
        super().__init__(spec)
        self.window, self.shift = spec.attention.window, shift

    def forward(self, x: torch.Tensor, grid: int) -> torch.Tensor:
        B, T, C = x.shape
        w = self.window
        shift = self.shift if grid > w else 0  # one window covers the grid: nothing to shift
        h = self.attn_norm(x).view(B, grid, grid, C)
        if shift:
            h = torch.roll(h, (-shift, -shift), dims=(1, 2))
        windows, padded = window_partition(h, w)  # (B·windows, w, w, C)
        bias = self.rel_pos(w * w)  # (1, heads, w², w²)
        if shift:
            bias = bias + shift_mask(grid, w, shift, x.device).repeat(B, 1, 1, 1)  # (B·windows, heads, w², w²)
        out = self.attn(windows.reshape(-1, w * w, C), attn_bias=bias).view(-1, w, w, C)
        h = window_unpartition(out, w, padded, (grid, grid))
        if shift:
            h = torch.roll(h, (shift, shift), dims=(1, 2))
        x = x + h.reshape(B, T, C)
        return x + self.ffn(self.ffn_norm(x))


class PatchMerging(nn.Module):
    """2×2 neighbours concatenated (4C), normalised, mapped to 2C: (B, g², C) → (B, (g/2)², 2C)."""

    category = "other"

    def __init__(self, spec: PatchMergingSpec):
        super().__init__()
        self.norm = make_norm(NormSpec("layer", 4 * spec.dim))
        self.reduction = nn.Linear(4 * spec.dim, 2 * spec.dim, bias=False)

    def forward(self, x: torch.Tensor, grid: int) -> torch.Tensor:
        B, _, C = x.shape
        x = x.view(B, grid, grid, C)
        # transformers' order: (0, 0), (1, 0), (0, 1), (1, 1) offsets of each 2×2 cell
        x = torch.cat([x[:, r::2, c::2] for c in range(2) for r in range(2)], dim=-1)  # (B, g/2, g/2, 4C)
        return self.reduction(self.norm(x.view(B, -1, 4 * C)))


class SwinStage(nn.Module):
    def __init__(self, spec: StackSpec, merge: PatchMergingSpec | None):
        super().__init__()
        half = spec.block.attention.window // 2
        self.blocks = nn.ModuleList(SwinBlock(spec.block, 0 if i % 2 == 0 else half) for i in range(spec.num_layers))
        self.merge = PatchMerging(merge) if merge is not None else None

    def forward(self, x: torch.Tensor, grid: int) -> tuple[torch.Tensor, int]:
        for block in self.blocks:
            x = block(x, grid)
        if self.merge is not None:
            return self.merge(x, grid), grid // 2
        return x, grid


class SwinModel(TfcliModel):
    def __init__(self, config: SwinConfig):
        super().__init__()
        self.config = c = config
        layout = c.layout()
        self.patch_embed = PatchEmbedding(c.patch_size, c.in_channels, c.embed_dim)
        self.embed_norm = make_norm(layout["embed_norm"])
        self.stages = nn.ModuleList(
            SwinStage(layout[f"stages.{i}"], layout[f"stages.{i}.merge"] if i < c.num_stages - 1 else None)
            for i in range(c.num_stages)
        )
        self.norm = make_norm(layout["norm"])
        self.head = ClassifierHead(c.width(c.num_stages - 1), c.num_classes) if c.num_classes else None

    def inputs_for(self, x: ResolvedInput, device):
        return example_images(x, self.config, device)

    def components(self):
        parts = {"patch embedding": self.patch_embed, "stages": self.stages}
        return parts | ({"head": self.head} if self.head is not None else {})

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        grid = pixel_values.shape[-1] // self.config.patch_size
        x = self.embed_norm(self.patch_embed(pixel_values))  # (B, g², C)
        for stage in self.stages:
            x, grid = stage(x, grid)
        pooled = self.norm(x).mean(dim=1)  # (B, 8C)
        return self.head(pooled) if self.head is not None else pooled
