"""DeBERTa-v2 / v3 from its layout: token table, LayerNorm, the relative-position table (and
its LayerNorm), a post-norm stack whose attention adds the disentangled c2p / p2c terms."""

import math

import torch
import torch.nn.functional as F
from torch import nn

from tfcli.blocks import Attention, Block, TokenEmbedding
from tfcli.blocks.norms import make_norm
from tfcli.models.base import TfcliModel, token_ids
from tfcli.models.bert import classifier_from_spec
from tfcli.presets.deberta_v2 import DebertaV2Config, DisentangledAttentionSpec
from tfcli.spec import ResolvedInput


def log_bucket(rel: torch.Tensor, buckets: int, max_position: int) -> torch.Tensor:
    """DeBERTa's relative distance → bucket: exact within ±buckets/2, logarithmic beyond."""
    mid = buckets // 2
    sign = torch.sign(rel)
    near = (rel < mid) & (rel > -mid)
    abs_pos = torch.where(near, torch.full_like(rel, mid - 1), rel.abs())
    log_pos = torch.ceil(torch.log(abs_pos / mid) / math.log((max_position - 1) / mid) * (mid - 1)) + mid
    return torch.where(abs_pos <= mid, rel, log_pos * sign).long()


class RelativeTable(nn.Module):
    """span × d relative-position embeddings, LayerNorm-ed once per forward."""

    category = "embeddings"

    def __init__(self, span: int, dim: int, norm: bool, eps: float):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(span, dim))
        nn.init.normal_(self.weight, std=0.02)
        self.norm = nn.LayerNorm(dim, eps=eps) if norm else None

    def forward(self) -> torch.Tensor:
        # a copy, never the Parameter itself (nor a view of it): FlopCounterMode's module tracker
        # cannot hook a leaf that requires grad under no_grad
        w = self.weight.unsqueeze(0).clone()  # (1, span, d)
        return self.norm(w) if self.norm is not None else w


class DisentangledAttention(Attention):
    """Attention plus content→position and position→content scores over the relative table."""

    def __init__(self, spec: DisentangledAttentionSpec, buckets: int, max_relative: int):
        super().__init__(spec.d_model, spec.num_heads, qkv_bias=spec.qkv_bias)
        self.c2p, self.p2c, self.share = spec.c2p, spec.p2c, spec.share_att_key
        self.span = spec.span // 2  # att_span: distances are clamped to ±span/2
        self.buckets, self.max_relative = buckets, max_relative
        q_dim = self.num_heads * self.head_dim
        self.pos_key = nn.Linear(spec.d_model, q_dim) if (self.c2p and not self.share) else None
        self.pos_query = nn.Linear(spec.d_model, q_dim) if (self.p2c and not self.share) else None

    def _heads(self, x):  # (1, P, h·hd) → (1, h, P, hd)
        return x.view(x.shape[0], x.shape[1], self.num_heads, self.head_dim).transpose(1, 2)

    def forward(self, x, context=None, *, value=None, attn_bias=None, rope=None):
        rel = attn_bias  # the encoder hands each layer the normalised relative table, (1, 2·span, d)
        B, T, _ = x.shape
        h, hd = self.num_heads, self.head_dim
        q, k, v = self.qkv(x).split([h * hd] * 3, dim=-1)
        q, k, v = (t.view(B, T, h, hd).transpose(1, 2) for t in (q, k, v))  # (B, h, T, hd)
        w, b = self.qkv.weight, self.qkv.bias
        if self.share:  # the layer's own W_q and W_k project the relative rows (both, as transformers does)
            pos_q = self._heads(F.linear(rel, w[: h * hd], None if b is None else b[: h * hd]))
            pos_k = self._heads(F.linear(rel, w[h * hd: 2 * h * hd], None if b is None else b[h * hd: 2 * h * hd]))
        else:
            pos_k = self._heads(self.pos_key(rel)) if self.c2p else None
            pos_q = self._heads(self.pos_query(rel)) if self.p2c else None
        terms = 1 + int(self.c2p) + int(self.p2c)
        scale = 1.0 / math.sqrt(hd * terms)
        i = torch.arange(T, device=x.device)
        distance = i[:, None] - i[None, :]  # query − key
        if self.buckets > 0:
            distance = log_bucket(distance, self.buckets, self.max_relative)
        bias = torch.zeros(B, h, T, T, device=x.device, dtype=q.dtype)
        if self.c2p:  # content → position: Q · (W_k r)ᵀ, read at each pair's distance
            c2p = torch.matmul(q, pos_k.transpose(-1, -2))  # (B, h, T, 2·span)
            index = torch.clamp(distance + self.span, 0, 2 * self.span - 1).expand(B, h, T, T)
            bias = bias + torch.gather(c2p, -1, index)
        if self.p2c:  # position → content: K · (W_q r)ᵀ, at the opposite distance, transposed
            p2c = torch.matmul(k, pos_q.transpose(-1, -2))  # (B, h, T, 2·span)
            index = torch.clamp(-distance + self.span, 0, 2 * self.span - 1).expand(B, h, T, T)
            bias = bias + torch.gather(p2c, -1, index).transpose(-1, -2)
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=bias * scale, scale=scale)  # (B, h, T, hd)
        return self.out(y.transpose(1, 2).reshape(B, T, h * hd))


class DebertaV2Model(TfcliModel):
    def __init__(self, config: DebertaV2Config):
        super().__init__()
        self.config = c = config
        layout = c.layout()
        self.tokens = TokenEmbedding(c.vocab_size, c.d_model)
        self.positions = TokenEmbedding(c.max_positions, c.d_model) if "positions" in layout else None
        self.segments = TokenEmbedding(c.type_vocab_size, c.d_model) if "segments" in layout else None
        self.embed_norm = make_norm(layout["embed_norm"])
        table = layout["rel_embeddings"]
        self.rel_embeddings = RelativeTable(table.span, table.dim, table.norm, table.eps)
        stack = layout["encoder"]
        self.layers = nn.ModuleList()
        for _ in range(stack.num_layers):
            block = Block(stack.block)
            block.attn = DisentangledAttention(stack.block.attention, c.position_buckets,
                                               c.max_relative_positions or c.max_positions)
            self.layers.append(block)
        self.classifier = classifier_from_spec(layout["classifier"]) if "classifier" in layout else None

    def inputs_for(self, x: ResolvedInput, device):
        return {"input_ids": token_ids(x.batch, x.seq_len, self.config.vocab_size, device)}

    def forward(self, input_ids, token_type_ids=None):
        T = input_ids.shape[1]
        x = self.tokens(input_ids)
        if self.positions is not None:
            x = x + self.positions(torch.arange(T, device=x.device))
        if self.segments is not None:
            x = x + self.segments(token_type_ids if token_type_ids is not None else torch.zeros_like(input_ids))
        x = self.embed_norm(x)  # (B, T, d)
        rel = self.rel_embeddings()  # (1, 2·span, d)
        for layer in self.layers:
            x = layer(x, attn_bias=rel)
        if self.classifier is None:
            return x
        return self.classifier(x[:, 0] if self.config.head == "sequence-classification" else x)
