"""Swin Transformer: a hierarchical ViT whose attention stays inside local windows.

4×4 patches make a fine grid (56×56 at 224²); each stage's blocks attend within 7×7 windows,
every second block over windows shifted by half a window (a cyclic shift plus a mask, so a
window never mixes tokens the shift brought from the far side), with a learned relative
bias per head and offset. Between stages, patch merging concatenates each 2×2 neighbourhood
(4C), normalises it and maps it to 2C: a quarter of the tokens, twice the width. Because
the windows have a fixed size, attention grows linearly with the number of tokens, not
quadratically. Counts match transformers 5.24 SwinForImageClassification built from the
microsoft/swin-* configs.
"""

from dataclasses import dataclass, replace

from tfcli.errors import InputShapeError
from tfcli.presets._text import check_attention, check_choices
from tfcli.registry import Family, FamilyFacts, Modality, Preset, Text, register
from tfcli.spec import (
    ArchConfig, InputShape, Layout, Linear, NormSpec, Part, PatchEmbed, RelPosBias, ResolvedInput, StackSpec,
    block_spec, require,
)


@dataclass(frozen=True)
class PatchMerging(Part):
    """Each 2×2 neighbourhood of a `dim`-wide grid concatenated (4·dim), a LayerNorm, and a
    bias-free linear to 2·dim; `rows` are the merged (next stage's) tokens."""

    dim: int

    def num_params(self) -> int:
        return NormSpec("layer", 4 * self.dim).num_params() + Linear(4 * self.dim, 2 * self.dim, bias=False).num_params()

    def add_macs(self, t, rows, context=None, times=1):
        t.norm(rows * 4 * self.dim, times)
        t.linear("other", rows, 4 * self.dim, 2 * self.dim, times)

    def add_saved(self, s, rows, context=None, times=1):
        NormSpec("layer", 4 * self.dim).add_saved(s, rows, times=times)
        s.add("other", times * rows * 4 * self.dim)  # the reduction's input


