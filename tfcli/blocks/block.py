"""Residual Transformer blocks (pre- or post-norm) and stacks of them."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from tfcli.blocks.attention import Attention
from tfcli.blocks.mlp import FeedForward
from tfcli.blocks.norms import make_norm


@dataclass
class BlockConfig:
    """Everything one block needs; each family maps its own config onto this."""

    d_model: int
    num_heads: int
    ffn_dim: int
    num_kv_heads: int | None = None
    head_dim: int | None = None
    activation: str = "gelu"
    gated: bool = False
    norm: str = "layer"  # "layer" | "rms"
    norm_eps: float = 1e-5
    norm_bias: bool = True
    pre_norm: bool = True
    qkv_bias: bool = True
    out_bias: bool | None = None  # None: same as qkv_bias
    ffn_bias: bool = True
    causal: bool = False
    cross_dim: int | None = None  # width of the sequence cross-attention reads (decoders)
    attn_scale: float | None = None  # None: 1/sqrt(head_dim); T5 folds it into init (1.0)
    layer_scale: bool = False  # DINOv2: a learned per-channel scale on each branch


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

    def __init__(self, cfg: BlockConfig):
        super().__init__()
        self.pre_norm = cfg.pre_norm
        d = cfg.d_model

        def norm():
            return make_norm(cfg.norm, d, cfg.norm_eps, cfg.norm_bias)

        def attention(**kw):
            return Attention(
                d,
                cfg.num_heads,
                num_kv_heads=cfg.num_kv_heads,
                head_dim=cfg.head_dim,
                qkv_bias=cfg.qkv_bias,
                out_bias=cfg.out_bias,
                scale=cfg.attn_scale,
                **kw,
            )

        def sublayer(norm_name: str, name: str, module: nn.Module) -> None:
            # registered in the order forward runs them, so the layer tree reads like the
            # block: norm → attention for pre-norm, attention → norm for post-norm
            pair = [(norm_name, norm()), (name, module)]
            for attr, mod in pair if cfg.pre_norm else reversed(pair):
                setattr(self, attr, mod)

        sublayer("attn_norm", "attn", attention(causal=cfg.causal))
        if cfg.cross_dim is not None:
            sublayer("cross_norm", "cross_attn", attention(kv_dim=cfg.cross_dim))
        else:
            self.cross_attn = None
        sublayer("ffn_norm", "ffn", FeedForward(d, cfg.ffn_dim, cfg.activation, cfg.gated, cfg.ffn_bias))
        if cfg.layer_scale:
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

    def __init__(self, cfg: BlockConfig, num_layers: int, final_norm: bool | None = None):
        super().__init__()
        self.layers = nn.ModuleList(Block(cfg) for _ in range(num_layers))
        final_norm = cfg.pre_norm if final_norm is None else final_norm
        self.norm = make_norm(cfg.norm, cfg.d_model, cfg.norm_eps, cfg.norm_bias) if final_norm else None

    def forward(self, x, context=None, *, attn_bias=None, cross_bias=None, rope=None):
        for layer in self.layers:
            x = layer(x, context, attn_bias=attn_bias, cross_bias=cross_bias, rope=rope)
        return self.norm(x) if self.norm is not None else x
