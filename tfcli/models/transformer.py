"""The original Transformer: shared embeddings × √d, sinusoidal positions, post-norm
encoder and decoder (masked self-attention, then cross-attention to the encoder)."""

import math

from tfcli.blocks import LMHead, SinusoidalPositions, Stack, TokenEmbedding
from tfcli.models.base import TfcliModel, seq2seq_inputs
from tfcli.presets.transformer import TransformerConfig
from tfcli.spec import ResolvedInput


class Transformer(TfcliModel):
    def __init__(self, config: TransformerConfig):
        super().__init__()
        self.config = c = config
        layout = c.layout()
        self.tokens = TokenEmbedding(c.vocab_size, c.d_model)
        self.positions = SinusoidalPositions(c.d_model)
        self.encoder = Stack(layout["encoder"])
        self.decoder = Stack(layout["decoder"])
        self.lm_head = LMHead(c.d_model, c.vocab_size)
        self.lm_head.tie(self.tokens)  # the paper shares one matrix across all three

    def components(self):
        return {"encoder": self.encoder, "decoder": self.decoder}

    def inputs_for(self, x: ResolvedInput, device):
        return seq2seq_inputs(x, self.config.vocab_size, device)

    def _embed(self, ids):
        x = self.tokens(ids) * math.sqrt(self.config.d_model)
        return x + self.positions(ids.shape[1], x.device, x.dtype)

    def forward(self, input_ids, decoder_input_ids):
        memory = self.encoder(self._embed(input_ids))  # (B, S, d)
        y = self.decoder(self._embed(decoder_input_ids), memory)  # (B, T, d)
        return self.lm_head(y)  # (B, T, vocab)
