"""A decoder-only language model built from its layout: token table, positions (a learned
table, RoPE inside attention, or ALiBi biases on the scores), a causal stack, the LM head.
GPT-2/3, Llama, Qwen2 and the other causal LMs differ only in the part specs their records give."""

from torch import nn

from tfcli.blocks import Alibi, LearnedPositions, LMHead, Rotary, Stack, TokenEmbedding, make_norm
from tfcli.models.base import TfcliModel, token_ids
from tfcli.presets._text import AlibiSpec, PositionTable, RotarySpec
from tfcli.spec import ArchConfig, ResolvedInput, Table


class ProjectIn(nn.Linear):
    """OPT-350m: token vectors narrower than the stack, widened before it."""

    category = "embeddings"


class ProjectOut(nn.Linear):
    """OPT-350m: the stack's output narrowed back to the (tied) token width."""

    category = "heads"


class DecoderLM(TfcliModel):
    def __init__(self, config: ArchConfig):
        super().__init__()
        self.config = config
        layout = config.layout()
        table, head = layout["tokens"], layout["lm_head"]
        self.tokens = TokenEmbedding(table.rows, table.dim)
        self.embed_scale = table.scale  # Gemma multiplies the looked-up vectors by sqrt(d)
        # registered in the order forward runs them, so the layer tree reads like the model
        self.project_in = self.project_out = None
        if "project_in" in layout:  # token width ≠ stack width (OPT-350m)
            p_in = layout["project_in"]
            self.project_in = ProjectIn(p_in.n_in, p_in.n_out, bias=p_in.bias)
        positions = layout["positions"] if "positions" in layout else None
        self.positions = self.rope = self.alibi = None
        if isinstance(positions, Table):
            offset = positions.offset if isinstance(positions, PositionTable) else 0
            self.positions = LearnedPositions(positions.rows - offset, positions.dim, offset=offset)
        elif isinstance(positions, RotarySpec):
            self.rope = Rotary(positions.head_dim, positions.theta, positions.rotary_dim, positions.interleaved)
        elif isinstance(positions, AlibiSpec):
            self.alibi = Alibi(positions.num_heads, positions.scale)
        self.embed_norm = make_norm(layout["embed_norm"]) if "embed_norm" in layout else None
        self.decoder = Stack(layout["decoder"])
        if "project_out" in layout:
            p_out = layout["project_out"]
            self.project_out = ProjectOut(p_out.n_in, p_out.n_out, bias=p_out.bias)
        self.lm_head = LMHead(head.d_model, head.vocab_size, bias=head.bias, softcap=head.softcap)
        if head.tied:
            self.lm_head.tie(self.tokens)

    def inputs_for(self, x: ResolvedInput, device):
        return {"input_ids": token_ids(x.batch, x.seq_len, self.config.vocab_size, device)}

    def forward(self, input_ids):
        T = input_ids.shape[1]
        x = self.tokens(input_ids)  # (B, T, d)
        if self.embed_scale != 1.0:
            x = x * self.embed_scale
        if self.project_in is not None:
            x = self.project_in(x)
        if self.positions is not None:
            x = x + self.positions(T)
        if self.embed_norm is not None:
            x = self.embed_norm(x)
        rope = self.rope(T, x.device, x.dtype) if self.rope is not None else None
        bias = self.alibi(T, T, x.device, x.dtype) if self.alibi is not None else None  # (1, h, T, T)
        x = self.decoder(x, rope=rope, attn_bias=bias)
        if self.project_out is not None:
            x = self.project_out(x)
        return self.lm_head(x)  # (B, T, vocab)
