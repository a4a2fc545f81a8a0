"""BERT: a bidirectional encoder pre-trained by masked language modelling."""

from dataclasses import dataclass

from tfcli.presets._text import attention, check_attention, check_choices, feed_forward, layer_norm, linear
from tfcli.registry import register_family, register_preset
from tfcli.spec import ArchConfig


@dataclass
class BertConfig(ArchConfig):
    vocab_size: int = 30522
    d_model: int = 768
    num_layers: int = 12
    num_heads: int = 12
    ffn_dim: int = 3072
    max_positions: int = 512
    type_vocab_size: int = 2  # segment A/B embeddings
    activation: str = "gelu"
    norm_eps: float = 1e-12
    pooler: bool = True

    def check(self) -> None:
        check_attention(self.family, self.d_model, self.num_heads)
        check_choices(self.family, self.activation)

    def num_params(self) -> int:
        d = self.d_model
        embeddings = (self.vocab_size + self.max_positions + self.type_vocab_size) * d + layer_norm(d)
        layer = attention(d, d) + feed_forward(d, self.ffn_dim) + 2 * layer_norm(d)
        pooler = linear(d, d) if self.pooler else 0
        return embeddings + self.num_layers * layer + pooler


register_family(
    "bert",
    BertConfig,
    builder="tfcli.models.bert:BertModel",
    kind="encoder-only",
    modality="text",
    description="bidirectional encoder, masked-language-model pre-training",
)
_REF = "transformers BertModel with pooler ({})"
register_preset(
    "bert-base", "bert", BertConfig,
    aliases=("bert", "bert-base-uncased", "google-bert/bert-base-uncased"),
    reference=_REF.format("bert-base-uncased"),
)
register_preset(
    "bert-large", "bert",
    lambda: BertConfig(d_model=1024, num_layers=24, num_heads=16, ffn_dim=4096),
    aliases=("bert-large-uncased", "google-bert/bert-large-uncased"),
    reference=_REF.format("bert-large-uncased"),
)