@dataclass
class SwinConfig(ArchConfig):
    image_size: int = 224
    patch_size: int = 4
    in_channels: int = 3
    embed_dim: int = 96  # the first stage's width; each later stage doubles it
    depths: tuple[int, ...] = (2, 2, 6, 2)
    num_heads: tuple[int, ...] = (3, 6, 12, 24)
    window_size: int = 7  # a window is window_size × window_size tokens
    mlp_ratio: float = 4.0
    num_classes: int = 1000  # 0: SwinModel, the pooled feature
    activation: str = "gelu"
    norm_eps: float = 1e-5

    zero_ok = ("num_classes",)

    @property
    def num_stages(self) -> int:
        return len(self.depths)

    def width(self, stage: int) -> int:
        return self.embed_dim * 2**stage

    def check(self) -> None:
        f = self.family
        require(len(self.num_heads) == self.num_stages, f,
                f"'num_heads' ({list(self.num_heads)}) needs one entry per stage of 'depths' ({list(self.depths)})")
        for i, heads in enumerate(self.num_heads):
            check_attention(f, self.width(i), heads)
        check_choices(f, self.activation)
        step = self.image_step()
        require(self.image_size % step == 0, f,
                f"'image_size' ({self.image_size}) must be a multiple of {step} (patch {self.patch_size} × "
                f"2^{self.num_stages - 1} merges × window {self.window_size}), so every stage's grid tiles whole windows")

    def image_step(self) -> int:
        """Image sides whose every stage's grid is whole windows: patch × 2^(stages−1) × window."""
        return self.patch_size * 2 ** (self.num_stages - 1) * self.window_size

    def layout(self) -> Layout:
        c, w = self.embed_dim, self.window_size
        layout = (
            Layout()
            .add("patch_embed", PatchEmbed(self.patch_size, self.in_channels, c), rows="stage0")
            .add("embed_norm", NormSpec("layer", c), rows="stage0")  # nn.LayerNorm's own eps in transformers
        )
        for i, (depth, heads) in enumerate(zip(self.depths, self.num_heads)):
            d = self.width(i)
            block = block_spec(d, heads, int(d * self.mlp_ratio), activation=self.activation, norm_eps=self.norm_eps)
            block = replace(block, attention=replace(block.attention, window=w), rel_pos=RelPosBias(w, heads))
            layout.add(f"stages.{i}", StackSpec(block, depth, final_norm=False), rows=f"stage{i}")
            if i < self.num_stages - 1:
                layout.add(f"stages.{i}.merge", PatchMerging(d), rows=f"stage{i + 1}")
        last = self.width(self.num_stages - 1)
        layout.add("norm", NormSpec("layer", last, self.norm_eps), rows=f"stage{self.num_stages - 1}")
        if self.num_classes:  # on the mean of the last stage's tokens
            layout.add("head", Linear(last, self.num_classes), rows="one")
        return layout

    def default_input(self) -> InputShape:
        return InputShape(image_size=self.image_size)

    def resolve_input(self, shape: InputShape) -> ResolvedInput:
        size, step = shape.image_size or self.image_size, self.image_step()
        if size % step:
            below = size // step * step
            fix = f"use {below} or {below + step}" if below else f"use {step}"
            raise InputShapeError(
                f"image size {size} does not tile Swin's {self.window_size}×{self.window_size} windows at every "
                f"stage (sides come in multiples of {step}); {fix}"
            )
        grids = [size // self.patch_size // 2**i for i in range(self.num_stages)]
        lengths = {f"stage{i}": g * g for i, g in enumerate(grids)} | {"one": 1}
        windows = [(g // self.window_size) ** 2 for g in grids]
        line = (f"tokens: {grids[0] ** 2} = {grids[0]}×{grids[0]} patches, merged stage by stage to "
                + " → ".join(f"{g}×{g}" for g in grids) + f"; {self.window_size}×{self.window_size} windows per "
                "stage: " + ", ".join(map(str, windows)))
        return ResolvedInput(batch=shape.batch or 1, image_size=size, lengths=lengths, tokens=grids[0] ** 2,
                             lines=[line])


def from_hf(f) -> ArchConfig:
    f.architecture_is("SwinForImageClassification", "SwinModel")
    f.expect("qkv_bias", True, "tfcli's Swin has q/k/v biases")
    f.expect("use_absolute_embeddings", False, "tfcli's Swin places tokens by relative biases only")
    # transformers' SwinConfig defaults (= microsoft/swin-tiny-patch4-window7-224)
    return SwinConfig(
        image_size=f.square("image_size", 224, to="image_size"),
        patch_size=f.square("patch_size", 4, to="patch_size"),
        in_channels=f.int("num_channels", 3, to="in_channels"),
        embed_dim=f.int("embed_dim", 96, to="embed_dim"),
        depths=f.int_list("depths", (2, 2, 6, 2), to="depths"),
        num_heads=f.int_list("num_heads", (3, 6, 12, 24), to="num_heads"),
        window_size=f.int("window_size", 7, to="window_size"),
        mlp_ratio=f.float("mlp_ratio", 4.0, to="mlp_ratio"),
        num_classes=f.num_labels() if f.architecture() != "SwinModel" else 0,
        activation=f.activation("hidden_act", "gelu"),
        norm_eps=f.float("layer_norm_eps", 1e-5),
    )


def _swin(embed_dim: int, depths: tuple[int, ...], heads: tuple[int, ...]):
    return lambda: SwinConfig(embed_dim=embed_dim, depths=depths, num_heads=heads)


_REF = "transformers SwinForImageClassification ({} config)"

FAMILY = register(Family(
    "swin",
    SwinConfig,
    builder="tfcli.models.swin:SwinModel",
    kind="encoder-only",
    modality=Modality.VISION,
    description="hierarchical ViT: shifted 7×7 window attention, patch merging between four stages",
    presets=(
        Preset("swin-t", _swin(96, (2, 2, 6, 2), (3, 6, 12, 24)), params=28_288_354, macs=4_509_194_496,
               aliases=("swin", "microsoft/swin-tiny-patch4-window7-224", "swin-tiny-patch4-window7-224"),
               reference=_REF.format("microsoft/swin-tiny-patch4-window7-224"),
               description="Swin-T: C = 96, depths 2-2-6-2, 56×56 → 7×7 tokens"),
        Preset("swin-s", _swin(96, (2, 2, 18, 2), (3, 6, 12, 24)), params=49_606_258, macs=8_768_534_784,
               aliases=("microsoft/swin-small-patch4-window7-224", "swin-small-patch4-window7-224"),
               reference=_REF.format("microsoft/swin-small-patch4-window7-224"),
               description="Swin-S: C = 96, depths 2-2-18-2"),
        Preset("swin-b", _swin(128, (2, 2, 18, 2), (4, 8, 16, 32)), params=87_768_224, macs=15_467_826_176,
               aliases=("microsoft/swin-base-patch4-window7-224", "swin-base-patch4-window7-224"),
               reference=_REF.format("microsoft/swin-base-patch4-window7-224"),
               description="Swin-B: C = 128, depths 2-2-18-2"),
    ),
    facts=FamilyFacts(
        "Swin Transformer",
        Text("supervised image classification (ImageNet-1k / 22k)", "监督式图像分类（ImageNet-1k / 22k）"),
        Text("image classification; backbone for detection and segmentation", "图像分类；侦测与分割的骨干网络"),
        Text(
            "an encoder that builds a feature pyramid like a convnet: attention inside shifted local "
            "windows keeps the cost linear in the image area, and patch merging halves the grid each stage; "
            "nothing is generated, so no decoder",
            "像卷积网络一样创建多尺度特征金字塔的 Encoder：在移位的局部窗口内做注意力，计算量随图像面积线性成长，patch merging 每个阶段把网格减半；不生成任何东西，所以不需要 Decoder",
        ),
    ),
    hf_mappers={"swin": from_hf},
))
