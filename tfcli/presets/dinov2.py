"""DINOv2: a self-supervised ViT (patch 14, LayerScale, a mask token; SwiGLU in the giant),
optionally with register tokens. Counts match transformers' Dinov2Model and
Dinov2WithRegistersModel built from the facebook/dinov2-* configs.
"""

from dataclasses import dataclass

from tfcli.presets._text import check_attention, check_choices
from tfcli.presets._vision import image_input, vit_tower
from tfcli.registry import Family, FamilyFacts, Modality, Preset, Text, register
from tfcli.spec import ArchConfig, InputShape, Layout, ResolvedInput, block_spec, divides


@dataclass
class DINOv2Config(ArchConfig):
    image_size: int = 518  # the position table is learned for a 37×37 grid
    patch_size: int = 14
    in_channels: int = 3
    d_model: int = 768
    num_layers: int = 12
    num_heads: int = 12
    mlp_ratio: float = 4.0
    gated: bool = False  # SwiGLU: the giant model's feed-forward
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
        if self.gated:
            # two matrices in instead of one: keep 2/3 of the width (same parameters), rounded up to 8
            hidden = (int(hidden * 2 / 3) + 7) // 8 * 8
        return hidden

    def check(self) -> None:
        check_attention(self.family, self.d_model, self.num_heads)
        check_choices(self.family, self.activation)
        divides(self.family, "image_size", self.image_size, "patch_size", self.patch_size)

    def layout(self) -> Layout:
        block = block_spec(self.d_model, self.num_heads, self.ffn_dim, activation=self.activation, gated=self.gated,
                           norm_eps=self.norm_eps, layer_scale=True)
        # the stack's final norm is Dinov2Model's `layernorm`; registers carry no position
        return vit_tower(patch_size=self.patch_size, in_channels=self.in_channels, grid=self.grid, block=block,
                         num_layers=self.num_layers,
                         extra_tokens={"mask_token": 1, "registers": self.num_registers})

    def default_input(self) -> InputShape:
        return InputShape(image_size=self.image_size)

    def image_step(self) -> int:
        return self.patch_size

    def resolve_input(self, shape: InputShape) -> ResolvedInput:
        return image_input(shape, self.image_size, self.patch_size, [(1, "[CLS]"), (self.num_registers, "registers")])


def from_hf(f, registers: bool = False) -> ArchConfig:
    f.architecture_is("Dinov2WithRegistersModel" if registers else "Dinov2Model")
    f.expect("qkv_bias", True, "tfcli's DINOv2 has q/k/v biases")
    f.expect("num_channels", 3, "tfcli's DINOv2 reads RGB images")
    f.expect("use_mask_token", True, "tfcli's DINOv2 always carries the mask token")
    swiglu = f.bool("use_swiglu_ffn", False)
    return DINOv2Config(
        # transformers' defaults, not the checkpoints' (published files spell out 518 and 14)
        image_size=f.square("image_size", 224, to="image_size"),
        patch_size=f.square("patch_size", 16 if registers else 14, to="patch_size"),
        d_model=f.int("hidden_size", 768, to="d_model"),
        num_layers=f.int("num_hidden_layers", 12, to="num_layers"),
        num_heads=f.int("num_attention_heads", 12, to="num_heads"),
        mlp_ratio=f.float("mlp_ratio", 4.0),
        gated=swiglu,
        num_registers=f.int("num_register_tokens", 4, zero_ok=True, to="num_registers") if registers else 0,
        # SwiGLU gates with silu whatever hidden_act says
        activation="silu" if swiglu else f.activation("hidden_act", "gelu"),
        norm_eps=f.float("layer_norm_eps", 1e-6),
    )



_SIZES = {  # hub size: (tag, d_model, layers, heads, SwiGLU)
    "small": ("s14", 384, 12, 6, False),
    "base": ("b14", 768, 12, 12, False),
    "large": ("l14", 1024, 24, 16, False),
    "giant": ("g14", 1536, 40, 24, True),
}


def _make(d: int, layers: int, heads: int, swiglu: bool, registers: int):
    return lambda: DINOv2Config(
        d_model=d, num_layers=layers, num_heads=heads, gated=swiglu, num_registers=registers,
        activation="silu" if swiglu else "gelu",
    )


# tag → (params, MACs at 518 px) of the plain and the -reg preset
_PINS = {
    "s14": ((22_056_576, 46_762_499_328), (22_058_112, 46_948_780_800)),
    "b14": ((86_580_480, 151_705_238_016), (86_583_552, 152_247_670_272)),
    "l14": ((304_368_640, 507_147_532_288), (304_372_736, 508_895_987_712)),
    "g14": ((1_136_480_768, 1_784_195_208_192), (1_136_486_912, 1_790_076_275_712)),
}


def _presets():
    for size, (tag, d, layers, heads, swiglu) in _SIZES.items():
        (params, macs), (reg_params, reg_macs) = _PINS[tag]
        yield Preset(
            f"dinov2-{tag}", _make(d, layers, heads, swiglu, 0), params=params, macs=macs, slow=tag == "g14",
            aliases=(f"facebook/dinov2-{size}", f"dinov2-{size}") + (("dinov2",) if size == "base" else ()),
            reference=f"transformers Dinov2Model (facebook/dinov2-{size} config)",
        )
        yield Preset(
            f"dinov2-{tag}-reg", _make(d, layers, heads, swiglu, 4), params=reg_params, macs=reg_macs,
            slow=tag == "g14",
            aliases=(f"facebook/dinov2-with-registers-{size}", f"dinov2-{size}-reg")
            + (("dinov2-reg",) if size == "base" else ()),
            reference=f"transformers Dinov2WithRegistersModel (facebook/dinov2-with-registers-{size} config, "
            "4 registers)",
        )


FAMILY = register(Family(
    "dinov2",
    DINOv2Config,
    builder="tfcli.models.dinov2:DINOv2Model",
    kind="encoder-only",
    modality=Modality.VISION,
    description="self-supervised ViT backbone (LayerScale, mask token, optional registers); "
    "features, no classifier",
    presets=tuple(_presets()),
    facts=FamilyFacts(
            "DINOv2",
            Text("self-supervised self-distillation (DINO + iBOT masked-patch loss)", "自监督自蒸馏（DINO + iBOT 遮蔽 patch 损失）"),
            Text("general-purpose image features: retrieval, segmentation, depth", "通用图像特征：检索、分割、深度估计"),
            Text(
                "representation learning with no labels and nothing to generate: a ViT encoder "
                "(with LayerScale and register tokens) is all it needs",
                "无标注的表征学习，没有生成任务：只需要 ViT Encoder（加上 LayerScale 与 register tokens）",
            ),
        ),
    hf_mappers={"dinov2": from_hf, "dinov2_with_registers": lambda f: from_hf(f, registers=True)},
))
