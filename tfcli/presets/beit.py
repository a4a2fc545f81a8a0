"""BEiT: a ViT pre-trained BERT-style, by predicting the visual tokens of masked patches.

Its encoder places tokens with a learned relative-position bias in every block (or one table
shared by all) instead of an absolute table, scales each residual branch (LayerScale), gives
q and v biases but k none, and classifies the mean of the patch tokens through a final
LayerNorm. Counts match transformers 5.24 BeitForImageClassification built from the
microsoft/beit-* configs.
"""

from dataclasses import dataclass, replace

from tfcli.presets._vision import PatchEncoderConfig, image_input, vit_tower
from tfcli.presets.vit import vit_fields
from tfcli.registry import Family, FamilyFacts, Modality, Preset, Text, register
from tfcli.spec import (
    ArchConfig, InputShape, Layout, Linear, NormSpec, RelPosBias, ResolvedInput, block_spec,
)


@dataclass
class BEiTConfig(PatchEncoderConfig):
    num_classes: int = 1000  # 0: BeitModel, the pooled feature
    relative_position_bias: bool = True  # a table in every block (use_relative_position_bias)
    shared_relative_position_bias: bool = False  # one table for all blocks (added to their own, if both)
    absolute_positions: bool = False  # a ViT position table as well (use_absolute_position_embeddings)
    layer_scale: bool = True  # layer_scale_init_value > 0
    mean_pooling: bool = True  # LayerNorm(mean of the patch tokens), else the normalised [CLS]
    mask_token: bool = False  # the masked-image-modelling token (use_mask_token)
    activation: str = "gelu"
    norm_eps: float = 1e-12

    zero_ok = ("num_classes",)

    def rel_pos(self) -> RelPosBias:
        return RelPosBias(self.grid, self.num_heads, cls=True)

    def layout(self) -> Layout:
        block = block_spec(self.d_model, self.num_heads, self.ffn_dim, activation=self.activation,
                           norm_eps=self.norm_eps, layer_scale=self.layer_scale)
        block = replace(block, attention=replace(block.attention, k_bias=False),
                        rel_pos=self.rel_pos() if self.relative_position_bias else None)
        layout = vit_tower(patch_size=self.patch_size, in_channels=self.in_channels, grid=self.grid, block=block,
                           num_layers=self.num_layers, positions=self.absolute_positions,
                           extra_tokens={"mask_token": int(self.mask_token)},
                           final_norm=not self.mean_pooling)  # mean pooling normalises the mean instead
        if self.shared_relative_position_bias:
            layout.add("shared_rel_pos", self.rel_pos())
        if self.mean_pooling:
            layout.add("pooler_norm", NormSpec("layer", self.d_model, self.norm_eps), rows="one")
        if self.num_classes:
            layout.add("head", Linear(self.d_model, self.num_classes), rows="one")
        return layout

    def resolve_input(self, shape: InputShape) -> ResolvedInput:
        return image_input(shape, self.image_size, self.patch_size, [(1, "[CLS]")])


def from_hf(f) -> ArchConfig:
    f.architecture_is("BeitForImageClassification", "BeitModel")
    classify = f.architecture() != "BeitModel"
    f.expect("use_mask_token", False, "tfcli's BEiT classifier has no mask token (BeitForMaskedImageModeling's)")
    # transformers' BeitConfig defaults (the fine-tuned checkpoints spell them out)
    return BEiTConfig(
        **vit_fields(f),
        num_classes=f.num_labels() if classify else 0,
        relative_position_bias=f.bool("use_relative_position_bias", False),
        shared_relative_position_bias=f.bool("use_shared_relative_position_bias", False),
        absolute_positions=f.bool("use_absolute_position_embeddings", False),
        layer_scale=f.data.get("layer_scale_init_value", 0.1) not in (0, None),
        mean_pooling=f.bool("use_mean_pooling", True),
    )


def _beit(d: int, layers: int, heads: int, image_size: int = 224):
    return lambda: BEiTConfig(image_size=image_size, d_model=d, num_layers=layers, num_heads=heads, ffn_dim=4 * d)


_REF = "transformers BeitForImageClassification ({} config)"

FAMILY = register(Family(
    "beit",
    BEiTConfig,
    builder="tfcli.models.beit:BEiTModel",
    kind="encoder-only",
    modality=Modality.VISION,
    description="BERT-style pre-trained ViT: relative position bias per block, LayerScale, mean-pooled head",
    presets=(
        Preset("beit-b16", _beit(768, 12, 12), params=86_530_984, macs=17_581_987_584,
               aliases=("beit", "microsoft/beit-base-patch16-224", "beit-base-patch16-224"),
               reference=_REF.format("microsoft/beit-base-patch16-224"),
               description="BEiT-B/16 fine-tuned on ImageNet-1k at 224²: 14×14 patches + [CLS]"),
        Preset("beit-b16-384", _beit(768, 12, 12, 384), params=86_744_104, macs=55_537_530_624,
               aliases=("microsoft/beit-base-patch16-384", "beit-base-patch16-384"),
               reference=_REF.format("microsoft/beit-base-patch16-384"),
               description="BEiT-B/16 at 384²: 24×24 patches, larger relative tables"),
        Preset("beit-l16", _beit(1024, 24, 16), params=304_430_568, macs=61_603_132_416,
               aliases=("microsoft/beit-large-patch16-224", "beit-large-patch16-224"),
               reference=_REF.format("microsoft/beit-large-patch16-224")),
    ),
    facts=FamilyFacts(
        "BEiT",
        Text("masked image modelling: predict the visual tokens (a dVAE's codes) of masked patches",
             "遮蔽图像建模：预测被遮蔽 patch 的视觉 token（dVAE 的编码）"),
        Text("image classification, segmentation backbone", "图像分类、分割任务的骨干网络"),
        Text(
            "BERT's recipe for images: a bidirectional encoder that fills in masked patches, so every "
            "token sees every other; understanding only, no decoder",
            "把 BERT 的做法搬到图像：双向 Encoder 补全被遮蔽的 patch，每个 token 都看得到所有 token；属于理解任务，不需要 Decoder",
        ),
    ),
    hf_mappers={"beit": from_hf},
))
