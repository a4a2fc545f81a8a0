"""Token and patch embeddings, and every kind of position encoding the families use."""

from __future__ import annotations

import math

import torch
from torch import nn


class TokenEmbedding(nn.Embedding):
    category = "embeddings"


class EmbeddingProjection(nn.Linear):
    """Narrow embeddings projected up to the encoder's width (ALBERT's factorised embeddings,
    ELECTRA-small's embeddings_project)."""

    category = "embeddings"


class LearnedPositions(nn.Module):
    """A learned absolute position table (BERT, GPT-2, BART, CLIP text).

    `offset` rows sit before position 0 (BART reserves 2). Positions past the table
    wrap around, so a model can be counted or timed beyond its trained context; the
    commands say when that happens.
    """

    category = "embeddings"

    def __init__(self, max_positions: int, dim: int, offset: int = 0):
        super().__init__()
        self.max_positions, self.offset = max_positions, offset
        self.weight = nn.Parameter(torch.empty(max_positions + offset, dim))
        nn.init.normal_(self.weight, std=0.02)

    def forward(self, seq_len: int, start: int = 0) -> torch.Tensor:
        pos = torch.arange(start, start + seq_len, device=self.weight.device)
        return self.weight[pos % self.max_positions + self.offset]  # (T, dim)


class SinusoidalPositions(nn.Module):
    """Fixed sine/cosine encodings of the original Transformer; no parameters, any length."""

    category = "embeddings"

    def __init__(self, dim: int, base: float = 10000.0):
        super().__init__()
        self.dim, self.base = dim, base

    def forward(self, seq_len: int, device=None, dtype=None) -> torch.Tensor:
        pos = torch.arange(seq_len, device=device, dtype=torch.float32)[:, None]
        freq = torch.exp(
            torch.arange(0, self.dim, 2, device=device, dtype=torch.float32)
            * (-math.log(self.base) / self.dim)
        )
        pe = torch.zeros(seq_len, self.dim, device=device)
        pe[:, 0::2] = torch.sin(pos * freq)
        pe[:, 1::2] = torch.cos(pos * freq)
        return pe.to(dtype) if dtype is not None else pe  # (T, dim)


class Rotary(nn.Module):
    """Rotary position embedding (RoPE): rotates Q and K by position; no parameters."""

    category = "embeddings"

    def __init__(self, head_dim: int, base: float = 10000.0):
        super().__init__()
        self.head_dim, self.base = head_dim, base

    def forward(self, seq_len: int, device=None, dtype=None) -> tuple[torch.Tensor, torch.Tensor]:
        inv_freq = 1.0 / (
            self.base
            ** (torch.arange(0, self.head_dim, 2, device=device, dtype=torch.float32) / self.head_dim)
        )
        t = torch.arange(seq_len, device=device, dtype=torch.float32)
        angles = torch.outer(t, inv_freq)
        angles = torch.cat((angles, angles), dim=-1)  # (T, head_dim)
        return angles.cos().to(dtype), angles.sin().to(dtype)


def apply_rotary(q, k, cos, sin):
    def rotate_half(x):
        x1, x2 = x.chunk(2, dim=-1)
        return torch.cat((-x2, x1), dim=-1)

    return q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin


class T5RelativeBias(nn.Module):
    """T5's bucketed relative-position bias: one learned scalar per (bucket, head),
    added to the attention scores of every layer (only the first layer owns it)."""

    category = "embeddings"

    def __init__(self, num_buckets: int, max_distance: int, num_heads: int, bidirectional: bool):
        super().__init__()
        self.num_buckets, self.max_distance = num_buckets, max_distance
        self.bidirectional = bidirectional
        self.bias = nn.Embedding(num_buckets, num_heads)

    def _bucket(self, rel: torch.Tensor) -> torch.Tensor:
        buckets = self.num_buckets
        out = torch.zeros_like(rel)
        if self.bidirectional:
            buckets //= 2
            out = out + (rel > 0).long() * buckets
            rel = rel.abs()
        else:
            rel = -torch.clamp(rel, max=0)
        exact = buckets // 2
        is_small = rel < exact
        # distances past `exact` share logarithmically wider buckets up to max_distance
        large = exact + (
            torch.log(rel.float().clamp(min=1) / exact)
            / math.log(self.max_distance / exact)
            * (buckets - exact)
        ).long()
        large = torch.clamp(large, max=buckets - 1)
        return out + torch.where(is_small, rel, large)

    def forward(self, q_len: int, k_len: int) -> torch.Tensor:
        device = self.bias.weight.device
        rel = torch.arange(k_len, device=device)[None, :] - torch.arange(q_len, device=device)[:, None]
        values = self.bias(self._bucket(rel))  # (q, k, heads)
        return values.permute(2, 0, 1).unsqueeze(0)  # (1, heads, q, k)


class PatchEmbedding(nn.Module):
    """Image → tokens: a conv with kernel = stride = patch size cuts the image into
    non-overlapping patches and projects each one to d_model (224/16 → 14×14 = 196)."""

    category = "embeddings"

    def __init__(self, patch_size: int, in_channels: int, dim: int, bias: bool = True):
        super().__init__()
        self.patch_size = patch_size
        self.proj = nn.Conv2d(in_channels, dim, kernel_size=patch_size, stride=patch_size, bias=bias)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        x = self.proj(images)  # (B, dim, H/p, W/p)
        return x.flatten(2).transpose(1, 2)  # (B, N, dim)
