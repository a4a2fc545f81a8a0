"""BART: a BERT-like encoder with a GPT-like decoder, denoising pre-training."""

from dataclasses import dataclass

from tfcli.presets._text import attention, check_attention, check_choices, feed_forward, layer_norm
from tfcli.registry import register_family, register_preset
from tfcli.spec import ArchConfig


@dataclass
class BartConfig(ArchConfig):
    vocab_size: int = 50265
    d_model: int = 768
    num_layers: int = 6  # encoder
    num_decoder_layers: int = 6
    num_heads: int = 12
    ffn_dim: int = 3072
    max_positions: int = 1024
    position_offset: int = 2  # BART's learned table keeps 2 rows before position 0
    activation: str = "gelu"
    norm_eps: float = 1e-5

    def check(self) -> None:
        check_attention(self.family, self.d_model, self.num_heads)
        check_choices(self.family, self.activation)

    def num_params(self) -> int:
        d = self.d_model
        positions = (self.max_positions + self.position_offset) * d + layer_norm(d)  # + embedding LN
        ffn = feed_forward(d, self.ffn_dim)
        encoder = positions + self.num_layers * (attention(d, d) + ffn + 2 * layer_norm(d))
        decoder = positions + self.num_decoder_layers * (2 * attention(d, d) + ffn + 3 * layer_norm(d))
        return self.vocab_size * d + encoder + decoder


register_family(
    "bart",
    BartConfig,
    builder="tfcli.models.bart:BartModel",
    kind="encoder-decoder",
    modality="text",
    description="bidirectional encoder + causal decoder, denoising pre-training",
)
_REF = "transformers BartForConditionalGeneration ({}), shared embedding tied to the LM head"
register_preset("bart-base", "bart", BartConfig, aliases=("bart", "facebook/bart-base"), reference=_REF.format("facebook/bart-base"))
register_preset(
    "bart-large", "bart",
    lambda: BartConfig(d_model=1024, num_layers=12, num_decoder_layers=12, num_heads=16, ffn_dim=4096),
    aliases=("facebook/bart-large",), reference=_REF.format("facebook/bart-large"),
)
