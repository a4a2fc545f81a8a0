"""SAM's prompt encoder: points and box corners become sparse tokens, a mask prompt
becomes a dense map added to the image embedding.

Every coordinate is encoded by the random Fourier features shared with the mask decoder
(the same features give the image grid its positions), plus a learned vector saying what
the coordinate is: a positive or negative click, a box's top-left or bottom-right corner,
or padding ("not a point").
"""

from __future__ import annotations

import math
import torch
from torch import nn

from tfcli.blocks import TokenEmbedding
from tfcli.models.sam.common import LayerNorm2d
from tfcli.presets.sam import SamConfig


class RandomFourierPositions(nn.Module):
    """Positions of points in [0, 1]² → sin/cos of a random Gaussian projection (C/2 of each).

    Called with (h, w) it encodes the pixel centres of an h×w grid (the dense image PE)."""

    category = "embeddings"

    def __init__(self, num_feats: int):
        super().__init__()
        self.gaussian = nn.Parameter(torch.randn(2, num_feats))

    def encode(self, coords: torch.Tensor) -> torch.Tensor:
        """coords (..., 2) as (x, y) in [0, 1] → (..., 2·num_feats)."""
        proj = 2 * math.pi * ((2 * coords - 1) @ self.gaussian)
        return torch.cat([proj.sin(), proj.cos()], dim=-1)

    def forward(self, h: int, w: int) -> torch.Tensor:
        device = self.gaussian.device
        ys = (torch.arange(h, device=device, dtype=torch.float32) + 0.5) / h
        xs = (torch.arange(w, device=device, dtype=torch.float32) + 0.5) / w
        grid = torch.stack([xs[None, :].expand(h, w), ys[:, None].expand(h, w)], dim=-1)  # (h, w, 2)
        return self.encode(grid).permute(2, 0, 1)  # (C, h, w)


class PromptEncoder(nn.Module):
    def __init__(self, c: SamConfig):
        super().__init__()
        C, m = c.embed_dim, c.mask_in_chans
        self.image_size, self.grid = c.image_size, c.grid
        # negative click, positive click, box top-left, box bottom-right
        self.point_embeddings = nn.ModuleList(TokenEmbedding(1, C) for _ in range(4))
        # a 4×-resolution mask prompt (256² for a 64² grid) → (C, 64, 64)
        self.mask_downscaling = nn.Sequential(
            nn.Conv2d(1, m // 4, kernel_size=2, stride=2),
            LayerNorm2d(m // 4, eps=c.norm_eps),
            nn.GELU(),
            nn.Conv2d(m // 4, m, kernel_size=2, stride=2),
            LayerNorm2d(m, eps=c.norm_eps),
            nn.GELU(),
            nn.Conv2d(m, C, kernel_size=1),
        )
        self.not_a_point = TokenEmbedding(1, C)  # padding token
        self.no_mask = TokenEmbedding(1, C)  # the dense embedding when no mask is given

    def _embed_points(self, pe, points, labels, pad: bool):
        points = points + 0.5  # pixel centres
        if pad:  # without a box, a padding point keeps the token count SAM was trained with
            points = torch.cat([points, torch.zeros_like(points[:, :1])], dim=1)
            labels = torch.cat([labels, -torch.ones_like(labels[:, :1])], dim=1)
        emb = pe.encode(points / self.image_size)  # (B', N, C)
        lab = labels[..., None]
        emb = emb * (lab != -1)  # padding carries no position
        emb = emb + (lab == -1) * self.not_a_point.weight
        emb = emb + (lab == 0) * self.point_embeddings[0].weight
        return emb + (lab == 1) * self.point_embeddings[1].weight

    def _embed_boxes(self, pe, boxes):
        corners = pe.encode((boxes + 0.5).reshape(-1, 2, 2) / self.image_size)  # (B', 2, C)
        top_left = corners[:, :1] + self.point_embeddings[2].weight
        bottom_right = corners[:, 1:] + self.point_embeddings[3].weight
        return torch.cat([top_left, bottom_right], dim=1)

    def forward(self, pe, points=None, labels=None, boxes=None, masks=None, *, batch: int):
        """Prompts flattened to B' = images × prompts → sparse (B', N, C), dense (B', C, g, g)."""
        sparse = []
        if points is not None:
            sparse.append(self._embed_points(pe, points, labels, pad=boxes is None))
        if boxes is not None:
            sparse.append(self._embed_boxes(pe, boxes))
        C = self.no_mask.weight.shape[-1]
        if sparse:
            sparse = torch.cat(sparse, dim=1)
        else:
            sparse = self.no_mask.weight.new_zeros(batch, 0, C)
        if masks is not None:
            dense = self.mask_downscaling(masks)  # (B', C, g, g)
        else:
            # a copy, not a view of the weight: module outputs stay ordinary tensors for hooks
            dense = self.no_mask.weight.reshape(1, C, 1, 1).repeat(batch, 1, self.grid, self.grid)
        return sparse, dense
