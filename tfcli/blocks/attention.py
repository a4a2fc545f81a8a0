"""Multi-head attention on F.scaled_dot_product_attention.

One module covers bidirectional, causal and cross attention and grouped key/value
heads (MHA when num_kv_heads == num_heads, GQA when fewer, MQA when 1). The flags
it is built with (causal, cross, window, sliding_window) are what the classifier reads.
Sliding-window layers compute only the band of scores tfcli.spec.tally's convention
counts (`band_blocks`), so the counters measure what the closed form says.
"""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

from tfcli.blocks.embeddings import Rotary, apply_rotary
from tfcli.blocks.norms import make_norm
from tfcli.spec.parts import AttentionSpec
from tfcli.spec.tally import band_blocks


class Attention(nn.Module):
    category = "attention"
    # what the analysis reads off a built attention (classify, structure, flops); set by
    # from_spec, and these defaults hold for subclasses that build their own (MLA)
    pooling = False  # a learned query pooling the sequence (SigLIP)
    window = 0  # SAM / Swin: attends within 2-D windows of this side
    sliding_window = 0  # causal band of this many keys (Mistral, Gemma 2)
    local_window = 0  # bidirectional band of ±local_window//2 tokens (ModernBERT)

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
        pooling: bool = False,
        k_bias: bool | None = None,
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
        self.pooling = pooling  # cross-attention from a learned probe that pools (SigLIP), not a decoder's
        self.q_bias = self.v_bias = None  # separate q and v biases when k has none (BEiT)
        self.local_window = local_window  # > 0: each token sees ±local_window//2 tokens (ModernBERT)
        q_dim = self.num_heads * self.head_dim
        kv_out = self.num_kv_heads * self.head_dim
        if self.cross:
            # keys/values come from another sequence (and may differ from each other: SAM adds
            # positions to keys only), so they get their own projections
            self.q = nn.Linear(d_model, q_dim, bias=qkv_bias)
            self.k = nn.Linear(kv_dim, kv_out, bias=qkv_bias if k_bias is None else k_bias)
            self.v = nn.Linear(kv_dim, kv_out, bias=qkv_bias)
        else:
            # self-attention: one matmul for Q, K and V
            split_bias = qkv_bias and k_bias is False
            self.qkv = nn.Linear(d_model, q_dim + 2 * kv_out, bias=qkv_bias and not split_bias)
            if split_bias:  # BEiT: q and v biases, none for k (softmax cancels a k bias anyway)
                self.q_bias = nn.Parameter(torch.zeros(q_dim))
                self.v_bias = nn.Parameter(torch.zeros(kv_out))
        self.out = nn.Linear(q_dim, d_model, bias=qkv_bias if out_bias is None else out_bias)
        # the decoder-zoo variants, set from an AttentionSpec (from_spec): see its fields
        self.softcap = 0.0
        self.q_norm = self.k_norm = None
        self.qk_norm_per_head = True
        self.rope = None  # a RoPE of this layer's own base, used instead of the model's

    @classmethod
    def from_spec(cls, spec: AttentionSpec) -> "Attention":
        m = cls(
            spec.d_model, spec.num_heads, num_kv_heads=spec.num_kv_heads, head_dim=spec.head_dim,
            kv_dim=spec.kv_dim, causal=spec.causal, qkv_bias=spec.qkv_bias, out_bias=spec.out_bias,
            scale=spec.scale, window=spec.window, pooling=spec.pooling, k_bias=spec.k_bias,
            local_window=spec.local_window,
        )
        m.sliding_window, m.softcap = spec.sliding_window, spec.softcap
        if spec.qk_norms is not None:
            q_norm, k_norm = spec.qk_norms
            m.q_norm, m.k_norm = make_norm(q_norm), make_norm(k_norm)
            m.qk_norm_per_head = q_norm.dim == spec.head_size
        if spec.rope_theta:
            m.rope = Rotary(spec.head_size, spec.rope_theta)
        return m

    @property
    def kind(self) -> str:
        if self.pooling:
            return "pooling"
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
        if self.q_bias is not None:  # BEiT, Whisper: q and v biases, no k bias
            q, v = q + self.q_bias, v + self.v_bias
        if self.q_norm is not None and not self.qk_norm_per_head:  # OLMo 2: over the whole projection
            q, k = self.q_norm(q), self.k_norm(k)
        q = q.view(B, T, self.num_heads, hd)
        k = k.view(B, S, self.num_kv_heads, hd)
        if self.q_norm is not None and self.qk_norm_per_head:  # Qwen3, Gemma 3: each head's vector
            q, k = self.q_norm(q), self.k_norm(k)
        q = q.transpose(1, 2)  # (B, h, T, hd)
        k = k.transpose(1, 2)  # (B, kv, S, hd)
        v = v.view(B, S, self.num_kv_heads, hd).transpose(1, 2)
        if self.rope is not None:
            rope = self.rope(T, x.device, x.dtype)
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
        if self.sliding_window and not self.cross:
            if attn_bias is not None:
                raise ValueError("sliding-window attention takes no attention bias")
            y = self._band(q, k, v)
        else:
            y = _attend(q, k, v, attn_bias, is_causal, self.scale, self.softcap)  # (B, h, T, hd)
        y = y.transpose(1, 2).reshape(B, T, self.num_heads * hd)
        return self.out(y)

    def _band(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        """Causal attention where query i reads keys i-W < j ≤ i, computed as band_blocks says."""
        B, h, T, hd = q.shape
        W = self.sliding_window
        blocks, _, _ = band_blocks(T, W)
        if blocks == 1:
            if T <= W:  # the band covers every earlier key: plain causal attention
                return _attend(q, k, v, None, True, self.scale, self.softcap)
            i = torch.arange(T, device=q.device)
            band = (i[None, :] <= i[:, None]) & (i[None, :] > i[:, None] - W)  # (T, T)
            return _attend(q, k, v, band, False, self.scale, self.softcap)
        n = blocks * W  # padded to whole blocks; the padded queries are dropped at the end
        q, k, v = (F.pad(t, (0, 0, 0, n - T)) for t in (q, k, v))

        def with_previous(t: torch.Tensor) -> torch.Tensor:
            t = t.view(B, h, blocks, W, hd)
            t = torch.cat([torch.zeros_like(t[:, :, :1]), t], dim=2)  # an empty block before the first
            return torch.cat([t[:, :, :-1], t[:, :, 1:]], dim=3)  # (B, h, blocks, 2W, hd)

        a = torch.arange(W, device=q.device)[:, None]  # query offset in its block
        c = torch.arange(2 * W, device=q.device)[None, :]  # key offset from the previous block's start
        band = (c > a) & (c <= a + W)  # (W, 2W): the W keys up to the query itself
        mask = torch.cat([(band & (c >= W))[None], band.expand(blocks - 1, W, 2 * W)])  # block 0 has no past
        y = _attend(q.view(B, h, blocks, W, hd), with_previous(k), with_previous(v), mask, False,
                    self.scale, self.softcap)  # (B, h, blocks, W, hd)
        return y.reshape(B, h, n, hd)[:, :, :T]


def _attend(q, k, v, mask, is_causal: bool, scale: float | None, softcap: float) -> torch.Tensor:
    """softmax(QKᵀ·scale [+ mask]) V; with a soft cap the scores are capped first, which SDPA cannot do."""
    if not softcap:
        return F.scaled_dot_product_attention(q, k, v, attn_mask=mask, is_causal=is_causal, scale=scale)
    scores = torch.matmul(q, k.transpose(-2, -1)) * (scale if scale is not None else q.shape[-1] ** -0.5)
    scores = softcap * torch.tanh(scores / softcap)  # Gemma 2: logits bounded to ±cap
    if is_causal:
        mask = torch.ones(q.shape[-2], k.shape[-2], dtype=torch.bool, device=q.device).tril()
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf")) if mask.dtype == torch.bool else scores + mask
    return torch.matmul(scores.softmax(dim=-1), v)
