"""SAM's two-way transformer: prompt tokens and image tokens update each other.

Each block: tokens self-attend; tokens attend to the image; tokens go through an MLP; the
image attends back to the tokens. Positions are re-added to queries and keys at every
attention (never to values). Cross-attention runs at half width (embed_dim / 2) to keep
the 4096 image tokens cheap. Post-norm throughout, no causal mask.
"""

from __future__ import annotations

import torch
from torch import nn

from tfcli.blocks import Attention, FeedForward
from tfcli.presets.sam import SamConfig


def _cross(c: SamConfig) -> Attention:
    inner = c.embed_dim // c.attn_downsample_rate
    return Attention(c.embed_dim, c.decoder_heads, head_dim=inner // c.decoder_heads, kv_dim=c.embed_dim)


class TwoWayBlock(nn.Module):
    def __init__(self, c: SamConfig, skip_first_layer_pe: bool):
        super().__init__()
        C = c.embed_dim
        self.skip_first_layer_pe = skip_first_layer_pe
        self.self_attn = Attention(C, c.decoder_heads)
        self.norm1 = nn.LayerNorm(C, eps=c.norm_eps)
        self.cross_attn_token_to_image = _cross(c)
        self.norm2 = nn.LayerNorm(C, eps=c.norm_eps)
        self.mlp = FeedForward(C, c.decoder_ffn_dim, "relu")
        self.norm3 = nn.LayerNorm(C, eps=c.norm_eps)
        self.cross_attn_image_to_token = _cross(c)
        self.norm4 = nn.LayerNorm(C, eps=c.norm_eps)

    def forward(self, queries, keys, query_pe, key_pe):
        # queries: (B, N_tokens, C); keys: (B, h·w, C)
        if self.skip_first_layer_pe:
            # the first block's queries *are* the prompt embeddings (positions included), and
            # segment-anything replaces them with the attention output (no residual)
            queries = self.self_attn(queries)
        else:
            q = queries + query_pe
            queries = queries + self.self_attn(q, value=queries)
        queries = self.norm1(queries)

        q, k = queries + query_pe, keys + key_pe
        queries = self.norm2(queries + self.cross_attn_token_to_image(q, k, value=keys))
        queries = self.norm3(queries + self.mlp(queries))

        q = queries + query_pe
        keys = self.norm4(keys + self.cross_attn_image_to_token(k, q, value=queries))
        return queries, keys


class TwoWayTransformer(nn.Module):
    def __init__(self, c: SamConfig):
        super().__init__()
        self.layers = nn.ModuleList(TwoWayBlock(c, skip_first_layer_pe=i == 0) for i in range(c.decoder_depth))
        self.final_attn_token_to_image = _cross(c)
        self.norm_final = nn.LayerNorm(c.embed_dim, eps=c.norm_eps)

    def forward(self, image: torch.Tensor, image_pe: torch.Tensor, tokens: torch.Tensor):
        """image, image_pe: (B, C, h, w); tokens: (B, N, C) → tokens (B, N, C), image (B, h·w, C)."""
        keys = image.flatten(2).transpose(1, 2)  # (B, h·w, C)
        key_pe = image_pe.flatten(2).transpose(1, 2)
        queries = tokens
        for layer in self.layers:
            queries, keys = layer(queries, keys, tokens, key_pe)
        q, k = queries + tokens, keys + key_pe
        queries = self.norm_final(queries + self.final_attn_token_to_image(q, k, value=keys))
        return queries, keys
