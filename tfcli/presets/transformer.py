"""The original Transformer (Vaswani et al. 2017): post-norm encoder-decoder, sinusoidal positions."""

from dataclasses import dataclass

from tfcli.presets._text import attention, check_attention, check_choices, feed_forward, layer_norm
from tfcli.registry import register_family, register_preset
from tfcli.spec import ArchConfig


@dataclass
class TransformerConfig(ArchConfig):
    vocab_size: int = 37000  # shared source/target BPE vocabulary (WMT En-De)
    d_model: int = 512
    num_layers: int = 6  # encoder
    num_decoder_layers: int = 6
    num_heads: int = 8
    ffn_dim: int = 2048
    activation: str = "relu"
    norm_eps: float = 1e-6

    def check(self) -> None:
        check_attention(self.family, self.d_model, self.num_heads)
        check_choices(self.family, self.activation)

    def num_params(self) -> int:
        # one embedding matrix, shared by encoder input, decoder input and the output
        # projection (no output bias); positions are sinusoidal, so they add nothing
        d = self.d_model
        ffn = feed_forward(d, self.ffn_dim)
        encoder = self.num_layers * (attention(d, d) + ffn + 2 * layer_norm(d))
        decoder = self.num_decoder_layers * (2 * attention(d, d) + ffn + 3 * layer_norm(d))
        return self.vocab_size * d + encoder + decoder


register_family(
    "transformer",
    TransformerConfig,
    builder="tfcli.models.transformer:Transformer",
    kind="encoder-decoder",
    modality="text",
    description="the original encoder-decoder for translation (Attention Is All You Need)",
)
_REF = "paper's {} (Vaswani et al. 2017, Table 3): tied 37000-token embeddings, no output bias, no final norms"
register_preset("transformer-base", "transformer", TransformerConfig, aliases=("transformer", "vaswani-base"), reference=_REF.format("65M"))
register_preset(
    "transformer-big", "transformer",
    lambda: TransformerConfig(d_model=1024, num_heads=16, ffn_dim=4096),
    aliases=("vaswani-big",), reference=_REF.format("213M"),
)
