"""A decoder-only language model built from its layout: token table, positions (a learned
table, or RoPE inside attention), a causal stack, the LM head. GPT-2/3, Llama, Qwen2 and the
other causal LMs differ only in the part specs their records give."""

from tfcli.blocks import LearnedPositions, LMHead, Rotary, Stack, TokenEmbedding
from tfcli.models.base import TfcliModel, token_ids
from tfcli.presets._text import RotarySpec
from tfcli.spec import ArchConfig, ResolvedInput, Table


class DecoderLM(TfcliModel):
    def __init__(self, config: ArchConfig):
        super().__init__()
        self.config = config
        layout = config.layout()
        table, head = layout["tokens"], layout["lm_head"]
        self.tokens = TokenEmbedding(table.rows, table.dim)
        self.embed_scale = table.scale  # Gemma multiplies the looked-up vectors by sqrt(d)
        positions = layout["positions"] if "positions" in layout else None
        self.positions = LearnedPositions(positions.rows, positions.dim) if isinstance(positions, Table) else None
        self.rope = Rotary(positions.head_dim, positions.theta) if isinstance(positions, RotarySpec) else None
        self.decoder = Stack(layout["decoder"])
        self.lm_head = LMHead(head.d_model, head.vocab_size, softcap=head.softcap)
        if head.tied:
            self.lm_head.tie(self.tokens)

    def inputs_for(self, x: ResolvedInput, device):
        return {"input_ids": token_ids(x.batch, x.seq_len, self.config.vocab_size, device)}

    def forward(self, input_ids):
        x = self.tokens(input_ids)  # (B, T, d)
        if self.embed_scale != 1.0:
            x = x * self.embed_scale
        if self.positions is not None:
            x = x + self.positions(input_ids.shape[1])
        rope = self.rope(input_ids.shape[1], x.device, x.dtype) if self.rope is not None else None
        return self.lm_head(self.decoder(x, rope=rope))  # (B, T, vocab)
