"""ViT: an image cut into patches, read as a sequence by a bidirectional pre-norm encoder.

Counts match timm's `vit_*_224` models built with pretrained=False (their default heads).
"""

from dataclasses import dataclass

from tfcli.presets._text import attention, check_attention, check_choices, feed_forward, layer_norm, linear
from tfcli.registry import register_family, register_preset
from tfcli.spec import ArchConfig, InputShape, divides, require


def patch_embedding_params(patch_size: int, in_channels: int, d: int) -> int:
    """The strided conv: one d-vector per patch pixel and channel, plus a bias."""
    return patch_size * patch_size * in_channels * d + d


def encoder_layer_params(d: int, ffn_dim: int, gated: bool = False, layer_scale: bool = False) -> int:
    """A pre-norm block: 2 LayerNorms, QKV + output projection, MLP, optional LayerScale."""
    return attention(d, d) + feed_forward(d, ffn_dim, gated=gated) + 2 * layer_norm(d) + (2 * d if layer_scale else 0)


@dataclass
class ViTConfig(ArchConfig):
    image_size: int = 224  # the size the position table is learned for
    patch_size: int = 16
    in_channels: int = 3
    d_model: int = 768
    num_layers: int = 12
    num_heads: int = 12
    ffn_dim: int = 3072
    num_classes: int = 1000  # 0: no head, the model returns the [CLS] feature
    pooler: bool = False  # transformers' ViTModel: dense + tanh over the final [CLS] (headless only)
    activation: str = "gelu"
    norm_eps: float = 1e-6

    zero_ok = ("num_classes",)

    @property
    def grid(self) -> int:
        return self.image_size // self.patch_size

    def check(self) -> None:
        check_attention(self.family, self.d_model, self.num_heads)
        check_choices(self.family, self.activation)
        divides(self.family, "image_size", self.image_size, "patch_size", self.patch_size)
        require(
            not (self.pooler and self.num_classes), self.family,
            f"'pooler' is the headless backbone's output (transformers ViTModel); set num_classes=0 "
            f"(got {self.num_classes}) or pooler=false",
        )

    def num_params(self) -> int:
        d = self.d_model
        embeddings = (
            patch_embedding_params(self.patch_size, self.in_channels, d)
            + d  # [CLS]
            + (self.grid**2 + 1) * d  # positions: every patch and the [CLS]
        )
        head = linear(d, self.num_classes) if self.num_classes else 0
        head += linear(d, d) if self.pooler else 0
        return embeddings + self.num_layers * encoder_layer_params(d, self.ffn_dim) + layer_norm(d) + head

    def default_input(self) -> InputShape:
        return InputShape(image_size=self.image_size)


register_family(
    "vit",
    ViTConfig,
    builder="tfcli.models.vit:ViTModel",
    kind="encoder-only",
    modality="vision",
    description="Vision Transformer: image patches as tokens, a bidirectional pre-norm encoder, [CLS] head",
)


def _vit(patch_size: int, d_model: int, num_layers: int, num_heads: int, num_classes: int = 1000):
    return lambda: ViTConfig(
        patch_size=patch_size, d_model=d_model, num_layers=num_layers, num_heads=num_heads,
        ffn_dim=4 * d_model, num_classes=num_classes,
    )


_REF = "timm {}(pretrained=False), 1000-class head"
register_preset(
    "vit-s16", "vit", _vit(16, 384, 12, 6),
    aliases=("vit_small_patch16_224", "vit-small"),
    reference=_REF.format("vit_small_patch16_224"),
)
register_preset(
    "vit-b16", "vit", _vit(16, 768, 12, 12),
    aliases=("vit", "vit-base", "vit_base_patch16_224", "google/vit-base-patch16-224"),
    reference=_REF.format("vit_base_patch16_224") + " (= transformers ViTForImageClassification)",
)
register_preset(
    "vit-b32", "vit", _vit(32, 768, 12, 12),
    aliases=("vit_base_patch32_224",),
    reference=_REF.format("vit_base_patch32_224"),
)
register_preset(
    "vit-l16", "vit", _vit(16, 1024, 24, 16),
    aliases=("vit-large", "vit_large_patch16_224", "google/vit-large-patch16-224"),
    reference=_REF.format("vit_large_patch16_224"),
)
register_preset(
    "vit-h14", "vit", _vit(14, 1280, 32, 16),
    aliases=("vit-huge", "vit_huge_patch14_224"),
    reference="timm vit_huge_patch14_224(num_classes=1000), like the other vit-* presets; timm's own "
    "default for this name (orig_in21k) has no head: --set num_classes=0 gives its 630,764,800",
)
