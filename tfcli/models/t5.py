"""T5: one shared embedding, pre-RMSNorm stacks without biases, relative-position bias
owned by each stack's first layer and added to every layer's scores."""

from tfcli.blocks import LMHead, Stack, T5RelativeBias, TokenEmbedding
from tfcli.models.base import TfcliModel, seq2seq_inputs
from tfcli.presets.t5 import T5Config
from tfcli.spec import ResolvedInput


class T5Model(TfcliModel):
    def __init__(self, config: T5Config):
        super().__init__()
        self.config = c = config
        self.tokens = TokenEmbedding(c.vocab_size, c.d_model)
        layout = c.layout()
        self.encoder = Stack(layout["encoder"])
        self.decoder = Stack(layout["decoder"])
        self.enc_rel_bias = T5RelativeBias(c.relative_buckets, c.relative_max_distance, c.num_heads, bidirectional=True)
        self.dec_rel_bias = T5RelativeBias(c.relative_buckets, c.relative_max_distance, c.num_heads, bidirectional=False)
        self.lm_head = LMHead(c.d_model, c.vocab_size)
        if c.tie_embeddings:
            self.lm_head.tie(self.tokens)

    def components(self):
        return {"encoder": self.encoder, "decoder": self.decoder}

    def inputs_for(self, x: ResolvedInput, device):
        return seq2seq_inputs(x, self.config.vocab_size, device)

    def forward(self, input_ids, decoder_input_ids):
        S, T = input_ids.shape[1], decoder_input_ids.shape[1]
        x = self.tokens(input_ids)
        memory = self.encoder(x, attn_bias=self.enc_rel_bias(S, S).to(x.dtype))  # (B, S, d)
        y = self.decoder(self.tokens(decoder_input_ids), memory, attn_bias=self.dec_rel_bias(T, T).to(x.dtype))
        if self.config.tie_embeddings:
            y = y * self.config.d_model**-0.5  # rescale before the tied projection, as T5 does
        return self.lm_head(y)  # (B, T, vocab)
