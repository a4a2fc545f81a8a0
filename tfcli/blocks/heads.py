"""Output heads: language-model projection, BERT's pooler, a classifier."""

import torch
from torch import nn


class LMHead(nn.Module):
    """Projects hidden states to vocabulary logits; usually tied to the token embedding."""

    category = "heads"

    def __init__(self, d_model: int, vocab_size: int, bias: bool = False, softcap: float = 0.0):
        super().__init__()
        self.proj = nn.Linear(d_model, vocab_size, bias=bias)
        self.softcap = softcap  # > 0: logits → cap·tanh(logits/cap) (Gemma 2)

    def tie(self, embedding: nn.Embedding) -> None:
        # one matrix serves both ends; parameters() yields it once, so it counts once
        self.proj.weight = embedding.weight

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        logits = self.proj(x)  # (B, T, vocab)
        return self.softcap * torch.tanh(logits / self.softcap) if self.softcap else logits


class Pooler(nn.Module):
    """BERT's pooler: dense + tanh over the [CLS] state."""

    category = "heads"

    def __init__(self, d_model: int):
        super().__init__()
        self.dense = nn.Linear(d_model, d_model)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.dense(x[:, 0]))  # (B, d)


class ClassifierHead(nn.Module):
    category = "heads"

    def __init__(self, d_model: int, num_classes: int, bias: bool = True):
        super().__init__()
        self.proj = nn.Linear(d_model, num_classes, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.proj(x)


class MLMHead(nn.Module):
    """BERT's masked-LM head: dense d→d, activation, LayerNorm, then logits over the vocabulary
    through the token table's matrix (tied) plus a bias of its own."""

    category = "heads"

    def __init__(self, d_model: int, vocab_size: int, activation: str = "gelu", eps: float = 1e-12,
                 embed_dim: int | None = None):
        super().__init__()
        from tfcli.blocks.mlp import activation_fn

        e = embed_dim or d_model  # ALBERT, ELECTRA's generator: back down to the embedding width
        self.dense = nn.Linear(d_model, e)
        self.act = activation_fn(activation)
        self.norm = nn.LayerNorm(e, eps=eps)
        self.decoder = nn.Linear(e, vocab_size)

    def tie(self, embedding: nn.Embedding) -> None:
        self.decoder.weight = embedding.weight

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.norm(self.act(self.dense(x))))  # (B, T, vocab)


class DenseHead(nn.Module):
    """dense d→d, activation, then d→n_out: RoBERTa's / ELECTRA's classification head over
    the first token, DistilBERT's pre_classifier + classifier, ELECTRA's discriminator."""

    category = "heads"

    def __init__(self, d_model: int, n_out: int, activation: str = "tanh"):
        super().__init__()
        from tfcli.blocks.mlp import activation_fn

        self.dense = nn.Linear(d_model, d_model)
        self.act = torch.tanh if activation == "tanh" else activation_fn(activation)
        self.out = nn.Linear(d_model, n_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.act(self.dense(x)))
