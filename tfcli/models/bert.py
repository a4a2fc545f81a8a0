"""BERT: token + position + segment embeddings, a post-norm bidirectional encoder, the pooler,
and the task head the config names (transformers' BertFor* classes)."""

import torch

from tfcli.blocks import ClassifierHead, LearnedPositions, MLMHead, Pooler, Stack, TokenEmbedding
from tfcli.blocks.norms import make_norm
from tfcli.models.base import TfcliModel, token_ids
from tfcli.presets.bert import BertConfig
from tfcli.spec import ResolvedInput


class BertModel(TfcliModel):
    def __init__(self, config: BertConfig):
        super().__init__()
        self.config = c = config
        layout = c.layout()
        self.tokens = TokenEmbedding(c.vocab_size, c.d_model)
        self.positions = LearnedPositions(c.max_positions, c.d_model)
        self.segments = TokenEmbedding(c.type_vocab_size, c.d_model)
        self.embed_norm = make_norm(layout["embed_norm"])
        self.encoder = Stack(layout["encoder"])
        self.pooler = Pooler(c.d_model) if c.pooler else None
        self.mlm_head = None
        if "mlm_head" in layout:  # its vocabulary projection is the token table
            self.mlm_head = MLMHead(c.d_model, c.vocab_size, c.activation, c.norm_eps)
            self.mlm_head.tie(self.tokens)
        self.classifier = None
        if "classifier" in layout:
            head = layout["classifier"]
            self.classifier = ClassifierHead(head.n_in, head.n_out)

    def inputs_for(self, x: ResolvedInput, device):
        return {"input_ids": token_ids(x.batch, x.seq_len, self.config.vocab_size, device)}

    def forward(self, input_ids, token_type_ids=None):
        T = input_ids.shape[1]
        if token_type_ids is None:
            token_type_ids = torch.zeros_like(input_ids)
        x = self.tokens(input_ids) + self.positions(T) + self.segments(token_type_ids)
        x = self.encoder(self.embed_norm(x))  # (B, T, d)
        pooled = self.pooler(x) if self.pooler is not None else None  # (B, d)
        head = self.config.head
        if head == "none":
            return (x, pooled) if pooled is not None else x
        outputs = []
        if self.mlm_head is not None:
            outputs.append(self.mlm_head(x))  # (B, T, vocab)
        if self.classifier is not None:
            # sequence-level heads read the pooled [CLS]; token-level heads (tagging, QA spans) every token
            outputs.append(self.classifier(pooled if head in ("sequence-classification", "pretraining",
                                                              "next-sentence", "multiple-choice") else x))
        return outputs[0] if len(outputs) == 1 else tuple(outputs)
