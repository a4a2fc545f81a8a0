"""BART: learned positions (offset 2) with an embedding LayerNorm, post-norm encoder and decoder."""

from torch import nn

from tfcli.blocks import LearnedPositions, LMHead, Stack, TokenEmbedding
from tfcli.models.base import TfcliModel, seq2seq_inputs
from tfcli.presets.bart import BartConfig
from tfcli.spec import ResolvedInput


class BartModel(TfcliModel):
    def __init__(self, config: BartConfig):
        super().__init__()
        self.config = c = config
        self.tokens = TokenEmbedding(c.vocab_size, c.d_model)  # shared by encoder, decoder and head
        self.enc_positions = LearnedPositions(c.max_positions, c.d_model, offset=c.position_offset)
        self.dec_positions = LearnedPositions(c.max_positions, c.d_model, offset=c.position_offset)
        self.enc_embed_norm = nn.LayerNorm(c.d_model, eps=c.norm_eps)
        self.dec_embed_norm = nn.LayerNorm(c.d_model, eps=c.norm_eps)
        layout = c.layout()
        self.encoder = Stack(layout["encoder"])
        self.decoder = Stack(layout["decoder"])
        self.lm_head = None
        if c.lm_head:
            self.lm_head = LMHead(c.d_model, c.vocab_size)
            self.lm_head.tie(self.tokens)

    def components(self):
        return {"encoder": self.encoder, "decoder": self.decoder}

    def inputs_for(self, x: ResolvedInput, device):
        return seq2seq_inputs(x, self.config.vocab_size, device)

    def forward(self, input_ids, decoder_input_ids):
        x = self.tokens(input_ids) + self.enc_positions(input_ids.shape[1])
        memory = self.encoder(self.enc_embed_norm(x))  # (B, S, d)
        y = self.tokens(decoder_input_ids) + self.dec_positions(decoder_input_ids.shape[1])
        y = self.decoder(self.dec_embed_norm(y), memory)  # (B, T, d)
        return self.lm_head(y) if self.lm_head is not None else y  # (B, T, vocab) or (B, T, d)
