"""T5: one shared embedding, pre-RMSNorm stacks without biases, relative-position bias
owned by each stack's first layer and added to every layer's scores."""

from tfcli.blocks import BlockConfig, LMHead, Stack, T5RelativeBias, TokenEmbedding
from tfcli.models.base import TfcliModel, seq2seq_inputs
from tfcli.presets.t5 import T5Config
from tfcli.spec import InputShape


class T5Model(TfcliModel):
    def __init__(self, config: T5Config):
        super().__init__()
        self.config = c = config
        self.tokens = TokenEmbedding(c.vocab_size, c.d_model)
        enc = BlockConfig(
            c.d_model, c.num_heads, c.ffn_dim, head_dim=c.head_dim,
            activation=c.activation, gated=c.gated, norm="rms", norm_eps=c.norm_eps,
            qkv_bias=False, ffn_bias=False,
            attn_scale=1.0,  # T5 folds 1/sqrt(d_k) into its initialisation
        )
        dec = BlockConfig(**{**enc.__dict__, "causal": True, "cross_dim": c.d_model})
        self.encoder = Stack(enc, c.num_layers)
        self.decoder = Stack(dec, c.num_decoder_layers)
        self.enc_rel_bias = T5RelativeBias(c.relative_buckets, c.relative_max_distance, c.num_heads, bidirectional=True)
        self.dec_rel_bias = T5RelativeBias(c.relative_buckets, c.relative_max_distance, c.num_heads, bidirectional=False)
        self.lm_head = LMHead(c.d_model, c.vocab_size)
        if c.tie_embeddings:
            self.lm_head.tie(self.tokens)

    def context_length(self):
        return None  # relative buckets take any length

    def components(self):
        return {"encoder": self.encoder, "decoder": self.decoder}

    def example_inputs(self, shape: InputShape, device="cpu"):
        return seq2seq_inputs(shape, self.config, device)

    def forward(self, input_ids, decoder_input_ids):
        S, T = input_ids.shape[1], decoder_input_ids.shape[1]
        x = self.tokens(input_ids)
        memory = self.encoder(x, attn_bias=self.enc_rel_bias(S, S).to(x.dtype))  # (B, S, d)
        y = self.decoder(self.tokens(decoder_input_ids), memory, attn_bias=self.dec_rel_bias(T, T).to(x.dtype))
        if self.config.tie_embeddings:
            y = y * self.config.d_model**-0.5  # rescale before the tied projection, as T5 does
        return self.lm_head(y)  # (B, T, vocab)
