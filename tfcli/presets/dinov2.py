"""DINOv2: a self-supervised ViT (patch 14, LayerScale, a mask token; SwiGLU in the giant),
optionally with register tokens. Counts match transformers' Dinov2Model and
Dinov2WithRegistersModel built from the facebook/dinov2-* configs.
"""

from dataclasses import dataclass

from tfcli.presets._text import check_attention, check_choices, layer_norm
from tfcli.presets.vit import encoder_layer_params, patch_embedding_params
from tfcli.registry import register_family, register_preset
from tfcli.spec import ArchConfig, InputShape, divides


@dataclass
class DINOv2Config(ArchConfig):
    image_size: int = 518  # the position table is learned for a 37×37 grid
    patch_size: int = 14
    in_channels: int = 3
    d_model: int = 768
    num_layers: int = 12
    num_heads: int = 12
    mlp_ratio: float = 4.0
    swiglu: bool = False  # the giant model's feed-forward
    num_registers: int = 0  # extra learned tokens with no position ("ViTs need registers")
    activation: str = "gelu"  # the giant's SwiGLU gates with silu
    norm_eps: float = 1e-6

    zero_ok = ("num_registers",)

    @property
    def grid(self) -> int:
        return self.image_size // self.patch_size

    @property
    def ffn_dim(self) -> int:
        hidden = int(self.d_model * self.mlp_ratio)
        if self.swiglu:
            # two matrices in instead of one: keep 2/3 of the width (same parameters), rounded up to 8
            hidden = (int(hidden * 2 / 3) + 7) // 8 * 8
        return hidden

    def check(self) -> None:
        check_attention(self.family, self.d_model, self.num_heads)
        check_choices(self.family, self.activation)
        divides(self.family, "image_size", self.image_size, "patch_size", self.patch_size)

    def num_params(self) -> int:
        d = self.d_model
        embeddings = (
            patch_embedding_params(self.patch_size, self.in_channels, d)
            + 2 * d  # [CLS] and mask token
            + self.num_registers * d
            + (self.grid**2 + 1) * d  # positions for the patches and the [CLS]
        )
        layer = encoder_layer_params(d, self.ffn_dim, gated=self.swiglu, layer_scale=True)
        return embeddings + self.num_layers * layer + layer_norm(d)

    def default_input(self) -> InputShape:
        return InputShape(image_size=self.image_size)


register_family(
    "dinov2",
    DINOv2Config,
    builder="tfcli.models.dinov2:DINOv2Model",
    kind="encoder-only",
    modality="vision",
    description="self-supervised ViT backbone (LayerScale, mask token, optional registers); "
    "features, no classifier",
)

_SIZES = {  # hub size: (tag, d_model, layers, heads, SwiGLU)
    "small": ("s14", 384, 12, 6, False),
    "base": ("b14", 768, 12, 12, False),
    "large": ("l14", 1024, 24, 16, False),
    "giant": ("g14", 1536, 40, 24, True),
}


def _make(d: int, layers: int, heads: int, swiglu: bool, registers: int):
    return lambda: DINOv2Config(
        d_model=d, num_layers=layers, num_heads=heads, swiglu=swiglu, num_registers=registers,
        activation="silu" if swiglu else "gelu",
    )


for _size, (_tag, _d, _layers, _heads, _swiglu) in _SIZES.items():
    register_preset(
        f"dinov2-{_tag}", "dinov2", _make(_d, _layers, _heads, _swiglu, 0),
        aliases=(f"facebook/dinov2-{_size}", f"dinov2-{_size}") + (("dinov2",) if _size == "base" else ()),
        reference=f"transformers Dinov2Model (facebook/dinov2-{_size} config)",
    )
    register_preset(
        f"dinov2-{_tag}-reg", "dinov2", _make(_d, _layers, _heads, _swiglu, 4),
        aliases=(f"facebook/dinov2-with-registers-{_size}", f"dinov2-{_size}-reg")
        + (("dinov2-reg",) if _size == "base" else ()),
        reference=f"transformers Dinov2WithRegistersModel (facebook/dinov2-with-registers-{_size} config, "
        "4 registers)",
    )
