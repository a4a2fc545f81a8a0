"""Multi-head latent attention (DeepSeek-V2/V3) on F.scaled_dot_product_attention.

Keys and values are not projected from the hidden state per head: one latent of
kv_lora_rank numbers per token (normed) is expanded by kv_b into every head's key part
and value, and a single rotary key of qk_rope_head_dim is shared by all heads. A decoder
caches only the latent and the rotary key. Queries may go through a low-rank bottleneck
too (q_lora_rank). Shapes and biases follow transformers' DeepseekV2/V3Attention.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from tfcli.blocks.attention import Attention
from tfcli.blocks.embeddings import apply_rotary
from tfcli.blocks.norms import make_norm
from tfcli.spec.moe import MLASpec


class MLAttention(Attention):
    """An Attention to whatever reads the built model (kind, causal, cross, window, heads), with
    its own projections: Attention's constructor is not run."""

    category = "attention"

    def __init__(self, spec: MLASpec):
        nn.Module.__init__(self)
        self.spec = spec
        self.cross, self.window, self.scale = False, 0, None
        self.d_model = spec.d_model
        self.num_heads, self.num_kv_heads = spec.num_heads, spec.num_heads
        self.head_dim = spec.qk_head_dim
        self.causal = spec.causal
        d, h = spec.d_model, spec.num_heads
        if spec.q_lora_rank is None:
            self.q_proj = nn.Linear(d, spec.q_out, bias=False)
        else:
            self.q_a_proj = nn.Linear(d, spec.q_lora_rank, bias=spec.bias)
            self.q_a_norm = make_norm(spec.latent_norm(spec.q_lora_rank))
            self.q_b_proj = nn.Linear(spec.q_lora_rank, spec.q_out, bias=False)
        self.kv_a_proj = nn.Linear(d, spec.kv_lora_rank + spec.qk_rope_head_dim, bias=spec.bias)
        self.kv_a_norm = make_norm(spec.latent_norm(spec.kv_lora_rank))
        self.kv_b_proj = nn.Linear(spec.kv_lora_rank, spec.kv_b_out, bias=False)
        self.out = nn.Linear(h * spec.v_head_dim, d, bias=spec.bias)

    @classmethod
    def from_spec(cls, spec: MLASpec) -> "MLAttention":
        return cls(spec)

    def kv_per_token(self) -> int:
        """Numbers cached per token: the latent and the shared rotary key."""
        return self.spec.kv_per_token()

    def forward(self, x, context=None, *, value=None, attn_bias=None, rope=None):
        s = self.spec
        B, T, _ = x.shape
        h, nope, rot = s.num_heads, s.qk_nope_head_dim, s.qk_rope_head_dim
        if s.q_lora_rank is None:
            q = self.q_proj(x)
        else:
            q = self.q_b_proj(self.q_a_norm(self.q_a_proj(x)))
        q = q.view(B, T, h, nope + rot).transpose(1, 2)  # (B, h, T, nope + rot)
        q_nope, q_rot = q.split([nope, rot], dim=-1)
        latent, k_rot = self.kv_a_proj(x).split([s.kv_lora_rank, rot], dim=-1)  # what is cached
        kv = self.kv_b_proj(self.kv_a_norm(latent)).view(B, T, h, nope + s.v_head_dim).transpose(1, 2)
        k_nope, v = kv.split([nope, s.v_head_dim], dim=-1)
        k_rot = k_rot.view(B, 1, T, rot)
        if rope is not None:
            q_rot, k_rot = apply_rotary(q_rot, k_rot, *rope)
        q = torch.cat([q_nope, q_rot], dim=-1)
        k = torch.cat([k_nope, k_rot.expand(B, h, T, rot)], dim=-1)  # one rotary key for every head
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=attn_bias, is_causal=self.causal and attn_bias is None)
        return self.out(y.transpose(1, 2).reshape(B, T, h * s.v_head_dim))
