"""GPT-2/GPT-3: learned positions, a pre-norm causal decoder, an LM head tied to the embedding."""

from tfcli.blocks import BlockConfig, LearnedPositions, LMHead, Stack, TokenEmbedding
from tfcli.models.base import TfcliModel, seq_len_of, token_ids
from tfcli.presets.gpt import GPTConfig
from tfcli.spec import InputShape


class GPTModel(TfcliModel):
    def __init__(self, config: GPTConfig):
        super().__init__()
        self.config = c = config
        self.tokens = TokenEmbedding(c.vocab_size, c.d_model)
        self.positions = LearnedPositions(c.max_positions, c.d_model)
        block = BlockConfig(
            c.d_model, c.num_heads, c.ffn_dim, activation=c.activation, norm_eps=c.norm_eps, causal=True
        )
        self.decoder = Stack(block, c.num_layers)
        self.lm_head = LMHead(c.d_model, c.vocab_size)
        if c.tie_embeddings:
            self.lm_head.tie(self.tokens)

    def example_inputs(self, shape: InputShape, device="cpu"):
        ids = token_ids(shape.batch, seq_len_of(shape, self.config), self.config.vocab_size, device)
        return {"input_ids": ids}

    def forward(self, input_ids):
        x = self.tokens(input_ids) + self.positions(input_ids.shape[1])
        return self.lm_head(self.decoder(x))  # (B, T, vocab)
