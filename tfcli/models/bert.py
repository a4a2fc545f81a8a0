"""BERT: token + position + segment embeddings, a post-norm bidirectional encoder, the pooler."""

import torch
from torch import nn

from tfcli.blocks import BlockConfig, LearnedPositions, Pooler, Stack, TokenEmbedding
from tfcli.models.base import TfcliModel, seq_len_of, token_ids
from tfcli.presets.bert import BertConfig
from tfcli.spec import InputShape


class BertModel(TfcliModel):
    def __init__(self, config: BertConfig):
        super().__init__()
        self.config = c = config
        self.tokens = TokenEmbedding(c.vocab_size, c.d_model)
        self.positions = LearnedPositions(c.max_positions, c.d_model)
        self.segments = TokenEmbedding(c.type_vocab_size, c.d_model)
        self.embed_norm = nn.LayerNorm(c.d_model, eps=c.norm_eps)
        block = BlockConfig(
            c.d_model, c.num_heads, c.ffn_dim, activation=c.activation, norm_eps=c.norm_eps, pre_norm=False
        )
        self.encoder = Stack(block, c.num_layers)
        self.pooler = Pooler(c.d_model) if c.pooler else None

    def example_inputs(self, shape: InputShape, device="cpu"):
        ids = token_ids(shape.batch, seq_len_of(shape, self.config), self.config.vocab_size, device)
        return {"input_ids": ids}

    def forward(self, input_ids, token_type_ids=None):
        T = input_ids.shape[1]
        if token_type_ids is None:
            token_type_ids = torch.zeros_like(input_ids)
        x = self.tokens(input_ids) + self.positions(T) + self.segments(token_type_ids)
        x = self.encoder(self.embed_norm(x))  # (B, T, d)
        return (x, self.pooler(x)) if self.pooler is not None else x
