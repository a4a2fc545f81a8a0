"""CLIP: a text tower and a vision tower trained contrastively.

The text tower is a causally masked Transformer used as an encoder: its output at the
end-of-text token is the sentence embedding (no language-model head). Stable Diffusion
reuses it as its text encoder (family "clip-text"). The vision tower is a ViT; the two
meet only in a shared embedding space through bias-free projections (family "clip").
"""

from dataclasses import dataclass, field
from typing import ClassVar

from tfcli.presets._text import attention, check_attention, check_choices, feed_forward, layer_norm
from tfcli.registry import register_family, register_preset
from tfcli.spec import ArchConfig, InputShape, divides


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

    def default_input(self) -> InputShape:
        return InputShape(seq_len=self.max_positions)  # prompts are padded to the full context


register_family(
    "clip-text",
    CLIPTextConfig,
    builder="tfcli.models.clip:CLIPTextTower",
    kind="causal-encoder",
    modality="text",
    description="CLIP's text tower: a causally masked Transformer read out at the end-of-text token",
)


# -- the two-tower model -------------------------------------------------------


@dataclass
class CLIPVisionConfig(ArchConfig):
    """CLIP's image tower: a ViT with a LayerNorm before its blocks ("pre_layrnorm") and
    one on the [CLS] state after them. Nested inside CLIPConfig, not a family of its own."""

    family: ClassVar[str] = "clip-vision"

    d_model: int = 768
    num_layers: int = 12
    num_heads: int = 12
    ffn_dim: int = 3072
    image_size: int = 224
    patch_size: int = 32
    activation: str = "quick_gelu"
    norm_eps: float = 1e-5

    def check(self) -> None:
        check_attention(self.family, self.d_model, self.num_heads)
        check_choices(self.family, self.activation)
        divides(self.family, "image_size", self.image_size, "patch_size", self.patch_size)

    @property
    def num_patches(self) -> int:
        return (self.image_size // self.patch_size) ** 2

    def num_params(self) -> int:
        d, p = self.d_model, self.patch_size
        layer = attention(d, d) + feed_forward(d, self.ffn_dim) + 2 * layer_norm(d)
        # patch conv (no bias) + [CLS] vector + one position per patch and for [CLS]
        embed = 3 * p * p * d + d + (self.num_patches + 1) * d
        return embed + layer_norm(d) + self.num_layers * layer + layer_norm(d)


@dataclass
class CLIPConfig(ArchConfig):
    text: CLIPTextConfig = field(default_factory=CLIPTextConfig)
    vision: CLIPVisionConfig = field(default_factory=CLIPVisionConfig)
    projection_dim: int = 512  # width of the shared image-text embedding space
    logit_scale_init: float = 2.6592  # log(1/0.07): the learned temperature starts at 0.07

    def check(self) -> None:
        self.text.validate()
        self.vision.validate()

    def num_params(self) -> int:
        projections = (self.text.d_model + self.vision.d_model) * self.projection_dim  # no bias
        return self.text.num_params() + self.vision.num_params() + projections + 1  # + logit scale

    def default_input(self) -> InputShape:
        return InputShape(seq_len=self.text.max_positions, image_size=self.vision.image_size)


register_family(
    "clip",
    CLIPConfig,
    builder="tfcli.models.clip:CLIPModel",
    kind="dual-encoder",
    modality="image+text",
    description="contrastive image-text model: a causal text tower and a ViT joined only by projections",
)


def _clip(vision_width: int, vision_layers: int, patch: int, text_width: int, proj: int) -> CLIPConfig:
    return CLIPConfig(
        text=CLIPTextConfig(d_model=text_width, num_heads=text_width // 64, ffn_dim=4 * text_width),
        vision=CLIPVisionConfig(
            d_model=vision_width,
            num_layers=vision_layers,
            num_heads=vision_width // 64,
            ffn_dim=4 * vision_width,
            patch_size=patch,
        ),
        projection_dim=proj,
    )


_REF = "transformers CLIPModel ({})"
register_preset(
    "clip-b32",
    "clip",
    lambda: _clip(768, 12, 32, 512, 512),
    aliases=("clip", "openai/clip-vit-base-patch32", "clip-vit-base-patch32"),
    reference=_REF.format("openai/clip-vit-base-patch32"),
    description="CLIP ViT-B/32: 224² image → 7×7 patches, 77-token text",
)
register_preset(
    "clip-b16",
    "clip",
    lambda: _clip(768, 12, 16, 512, 512),
    aliases=("openai/clip-vit-base-patch16", "clip-vit-base-patch16"),
    reference=_REF.format("openai/clip-vit-base-patch16"),
    description="CLIP ViT-B/16: 224² image → 14×14 patches",
)
register_preset(
    "clip-l14",
    "clip",
    lambda: _clip(1024, 24, 14, 768, 768),
    aliases=("openai/clip-vit-large-patch14", "clip-vit-large-patch14"),
    reference=_REF.format("openai/clip-vit-large-patch14"),
    description="CLIP ViT-L/14: 224² image → 16×16 patches, 768-wide text tower",
)
