"""CLIP: a text tower and a vision tower trained contrastively; this file holds the text tower.

The text tower is a causally masked Transformer used as an encoder: its output at the
end-of-text token is the sentence embedding (no language-model head). Stable Diffusion
reuses it as its text encoder.
"""

from dataclasses import dataclass

from tfcli.presets._text import attention, check_attention, check_choices, feed_forward, layer_norm
from tfcli.registry import register_family
from tfcli.spec import ArchConfig


@dataclass
class CLIPTextConfig(ArchConfig):
    vocab_size: int = 49408
    d_model: int = 512
    num_layers: int = 12
    num_heads: int = 8
    ffn_dim: int = 2048
    max_positions: int = 77
    activation: str = "quick_gelu"
    norm_eps: float = 1e-5

    def check(self) -> None:
        check_attention(self.family, self.d_model, self.num_heads)
        check_choices(self.family, self.activation)

    def num_params(self) -> int:
        d = self.d_model
        layer = attention(d, d) + feed_forward(d, self.ffn_dim) + 2 * layer_norm(d)
        return (self.vocab_size + self.max_positions) * d + self.num_layers * layer + layer_norm(d)


register_family(
    "clip-text",
    CLIPTextConfig,
    builder="tfcli.models.clip:CLIPTextTower",
    kind="causal-encoder",
    modality="text",
    description="CLIP's text tower: a causally masked Transformer read out at the end-of-text token",
)
