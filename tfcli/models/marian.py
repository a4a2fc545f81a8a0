"""Marian and Pegasus: embeddings × √d plus stored sinusoid tables, then post-norm
(Marian) or pre-norm stacks with final norms (Pegasus), and a head tied to the target's
table that adds transformers' final_logits_bias (a buffer, not a parameter)."""

import math

import torch

from tfcli.blocks import LMHead, SinusoidalPositions, Stack, TokenEmbedding
from tfcli.models.base import TfcliModel, seq2seq_inputs, token_ids
from tfcli.presets.marian import MarianConfig
from tfcli.spec import ResolvedInput


class MarianModel(TfcliModel):
    def __init__(self, config: MarianConfig):
        super().__init__()
        self.config = c = config
        layout = c.layout()
        self.tokens = TokenEmbedding(c.vocab_size, c.d_model)
        # separate vocabularies: the decoder reads, and the head writes, a table of its own
        self.dec_tokens = TokenEmbedding(c.decoder_vocab_size, c.d_model) if c.decoder_vocab_size else None
        for name in ("enc_positions", "dec_positions"):
            pos = layout[name]
            setattr(self, name, SinusoidalPositions(pos.dim, stored=pos.stored, halves=pos.halves))
        self.encoder = Stack(layout["encoder"])
        self.decoder = Stack(layout["decoder"])
        target = self.dec_tokens if self.dec_tokens is not None else self.tokens
        self.lm_head = LMHead(c.d_model, target.num_embeddings)
        self.lm_head.tie(target)
        self.register_buffer("final_logits_bias", torch.zeros(1, target.num_embeddings))
        self.embed_scale = math.sqrt(c.d_model) if c.scale_embedding else 1.0

    def components(self):
        return {"encoder": self.encoder, "decoder": self.decoder}

    def inputs_for(self, x: ResolvedInput, device):
        inputs = seq2seq_inputs(x, self.config.vocab_size, device)
        if self.dec_tokens is not None:  # target ids come from the decoder's own vocabulary
            inputs["decoder_input_ids"] = token_ids(x.batch, x.tgt_len, self.config.decoder_vocab_size, device)
        return inputs

    def forward(self, input_ids, decoder_input_ids):
        x = self.tokens(input_ids) * self.embed_scale
        memory = self.encoder(x + self.enc_positions(input_ids.shape[1], x.device, x.dtype))  # (B, S, d)
        target = self.dec_tokens if self.dec_tokens is not None else self.tokens
        y = target(decoder_input_ids) * self.embed_scale
        y = self.decoder(y + self.dec_positions(decoder_input_ids.shape[1], y.device, y.dtype), memory)  # (B, T, d)
        return self.lm_head(y) + self.final_logits_bias  # (B, T, vocab)
