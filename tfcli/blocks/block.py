"""Residual Transformer blocks (pre- or post-norm) and stacks of them."""

from __future__ import annotations

import torch
from torch import nn

from tfcli.blocks.attention import Attention
from tfcli.blocks.mlp import FeedForward
from tfcli.blocks.norms import make_norm
from tfcli.spec.parts import BlockSpec, StackSpec


class LayerScale(nn.Module):
    category = "other"

    def __init__(self, dim: int, init: float = 1e-5):
        super().__init__()
        self.gamma = nn.Parameter(torch.full((dim,), init))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.gamma


class Block(nn.Module):
    """Self-attention, optional cross-attention, feed-forward; each a residual branch.

    pre-norm:  x = x + f(norm(x))    (GPT-2, T5, Llama, ViT: stable when deep)
    post-norm: x = norm(x + f(x))    (original Transformer, BERT, BART)
    """

    def __init__(self, spec: BlockSpec):
        super().__init__()
        self.pre_norm = spec.pre_norm
        d = spec.d_model

        def sublayer(norm_name: str, name: str, module: nn.Module, norm: bool = True) -> None:
            # registered in the order forward runs them, so the layer tree reads like the
            # block: norm → attention for pre-norm, attention → norm for post-norm
            pair = [(norm_name, make_norm(spec.norm) if norm else nn.Identity()), (name, module)]
            for attr, mod in pair if spec.pre_norm else reversed(pair):
                setattr(self, attr, mod)

        sublayer("attn_norm", "attn", Attention.from_spec(spec.attention), spec.attn_norm)
        if spec.cross_attention is not None:
            sublayer("cross_norm", "cross_attn", Attention.from_spec(spec.cross_attention))
        else:
            self.cross_attn = None
        sublayer("ffn_norm", "ffn", FeedForward.from_spec(spec.ffn))
        if spec.layer_scale:
            self.attn_scale, self.ffn_scale = LayerScale(d), LayerScale(d)
        else:
            self.attn_scale = self.ffn_scale = None

    def _residual(self, x, norm, fn, scale=None):
        if self.pre_norm:
            y = fn(norm(x))
            return x + (scale(y) if scale is not None else y)
        return norm(x + fn(x))

    def forward(self, x, context=None, *, attn_bias=None, cross_bias=None, rope=None):
        x = self._residual(x, self.attn_norm, lambda h: self.attn(h, attn_bias=attn_bias, rope=rope), self.attn_scale)
        if self.cross_attn is not None:
            x = self._residual(x, self.cross_norm, lambda h: self.cross_attn(h, context, attn_bias=cross_bias))
        return self._residual(x, self.ffn_norm, self.ffn, self.ffn_scale)


class Stack(nn.Module):
    """N identical blocks and, for pre-norm stacks, the final norm."""

    def __init__(self, spec: StackSpec):
        super().__init__()
        if spec.shared:  # one block run num_layers times (ALBERT): the list holds it at every index
            self.layers = nn.ModuleList([Block(spec.block)] * spec.num_layers)
        else:
            self.layers = nn.ModuleList(Block(spec.block) for _ in range(spec.num_layers))
        self.norm = make_norm(spec.block.norm) if spec.has_final_norm else None

    def forward(self, x, context=None, *, attn_bias=None, cross_bias=None, rope=None):
        for layer in self.layers:
            x = layer(x, context, attn_bias=attn_bias, cross_bias=cross_bias, rope=rope)
        return self.norm(x) if self.norm is not None else x
