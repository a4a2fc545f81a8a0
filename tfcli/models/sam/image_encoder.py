"""SAM's image encoder: a ViT over a 64×64 patch grid whose blocks attend within 14×14
windows (a few global blocks mix the whole image), with decomposed relative-position
biases, and a convolutional neck down to the 256-channel image embedding.

    image (B, 3, 1024, 1024) → patches (B, 64, 64, d) → blocks → neck → (B, 256, 64, 64)
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from tfcli.blocks import Attention, FeedForward, PatchEmbedding
from tfcli.models.sam.common import LayerNorm2d
from tfcli.presets.sam import SamConfig


class GridPositions(nn.Module):
    """A learned absolute position per patch, kept as a (1, H, W, d) grid."""

    category = "embeddings"

    def __init__(self, grid: int, dim: int):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(1, grid, grid, dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.weight  # (B, H, W, d)


class DecomposedRelPos(nn.Module):
    """Relative positions split by axis (MViTv2): a learned vector per vertical offset and
    one per horizontal offset; the bias for (query, key) is q·R_h[Δy] + q·R_w[Δx].
    Sized for a `size`×`size` window of tokens (2·size − 1 offsets per axis)."""

    category = "embeddings"

    def __init__(self, size: int, head_dim: int):
        super().__init__()
        self.size = size
        self.rel_pos_h = nn.Parameter(torch.zeros(2 * size - 1, head_dim))
        self.rel_pos_w = nn.Parameter(torch.zeros(2 * size - 1, head_dim))

    def _table(self, table: torch.Tensor, n: int) -> torch.Tensor:
        if n != self.size:  # another grid size: resample the offsets linearly
            table = F.interpolate(table.t()[None], size=2 * n - 1, mode="linear")[0].t()
        offsets = torch.arange(n, device=table.device)
        return table[offsets[:, None] - offsets[None, :] + (n - 1)]  # (n, n, head_dim)

    def bias(self, q: torch.Tensor, h: int, w: int) -> torch.Tensor:
        """q: (B, heads, h*w, head_dim) → additive scores (B, heads, h*w, h*w)."""
        B, nh, _, hd = q.shape
        r = q.reshape(B, nh, h, w, hd)
        rel_h = torch.einsum("bnhwc,hkc->bnhwk", r, self._table(self.rel_pos_h, h))  # (B, nh, h, w, h)
        rel_w = torch.einsum("bnhwc,wkc->bnhwk", r, self._table(self.rel_pos_w, w))  # (B, nh, h, w, w)
        return (rel_h[..., :, None] + rel_w[..., None, :]).reshape(B, nh, h * w, h * w)


def window_partition(x: torch.Tensor, window: int) -> tuple[torch.Tensor, tuple[int, int]]:
    """(B, H, W, C) → (B·nW, window, window, C), zero-padding H and W up to the window."""
    B, H, W, C = x.shape
    pad_h, pad_w = (window - H % window) % window, (window - W % window) % window
    if pad_h or pad_w:
        x = F.pad(x, (0, 0, 0, pad_w, 0, pad_h))
    Hp, Wp = H + pad_h, W + pad_w
    x = x.view(B, Hp // window, window, Wp // window, window, C)
    return x.permute(0, 1, 3, 2, 4, 5).reshape(-1, window, window, C), (Hp, Wp)


def window_unpartition(x: torch.Tensor, window: int, padded: tuple[int, int], size: tuple[int, int]) -> torch.Tensor:
    (Hp, Wp), (H, W) = padded, size
    B = x.shape[0] // (Hp * Wp // window // window)
    x = x.view(B, Hp // window, Wp // window, window, window, -1)
    x = x.permute(0, 1, 3, 2, 4, 5).reshape(B, Hp, Wp, -1)
    return x[:, :H, :W].contiguous()


class EncoderBlock(nn.Module):
    """Pre-norm ViT block; windowed when `window` > 0, else attends over the whole grid."""

    def __init__(self, c: SamConfig, window: int):
        super().__init__()
        self.window = window
        self.norm1 = nn.LayerNorm(c.d_model, eps=c.norm_eps)
        self.attn = Attention(c.d_model, c.num_heads, window=window)
        self.rel_pos = DecomposedRelPos(window or c.grid, c.head_dim)
        self.norm2 = nn.LayerNorm(c.d_model, eps=c.norm_eps)
        self.mlp = FeedForward(c.d_model, c.ffn_dim, "gelu")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, H, W, C = x.shape
        h = self.norm1(x)
        if self.window:
            h, padded = window_partition(h, self.window)  # (B·nW, w, w, C)
        th, tw = h.shape[1:3]
        tokens = h.reshape(h.shape[0], th * tw, C)
        # the relative-position bias depends on the queries, so Attention computes it from q
        h = self.attn(tokens, attn_bias=lambda q: self.rel_pos.bias(q, th, tw)).view(-1, th, tw, C)
        if self.window:
            h = window_unpartition(h, self.window, padded, (H, W))
        x = x + h
        return x + self.mlp(self.norm2(x))


class Neck(nn.Module):
    """1×1 conv to the embedding width, 3×3 conv; each followed by a channel LayerNorm."""

    def __init__(self, d_model: int, out: int, eps: float):
        super().__init__()
        self.conv1 = nn.Conv2d(d_model, out, 1, bias=False)
        self.norm1 = LayerNorm2d(out, eps=eps)
        self.conv2 = nn.Conv2d(out, out, 3, padding=1, bias=False)
        self.norm2 = LayerNorm2d(out, eps=eps)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm2(self.conv2(self.norm1(self.conv1(x))))


class ImageEncoder(nn.Module):
    def __init__(self, c: SamConfig):
        super().__init__()
        self.patch_embed = PatchEmbedding(c.patch_size, 3, c.d_model)
        self.pos_embed = GridPositions(c.grid, c.d_model)
        self.layers = nn.ModuleList(
            EncoderBlock(c, 0 if i in c.global_attn_indexes else c.window_size) for i in range(c.num_layers)
        )
        self.neck = Neck(c.d_model, c.embed_dim, c.norm_eps)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        B, _, H, W = images.shape
        p = self.patch_embed.patch_size
        x = self.patch_embed(images).view(B, H // p, W // p, -1)  # (B, 64, 64, d)
        x = self.pos_embed(x)
        for layer in self.layers:
            x = layer(x)
        return self.neck(x.permute(0, 3, 1, 2))  # (B, 256, 64, 64)
