"""T5: encoder-decoder, relative-position bias, pre-RMSNorm, no biases, span-corruption pre-training."""

from dataclasses import dataclass

from tfcli.presets._text import attention, check_choices, feed_forward
from tfcli.registry import register_family, register_preset
from tfcli.spec import ArchConfig, require


@dataclass
class T5Config(ArchConfig):
    vocab_size: int = 32128
    d_model: int = 512
    num_layers: int = 6  # encoder
    num_decoder_layers: int = 6
    num_heads: int = 8
    head_dim: int = 64  # T5's d_kv: heads × head_dim need not equal d_model
    ffn_dim: int = 2048
    activation: str = "relu"
    gated: bool = False  # T5 v1.1 / Flan use gated GELU
    relative_buckets: int = 32
    relative_max_distance: int = 128
    norm_eps: float = 1e-6
    tie_embeddings: bool = True

    def check(self) -> None:
        check_choices(self.family, self.activation)
        require(self.relative_buckets >= 4, self.family, "'relative_buckets' must be at least 4")
        require(
            self.relative_max_distance > self.relative_buckets // 4,
            self.family,
            f"'relative_max_distance' ({self.relative_max_distance}) must exceed relative_buckets/4",
        )

    def num_params(self) -> int:
        d, inner = self.d_model, self.num_heads * self.head_dim
        ffn = feed_forward(d, self.ffn_dim, bias=False, gated=self.gated)
        attn = attention(d, inner, bias=False)
        rel_bias = self.relative_buckets * self.num_heads  # in the first layer of each stack
        encoder = self.num_layers * (attn + ffn + 2 * d) + rel_bias + d
        decoder = self.num_decoder_layers * (2 * attn + ffn + 3 * d) + rel_bias + d
        head = 0 if self.tie_embeddings else self.vocab_size * d
        return self.vocab_size * d + encoder + decoder + head


register_family(
    "t5",
    T5Config,
    builder="tfcli.models.t5:T5Model",
    kind="encoder-decoder",
    modality="text",
    description="encoder-decoder with relative position bias, text-to-text span corruption",
)
_REF = "transformers T5ForConditionalGeneration ({}), shared embedding tied to the LM head"
register_preset("t5-small", "t5", T5Config, aliases=("t5", "google-t5/t5-small"), reference=_REF.format("t5-small"))
register_preset(
    "t5-base", "t5",
    lambda: T5Config(d_model=768, num_layers=12, num_decoder_layers=12, num_heads=12, ffn_dim=3072),
    aliases=("google-t5/t5-base",), reference=_REF.format("t5-base"),
)
register_preset(
    "t5-large", "t5",
    lambda: T5Config(d_model=1024, num_layers=24, num_decoder_layers=24, num_heads=16, ffn_dim=4096),
    aliases=("google-t5/t5-large",), reference=_REF.format("t5-large"),
)
