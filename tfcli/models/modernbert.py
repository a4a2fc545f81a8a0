"""ModernBERT from its layout: token table + LayerNorm, blocks that alternate global and
local (banded) attention with their own RoPE theta, the final norm, and the head."""

import torch
from torch import nn

from tfcli.blocks import Block, ClassifierHead, LMHead, Rotary, TokenEmbedding
from tfcli.blocks.norms import make_norm
from tfcli.models.base import TfcliModel, token_ids
from tfcli.presets.modernbert import ModernBertConfig
from tfcli.spec import ResolvedInput


class PredictionHead(nn.Module):
    """dense d→d (no bias), activation, LayerNorm (no bias)."""

    category = "heads"

    def __init__(self, d_model: int, activation: str, eps: float):
        super().__init__()
        from tfcli.blocks.mlp import activation_fn

        self.dense = nn.Linear(d_model, d_model, bias=False)
        self.act = activation_fn(activation)
        self.norm = nn.LayerNorm(d_model, eps=eps, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(self.act(self.dense(x)))


class ModernBertModel(TfcliModel):
    def __init__(self, config: ModernBertConfig):
        super().__init__()
        self.config = c = config
        layout = c.layout()
        self.tokens = TokenEmbedding(c.vocab_size, c.d_model)
        self.embed_norm = make_norm(layout["embed_norm"])
        self.rope_global = Rotary(c.head_dim, c.global_rope_theta)
        self.rope_local = Rotary(c.head_dim, c.local_rope_theta)
        encoder = layout["encoder"]
        self.layers = nn.ModuleList(Block(spec) for spec in encoder.blocks)
        self.final_norm = make_norm(encoder.final_norm)
        self.head = PredictionHead(c.d_model, c.activation, c.norm_eps) if "head" in layout else None
        self.decoder = None
        if "decoder" in layout:
            self.decoder = LMHead(c.d_model, c.vocab_size, bias=c.decoder_bias)  # tied, with its own bias
            self.decoder.tie(self.tokens)
        self.classifier = None
        if "classifier" in layout:
            spec = layout["classifier"]
            self.classifier = ClassifierHead(spec.n_in, spec.n_out)

    def inputs_for(self, x: ResolvedInput, device):
        return {"input_ids": token_ids(x.batch, x.seq_len, self.config.vocab_size, device)}

    def forward(self, input_ids):
        T = input_ids.shape[1]
        x = self.embed_norm(self.tokens(input_ids))  # (B, T, d)
        ropes = {True: self.rope_global(T, x.device, x.dtype), False: self.rope_local(T, x.device, x.dtype)}
        for i, layer in enumerate(self.layers):
            x = layer(x, rope=ropes[self.config.is_global(i)])  # local layers mask a band themselves
        x = self.final_norm(x)  # (B, T, d)
        c = self.config
        if c.head == "none":
            return x
        if c.head in ("sequence-classification", "multiple-choice"):
            pooled = x.mean(dim=1) if c.pooling == "mean" else x[:, 0]  # (B, d)
            return self.classifier(self.head(pooled))
        h = self.head(x)
        return self.decoder(h) if self.decoder is not None else self.classifier(h)
