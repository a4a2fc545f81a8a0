"""BERT and the encoders built like it (RoBERTa, XLM-R, DistilBERT, ELECTRA, ALBERT), from
their layout: token + position (+ segment) embeddings, a LayerNorm, an optional projection of
narrow embeddings up to the encoder's width, a post-norm bidirectional stack (one shared
layer for ALBERT), the pooler and the task head the config names (transformers' *For* classes)."""

import torch

from tfcli.blocks import ClassifierHead, LearnedPositions, MLMHead, Pooler, Stack, TokenEmbedding
from tfcli.blocks.embeddings import EmbeddingProjection
from tfcli.blocks.heads import DenseHead
from tfcli.blocks.norms import make_norm
from tfcli.models.base import TfcliModel, token_ids
from tfcli.presets.bert import BertConfig, DenseHeadSpec
from tfcli.spec import ResolvedInput


def classifier_from_spec(head):
    """A classifier part → its module: a dense → act → out head, or one linear layer."""
    if isinstance(head, DenseHeadSpec):
        return DenseHead(head.d_model, head.n_out, head.activation)
    return ClassifierHead(head.n_in, head.n_out)


class BertModel(TfcliModel):
    def __init__(self, config: BertConfig):
        super().__init__()
        self.config = c = config
        layout = c.layout()
        d, e = c.d_model, c.embed_width
        self.tokens = TokenEmbedding(c.vocab_size, e)
        self.positions = LearnedPositions(c.max_positions, e, offset=c.position_offset)
        self.segments = TokenEmbedding(c.type_vocab_size, e) if "segments" in layout else None
        self.embed_norm = make_norm(layout["embed_norm"])
        self.embed_proj = EmbeddingProjection(e, d) if "embed_proj" in layout else None
        self.encoder = Stack(layout["encoder"])
        self.pooler = Pooler(d) if "pooler" in layout else None
        self.mlm_head = None
        if "mlm_head" in layout:  # its vocabulary projection is the token table
            spec = layout["mlm_head"]
            self.mlm_head = MLMHead(d, c.vocab_size, c.mlm_activation or c.activation, c.norm_eps, spec.width)
            self.mlm_head.tie(self.tokens)
        self.classifier = None
        self.classifier_reads = "tokens"
        for use in layout:
            if use.name == "classifier":
                head = use.part
                self.classifier_reads = use.rows
                self.classifier = classifier_from_spec(head)

    def inputs_for(self, x: ResolvedInput, device):
        return {"input_ids": token_ids(x.batch, x.seq_len, self.config.vocab_size, device)}

    def forward(self, input_ids, token_type_ids=None):
        T = input_ids.shape[1]
        x = self.tokens(input_ids) + self.positions(T)
        if self.segments is not None:
            if token_type_ids is None:
                token_type_ids = torch.zeros_like(input_ids)
            x = x + self.segments(token_type_ids)
        x = self.embed_norm(x)  # (B, T, e)
        if self.embed_proj is not None:
            x = self.embed_proj(x)  # (B, T, d)
        x = self.encoder(x)  # (B, T, d)
        pooled = self.pooler(x) if self.pooler is not None else None  # (B, d)
        if self.config.head == "none":
            return (x, pooled) if pooled is not None else x
        outputs = []
        if self.mlm_head is not None:
            outputs.append(self.mlm_head(x))  # (B, T, vocab)
        if self.classifier is not None:
            # sequence-level heads read the pooled [CLS] (or, without a pooler, the first
            # state); token-level heads (tagging, QA spans, ELECTRA's discriminator) every token
            if self.classifier_reads == "one":
                outputs.append(self.classifier(pooled if pooled is not None else x[:, 0]))
            else:
                outputs.append(self.classifier(x))
        return outputs[0] if len(outputs) == 1 else tuple(outputs)
