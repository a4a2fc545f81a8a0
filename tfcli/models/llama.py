"""Llama-style decoder: RoPE inside attention, pre-RMSNorm, SwiGLU, grouped key/value heads."""

from tfcli.blocks import BlockConfig, LMHead, Rotary, Stack, TokenEmbedding
from tfcli.models.base import TfcliModel, seq_len_of, token_ids
from tfcli.presets.llama import LlamaConfig
from tfcli.spec import InputShape


class LlamaModel(TfcliModel):
    def __init__(self, config: LlamaConfig):
        super().__init__()
        self.config = c = config
        self.tokens = TokenEmbedding(c.vocab_size, c.d_model)
        self.rope = Rotary(c.d_model // c.num_heads, c.rope_theta)
        block = BlockConfig(
            c.d_model, c.num_heads, c.ffn_dim,
            num_kv_heads=c.num_kv_heads, activation=c.activation, gated=True,
            norm="rms", norm_eps=c.norm_eps, qkv_bias=False, ffn_bias=False, causal=True,
        )
        self.decoder = Stack(block, c.num_layers)
        self.lm_head = LMHead(c.d_model, c.vocab_size)
        if c.tie_embeddings:
            self.lm_head.tie(self.tokens)

    def context_length(self):
        return None  # RoPE has no table to run past

    def example_inputs(self, shape: InputShape, device="cpu"):
        ids = token_ids(shape.batch, seq_len_of(shape, self.config), self.config.vocab_size, device)
        return {"input_ids": ids}

    def forward(self, input_ids):
        x = self.tokens(input_ids)
        rope = self.rope(input_ids.shape[1], x.device, x.dtype)
        return self.lm_head(self.decoder(x, rope=rope))  # (B, T, vocab)
