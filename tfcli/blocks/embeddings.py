"""Token and patch embeddings, and every kind of position encoding the families use."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
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
    """Fixed sine/cosine encodings of the original Transformer; no parameters, any length.

    `stored` > 0 keeps a table of that many positions as a frozen parameter, the way
    transformers' Marian, Pegasus and Whisper hold it (so it counts in their totals);
    positions past it wrap around, as LearnedPositions' do. `halves`: sines fill the
    first half of the channels and cosines the second, instead of alternating."""

    category = "embeddings"

    def __init__(self, dim: int, base: float = 10000.0, stored: int = 0, halves: bool = False):
        super().__init__()
        self.dim, self.base, self.halves = dim, base, halves
        self.weight = None
        if stored:
            self.weight = nn.Parameter(self.table(stored), requires_grad=False)

    def table(self, seq_len: int, device=None) -> torch.Tensor:
        pos = torch.arange(seq_len, device=device, dtype=torch.float32)[:, None]
        freq = torch.exp(
            torch.arange(0, self.dim, 2, device=device, dtype=torch.float32)
            * (-math.log(self.base) / self.dim)
        )
        if self.halves:
            return torch.cat([torch.sin(pos * freq), torch.cos(pos * freq)], dim=-1)  # (T, dim)
        pe = torch.zeros(seq_len, self.dim, device=device)
        pe[:, 0::2] = torch.sin(pos * freq)
        pe[:, 1::2] = torch.cos(pos * freq)
        return pe  # (T, dim)

    def forward(self, seq_len: int, device=None, dtype=None) -> torch.Tensor:
        if self.weight is not None:
            pe = self.weight[torch.arange(seq_len, device=self.weight.device) % self.weight.shape[0]]
        else:
            pe = self.table(seq_len, device)
        return pe.to(dtype) if dtype is not None else pe  # (T, dim)


class Rotary(nn.Module):
    """Rotary position embedding (RoPE): rotates Q and K by position; no parameters.

    `rotary_dim` < head_dim turns only the first rotary_dim channels of each head (GPT-NeoX
    25%, Phi 40%, GPT-J 64 of 256); `interleaved` pairs channels (0,1), (2,3)… as GPT-J does,
    instead of (0, d/2), (1, d/2+1)…
    """

    category = "embeddings"

    def __init__(self, head_dim: int, base: float = 10000.0, rotary_dim: int | None = None,
                 interleaved: bool = False):
        super().__init__()
        self.head_dim, self.base = head_dim, base
        self.rotary_dim, self.interleaved = rotary_dim or head_dim, interleaved

    def forward(self, seq_len: int, device=None, dtype=None) -> tuple[torch.Tensor, torch.Tensor, bool]:
        dims = self.rotary_dim
        inv_freq = 1.0 / (self.base ** (torch.arange(0, dims, 2, device=device, dtype=torch.float32) / dims))
        t = torch.arange(seq_len, device=device, dtype=torch.float32)
        angles = torch.outer(t, inv_freq)
        if self.interleaved:
            angles = angles.repeat_interleave(2, dim=-1)  # (T, rotary_dim): pairs side by side
        else:
            angles = torch.cat((angles, angles), dim=-1)  # (T, rotary_dim): halves
        return angles.cos().to(dtype), angles.sin().to(dtype), self.interleaved


def apply_rotary(q, k, cos, sin, interleaved: bool = False):
    def rotate(x):
        if interleaved:  # (x0, x1) → (-x1, x0) for each adjacent pair
            return torch.stack((-x[..., 1::2], x[..., 0::2]), dim=-1).flatten(-2)
        x1, x2 = x.chunk(2, dim=-1)
        return torch.cat((-x2, x1), dim=-1)

    def turn(x):
        r = cos.shape[-1]
        if r == x.shape[-1]:
            return x * cos + rotate(x) * sin
        # partial rotary: the channels past rotary_dim pass through unrotated
        head, tail = x[..., :r], x[..., r:]
        return torch.cat((head * cos + rotate(head) * sin, tail), dim=-1)

    return turn(q), turn(k)


class Alibi(nn.Module):
    """ALiBi (BLOOM, Falcon-RW): no position vectors; head h adds slope_h·(j − i) to the score
    of query i on key j, so attention decays linearly with distance. No parameters."""

    category = "embeddings"

    def __init__(self, num_heads: int, scale: float = 1.0):
        super().__init__()
        self.num_heads, self.scale = num_heads, scale

    def slopes(self) -> list[float]:
        # a geometric sequence 2^(-8/n)…; head counts that are not a power of two take the
        # nearest power's slopes, then every other slope of the next power (Press et al.)
        n = self.num_heads
        closest = 2 ** math.floor(math.log2(n))
        slopes = [2 ** (-8 * (i + 1) / closest) for i in range(closest)]
        slopes += [2 ** (-4 * (2 * i + 1) / closest) for i in range(n - closest)]
        return slopes

    def forward(self, q_len: int, k_len: int, device=None, dtype=None) -> torch.Tensor:
        slopes = torch.tensor([self.scale * m for m in self.slopes()], device=device, dtype=torch.float32)
        dist = torch.arange(k_len, device=device)[None, :] - torch.arange(q_len, device=device)[:, None]
        bias = slopes[:, None, None] * dist[None].float()  # (heads, q, k)
        return bias.unsqueeze(0).to(dtype)  # (1, heads, q, k)


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


class RelativePositionBias(nn.Module):
    """A learned bias per head for each 2-D offset between two tokens of a g×g grid (BEiT's
    whole patch grid, Swin's window), added to the attention scores: a ((2g−1)² [+3], heads)
    table read through an index of every token pair. With a [CLS] (BEiT), three extra rows
    hold [CLS]→patch, patch→[CLS] and [CLS]→[CLS]. A grid other than the trained one reads
    the offset table resampled bilinearly, as transformers does."""

    category = "embeddings"

    def __init__(self, grid: int, num_heads: int, cls: bool = False):
        super().__init__()
        self.grid, self.cls = grid, cls
        self.table = nn.Parameter(torch.zeros((2 * grid - 1) ** 2 + (3 if cls else 0), num_heads))

    @classmethod
    def from_spec(cls, spec) -> "RelativePositionBias":
        return cls(spec.grid, spec.num_heads, spec.cls)

    def forward(self, num_tokens: int) -> torch.Tensor:
        """The (1, heads, T, T) bias for T tokens: [CLS] (if any) + a square grid."""
        g = math.isqrt(num_tokens - int(self.cls))
        offsets = self.table[: (2 * self.grid - 1) ** 2]
        if g != self.grid:
            side = 2 * self.grid - 1
            grid = offsets.t().reshape(1, -1, side, side)  # (1, heads, 2g-1, 2g-1)
            grid = F.interpolate(grid, size=(2 * g - 1, 2 * g - 1), mode="bilinear")
            offsets = grid.reshape(grid.shape[1], -1).t()
        steps = torch.arange(g, device=offsets.device)
        ys, xs = steps.repeat_interleave(g), steps.repeat(g)  # each token's row and column
        # offset (Δy, Δx) → row (Δy + g − 1)·(2g − 1) + (Δx + g − 1)
        index = (ys[:, None] - ys[None, :] + g - 1) * (2 * g - 1) + (xs[:, None] - xs[None, :] + g - 1)
        if self.cls:
            n = (2 * g - 1) ** 2
            offsets = torch.cat([offsets, self.table[-3:]])
            index = F.pad(index, (1, 0, 1, 0), value=n + 1)  # patch → [CLS] (first column)
            index[0, :] = n  # [CLS] → patch
            index[0, 0] = n + 2  # [CLS] → [CLS]
        return offsets[index].permute(2, 0, 1).unsqueeze(0)  # (1, heads, T, T)


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
