"""CLIP towers. The text tower: token + learned positions, pre-norm causal blocks, final LayerNorm."""

import torch
from torch import nn

from tfcli.blocks import BlockConfig, LearnedPositions, Stack, TokenEmbedding
from tfcli.models.base import TfcliModel, token_ids
from tfcli.presets.clip import CLIPTextConfig
from tfcli.spec import InputShape


class CLIPTextTower(TfcliModel):
    def __init__(self, config: CLIPTextConfig):
        super().__init__()
        self.config = c = config
        self.tokens = TokenEmbedding(c.vocab_size, c.d_model)
        self.positions = LearnedPositions(c.max_positions, c.d_model)
        block = BlockConfig(
            c.d_model, c.num_heads, c.ffn_dim, activation=c.activation, norm_eps=c.norm_eps, causal=True
        )
        # the stack's final LayerNorm is CLIP's final_layer_norm
        self.encoder = Stack(block, c.num_layers)

    def example_inputs(self, shape: InputShape, device="cpu"):
        # text always fills CLIP's 77-token context (padded), unless told otherwise
        seq_len = shape.seq_len or self.config.max_positions
        return {"input_ids": token_ids(shape.batch, seq_len, self.config.vocab_size, device)}

    def forward(self, input_ids):
        x = self.tokens(input_ids) + self.positions(input_ids.shape[1])
        hidden = self.encoder(x)  # (B, T, d)
        # the sentence embedding is the state at the end-of-text token (the highest id)
        eot = input_ids.argmax(dim=-1)
        pooled = hidden[torch.arange(hidden.shape[0], device=hidden.device), eot]  # (B, d)
        return hidden, pooled
