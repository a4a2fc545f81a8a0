"""Multi-head attention on F.scaled_dot_product_attention.

One module covers bidirectional, causal and cross attention and grouped key/value
heads (MHA when num_kv_heads == num_heads, GQA when fewer, MQA when 1). The flags
it is built with (causal, cross, window) are what the classifier reads.
"""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

from tfcli.blocks.embeddings import apply_rotary
from tfcli.spec.parts import AttentionSpec


class Attention(nn.Module):
    category = "attention"

    def __init__(
        self,
        d_model: int,
        num_heads: int,
        *,
        num_kv_heads: int | None = None,
        head_dim: int | None = None,
        kv_dim: int | None = None,
        causal: bool = False,
        qkv_bias: bool = True,
        out_bias: bool | None = None,
        scale: float | None = None,
        window: int = 0,
        local_window: int = 0,
    ):
        super().__init__()
        self.num_heads = num_heads
        self.num_kv_heads = num_kv_heads or num_heads
        self.head_dim = head_dim or d_model // num_heads
        self.causal = causal
        self.cross = kv_dim is not None
        self.scale = scale
        self.window = window  # > 0: the block partitions tokens into windows of this side (SAM)
        self.local_window = local_window  # > 0: each token sees ±local_window//2 tokens (ModernBERT)
        q_dim = self.num_heads * self.head_dim
        kv_out = self.num_kv_heads * self.head_dim
        if self.cross:
            # keys/values come from another sequence (and may differ from each other: SAM adds
            # positions to keys only), so they get their own projections
            self.q = nn.Linear(d_model, q_dim, bias=qkv_bias)
            self.k = nn.Linear(kv_dim, kv_out, bias=qkv_bias)
            self.v = nn.Linear(kv_dim, kv_out, bias=qkv_bias)
        else:
            # self-attention: one matmul for Q, K and V
            self.qkv = nn.Linear(d_model, q_dim + 2 * kv_out, bias=qkv_bias)
        self.out = nn.Linear(q_dim, d_model, bias=qkv_bias if out_bias is None else out_bias)

    @classmethod
    def from_spec(cls, spec: AttentionSpec) -> "Attention":
        return cls(
            spec.d_model, spec.num_heads, num_kv_heads=spec.num_kv_heads, head_dim=spec.head_dim,
            kv_dim=spec.kv_dim, causal=spec.causal, qkv_bias=spec.qkv_bias, out_bias=spec.out_bias,
            scale=spec.scale, window=spec.window, local_window=spec.local_window,
        )

    @property
    def kind(self) -> str:
        if self.cross:
            return "cross"
        return "causal" if self.causal else "bidirectional"

    def forward(
        self,
        x: torch.Tensor,
        context: torch.Tensor | None = None,
        *,
        value: torch.Tensor | None = None,
        attn_bias: torch.Tensor | Callable[[torch.Tensor], torch.Tensor] | None = None,
        rope: tuple[torch.Tensor, torch.Tensor] | None = None,
    ) -> torch.Tensor:
        B, T, _ = x.shape
        hd = self.head_dim
        if self.cross:
            if context is None:
                raise ValueError("cross-attention needs a context")
            S = context.shape[1]
            q = self.q(x)
            k = self.k(context)
            v = self.v(context if value is None else value)
        elif value is None:
            S = T
            q, k, v = self.qkv(x).split(
                [self.num_heads * hd, self.num_kv_heads * hd, self.num_kv_heads * hd], dim=-1
            )
        else:
            # self-attention whose values differ from its queries/keys (SAM's two-way
            # transformer adds positions to Q and K only): the fused weight's V rows read `value`
            S = T
            n_qk = (self.num_heads + self.num_kv_heads) * hd
            w, b = self.qkv.weight, self.qkv.bias
            q, k = F.linear(x, w[:n_qk], None if b is None else b[:n_qk]).split(
                [self.num_heads * hd, self.num_kv_heads * hd], dim=-1
            )
            v = F.linear(value, w[n_qk:], None if b is None else b[n_qk:])
        q = q.view(B, T, self.num_heads, hd).transpose(1, 2)  # (B, h, T, hd)
        k = k.view(B, S, self.num_kv_heads, hd).transpose(1, 2)  # (B, kv, S, hd)
        v = v.view(B, S, self.num_kv_heads, hd).transpose(1, 2)
        if rope is not None:
            q, k = apply_rotary(q, k, *rope)
        if callable(attn_bias):  # biases computed from the queries (SAM's relative positions)
            attn_bias = attn_bias(q)
        if self.local_window and attn_bias is None:  # a band: |i - j| <= local_window // 2
            i = torch.arange(T, device=x.device)
            attn_bias = (i[:, None] - torch.arange(S, device=x.device)[None, :]).abs() <= self.local_window // 2
        is_causal = self.causal
        if attn_bias is not None and is_causal:
            # SDPA takes a mask or is_causal, not both: fold the causal mask into the bias
            future = torch.ones(T, S, dtype=torch.bool, device=x.device).triu(1)
            attn_bias = attn_bias.masked_fill(future, float("-inf"))
            is_causal = False
        if self.num_kv_heads != self.num_heads:
            # each group of query heads shares one key/value head
            rep = self.num_heads // self.num_kv_heads
            k = k.repeat_interleave(rep, dim=1)
            v = v.repeat_interleave(rep, dim=1)
        y = F.scaled_dot_product_attention(
            q, k, v, attn_mask=attn_bias, is_causal=is_causal, scale=self.scale
        )  # (B, h, T, hd)
        y = y.transpose(1, 2).reshape(B, T, self.num_heads * hd)
        return self.out(y)
