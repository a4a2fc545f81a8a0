"""Residual Transformer blocks (pre- or post-norm) and stacks of them."""

from __future__ import annotations

import torch
from torch import nn

from tfcli.blocks.attention import Attention
from tfcli.blocks.mla import MLAttention
from tfcli.blocks.embeddings import RelativePositionBias
from tfcli.blocks.mlp import FeedForward
from tfcli.blocks.moe import MoE
from tfcli.blocks.norms import make_norm
from tfcli.spec.moe import MLASpec, MoESpec
from tfcli.spec.parts import BlockSpec, StackSpec


def attention_from(spec):
    """The attention module a spec describes (latent attention for an MLASpec)."""
    return MLAttention.from_spec(spec) if isinstance(spec, MLASpec) else Attention.from_spec(spec)


def feed_forward_from(spec):
    """The feed-forward module a spec describes (a mixture of experts for a MoESpec)."""
    return MoE.from_spec(spec) if isinstance(spec, MoESpec) else FeedForward.from_spec(spec)


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
    parallel:  x = x + attn(norm₁(x)) + ffn(norm₂(x))    (GPT-J, GPT-NeoX, Falcon, Phi;
               with a shared norm there is no ffn_norm: both branches read attn_norm's output)
    """

    def __init__(self, spec: BlockSpec):
        super().__init__()
        self.pre_norm = spec.pre_norm
        self.branch_post_norm = spec.branch_post_norm
        self.parallel = spec.parallel
        if spec.parallel:
            self._parallel_branches(spec)
        else:
            self._sequential_branches(spec)
        self.rel_pos = RelativePositionBias.from_spec(spec.rel_pos) if spec.rel_pos is not None else None

    def _sequential_branches(self, spec: BlockSpec) -> None:
        d = spec.d_model

        def sublayer(norm_name: str, name: str, module: nn.Module, norm: bool = True) -> None:
            # registered in the order forward runs them, so the layer tree reads like the
            # block: norm → attention for pre-norm, attention → norm for post-norm
            pair = [(norm_name, make_norm(spec.norm) if norm else nn.Identity()), (name, module)]
            for attr, mod in pair if spec.pre_norm else reversed(pair):
                setattr(self, attr, mod)
            if spec.pre_norm and spec.branch_post_norm:  # the sandwich's second norm
                setattr(self, norm_name.replace("_norm", "_post_norm"), make_norm(spec.norm))

        sublayer("attn_norm", "attn", attention_from(spec.attention), spec.attn_norm)
        if spec.cross_attention is not None:
            sublayer("cross_norm", "cross_attn", Attention.from_spec(spec.cross_attention))
        else:
            self.cross_attn = None
        sublayer("ffn_norm", "ffn", feed_forward_from(spec.ffn))
        if spec.layer_scale:
            self.attn_scale, self.ffn_scale = LayerScale(d), LayerScale(d)
        else:
            self.attn_scale = self.ffn_scale = None

    def _parallel_branches(self, spec: BlockSpec) -> None:
        if spec.cross_attention is not None or spec.layer_scale or not spec.pre_norm:
            raise ValueError("a parallel block is pre-norm self-attention + feed-forward only")
        self.attn_norm, self.attn = make_norm(spec.norm), attention_from(spec.attention)
        self.ffn_norm = None if spec.shared_norm else make_norm(spec.norm)
        self.ffn = feed_forward_from(spec.ffn)
        self.cross_attn = None
        self.attn_scale = self.ffn_scale = None

    def _residual(self, x, norm, fn, scale=None, post=None):
        if self.branch_post_norm:  # sandwich (pre-norm too) or OLMo 2's x + norm(f(x))
            return x + post(fn(norm(x))) if self.pre_norm else x + norm(fn(x))
        if self.pre_norm:
            y = fn(norm(x))
            return x + (scale(y) if scale is not None else y)
        return norm(x + fn(x))

    def forward(self, x, context=None, *, attn_bias=None, cross_bias=None, rope=None):
        if self.rel_pos is not None:  # this block's own table, added to any bias given (BEiT)
            own = self.rel_pos(x.shape[1])
            attn_bias = own if attn_bias is None else attn_bias + own
        if self.parallel:
            h = self.attn_norm(x)
            return x + self.attn(h, attn_bias=attn_bias, rope=rope) + self.ffn(
                h if self.ffn_norm is None else self.ffn_norm(x))
        post = getattr(self, "attn_post_norm", None)  # the sandwich's second norms, where there are any
        x = self._residual(x, self.attn_norm, lambda h: self.attn(h, attn_bias=attn_bias, rope=rope), self.attn_scale,
                           post)
        if self.cross_attn is not None:
            x = self._residual(x, self.cross_norm, lambda h: self.cross_attn(h, context, attn_bias=cross_bias),
                               post=getattr(self, "cross_post_norm", None))
        return self._residual(x, self.ffn_norm, self.ffn, self.ffn_scale, getattr(self, "ffn_post_norm", None))


class Stack(nn.Module):
    """N blocks (identical, or one spec per layer) and, for pre-norm stacks, the final norm."""

    def __init__(self, spec: StackSpec):
        super().__init__()
        if spec.shared:  # one block run num_layers times (ALBERT): the list holds it at every index
            self.layers = nn.ModuleList([Block(spec.block)] * spec.num_layers)
        else:
            self.layers = nn.ModuleList(Block(block) for block in spec.blocks())
        self.norm = make_norm(spec.block.norm) if spec.has_final_norm else None

    def forward(self, x, context=None, *, attn_bias=None, cross_bias=None, rope=None):
        for layer in self.layers:
            x = layer(x, context, attn_bias=attn_bias, cross_bias=cross_bias, rope=rope)
        return self.norm(x) if self.norm is not None else x
