"""Pieces every Vision Transformer shares: the patch grid and a resizable position table.

A ViT learns one position vector per token of its training grid (224/16 → 14×14) plus its
prefix tokens ([CLS], registers). At another image size the grid changes, so the patch part
of the table is resampled in 2-D (bicubic), as timm and transformers do at load/forward
time; the prefix rows are kept as they are.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from tfcli.blocks.embeddings import PatchEmbedding


def interpolate_positions(
    table: torch.Tensor,
    old_grid: tuple[int, int],
    new_grid: tuple[int, int],
    num_prefix: int = 1,
    antialias: bool = False,
) -> torch.Tensor:
    """Resample a (N, d) position table laid out as `num_prefix` rows + an old_grid patch grid
    to new_grid, bicubic in 2-D; returns (num_prefix + new_h*new_w, d)."""
    if tuple(old_grid) == tuple(new_grid):
        return table
    prefix, patches = table[:num_prefix], table[num_prefix:]
    d = table.shape[-1]
    grid = patches.reshape(1, old_grid[0], old_grid[1], d).permute(0, 3, 1, 2)  # (1, d, h, w)
    # resample in float32: bicubic in half precision shifts the embeddings
    grid = F.interpolate(
        grid.float(), size=tuple(new_grid), mode="bicubic", align_corners=False, antialias=antialias
    ).to(table.dtype)  # (1, d, H, W)
    patches = grid.permute(0, 2, 3, 1).reshape(new_grid[0] * new_grid[1], d)
    return torch.cat([prefix, patches], dim=0)


class VisionPositions(nn.Module):
    """A learned 1-D table of (num_prefix + grid²) position vectors, read back at any grid."""

    category = "embeddings"

    def __init__(self, grid: int, dim: int, num_prefix: int = 1, antialias: bool = False):
        super().__init__()
        self.grid, self.num_prefix, self.antialias = grid, num_prefix, antialias
        self.weight = nn.Parameter(torch.empty(num_prefix + grid * grid, dim))
        nn.init.normal_(self.weight, std=0.02)

    def forward(self, new_grid: tuple[int, int]) -> torch.Tensor:
        table = interpolate_positions(
            self.weight, (self.grid, self.grid), new_grid, self.num_prefix, self.antialias
        )  # (num_prefix + H*W, dim)
        # never hand out the Parameter itself: output hooks (FlopCounterMode's module tracker,
        # under inference mode) cannot attach to a leaf that requires grad
        return table.clone() if table is self.weight else table


class VisionEmbeddings(nn.Module):
    """Images → the token sequence a ViT encoder reads:
    [CLS] (optional), register tokens (optional, no positions), then one token per patch.

    The [CLS] and patch tokens get learned positions, resampled when the grid differs from
    the training grid; a mask token (DINOv2) stands in for masked patches in pre-training.
    """

    category = "embeddings"

    def __init__(
        self,
        patch_size: int,
        in_channels: int,
        dim: int,
        grid: int,
        *,
        class_token: bool = True,
        distillation_token: bool = False,
        num_registers: int = 0,
        mask_token: bool = False,
        patch_bias: bool = True,
        antialias: bool = False,
        positions: bool = True,
    ):
        super().__init__()
        self.patch_size = patch_size
        self.patch_embed = PatchEmbedding(patch_size, in_channels, dim, bias=patch_bias)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim)) if class_token else None
        # DeiT: a second learned token after [CLS], with its own position, read by the distillation head
        self.distillation_token = nn.Parameter(torch.zeros(1, 1, dim)) if distillation_token else None
        self.mask_token = nn.Parameter(torch.zeros(1, dim)) if mask_token else None
        self.registers = nn.Parameter(torch.zeros(1, num_registers, dim)) if num_registers else None
        self.prefix = int(class_token) + int(distillation_token)  # tokens before the patches with positions
        # BEiT: no absolute table (each block's relative bias places the tokens)
        self.positions = VisionPositions(grid, dim, num_prefix=self.prefix, antialias=antialias) if positions else None

    @property
    def num_prefix(self) -> int:
        """Tokens before the patches: [CLS] and registers."""
        regs = self.registers.shape[1] if self.registers is not None else 0
        return self.prefix + regs

    def forward(self, images: torch.Tensor, masked: torch.Tensor | None = None) -> torch.Tensor:
        B, _, H, W = images.shape
        p = self.patch_size
        x = self.patch_embed(images)  # (B, N, d), N = (H/p)(W/p)
        if masked is not None and self.mask_token is not None:  # masked: (B, N) bool
            x = torch.where(masked.unsqueeze(-1), self.mask_token.to(x.dtype), x)
        prefix = [t.expand(B, -1, -1) for t in (self.cls_token, self.distillation_token) if t is not None]
        if prefix:
            x = torch.cat([*prefix, x], dim=1)  # (B, prefix + N, d)
        if self.positions is not None:
            x = x + self.positions((H // p, W // p))
        if self.registers is not None:
            # registers sit between [CLS] and the patches and carry no position
            c = self.prefix
            x = torch.cat([x[:, :c], self.registers.expand(B, -1, -1), x[:, c:]], dim=1)
        return x  # (B, prefix + N, d)
