"""ViT: an image cut into patches, read as a sequence by a bidirectional pre-norm encoder.

Counts match timm's `vit_*_224` models built with pretrained=False (their default heads).
"""

from dataclasses import dataclass

from tfcli.presets._vision import PatchEncoderConfig, classifier, image_input, vit_tower
from tfcli.registry import Family, FamilyFacts, Modality, Preset, Text, register
from tfcli.spec import ArchConfig, InputShape, Layout, ResolvedInput, block_spec, require


@dataclass
class ViTConfig(PatchEncoderConfig):
    num_classes: int = 1000  # 0: no head, the model returns the [CLS] feature
    pooler: bool = False  # transformers' ViTModel: dense + tanh over the final [CLS] (headless only)
    activation: str = "gelu"
    norm_eps: float = 1e-6

    zero_ok = ("num_classes",)

    def check(self) -> None:
        super().check()
        require(
            not (self.pooler and self.num_classes), self.family,
            f"'pooler' is the headless backbone's output (transformers ViTModel); set num_classes=0 "
            f"(got {self.num_classes}) or pooler=false",
        )

    def layout(self) -> Layout:
        block = block_spec(self.d_model, self.num_heads, self.ffn_dim, activation=self.activation, norm_eps=self.norm_eps)
        # pre-norm blocks; the stack's final LayerNorm is timm's `norm`
        tower = vit_tower(patch_size=self.patch_size, in_channels=self.in_channels, grid=self.grid, block=block,
                          num_layers=self.num_layers)
        return classifier(tower, self.d_model, self.num_classes, self.pooler)

    def resolve_input(self, shape: InputShape) -> ResolvedInput:
        return image_input(shape, self.image_size, self.patch_size, [(1, "[CLS]")])


def from_hf(f) -> ArchConfig:
    f.expect("qkv_bias", True, "tfcli's ViT has q/k/v biases")
    f.expect("pooler_act", "tanh", "tfcli's pooler is dense + tanh")
    d = f.int("hidden_size", 768, to="d_model")
    f.expect("pooler_output_size", d, "tfcli's pooler keeps the hidden width")
    # Which model the file means: the one `architectures` names; without it, a file with
    # labels is the classifier (ViTForImageClassification: 1 head, no pooler) and one
    # without is the bare backbone (ViTModel: no head, the pooler)
    arch, labels = f.architecture(), f.data.get("id2label")
    if arch not in (None, "ViTModel", "ViTForImageClassification"):
        raise f.fail("architectures", f"'{arch}' is not modelled; tfcli builds ViTModel or ViTForImageClassification")
    classify = arch == "ViTForImageClassification" or (arch is None and isinstance(labels, dict) and bool(labels))
    if classify:
        classes = len(labels) if isinstance(labels, dict) and labels else f.int("num_labels", 2, zero_ok=True)
        f.names["num_classes"] = "id2label"
        f.notes.append(
            f"built as ViTForImageClassification ({classes}-class head, no pooler); "
            "--set num_classes=0 pooler=true gives the ViTModel backbone"
        )
    else:
        classes = 0
    return ViTConfig(**vit_fields(f), num_classes=classes, pooler=not classify)


def vit_fields(f, activation: str = "gelu", norm_eps: float = 1e-12) -> dict:
    """The ViT fields of a transformers ViT-shaped config (ViT, DeiT, SigLIP's image tower), at
    transformers' defaults (the activation's and eps's are the family's)."""
    return dict(
        image_size=f.square("image_size", 224, to="image_size"),
        patch_size=f.square("patch_size", 16, to="patch_size"),
        in_channels=f.int("num_channels", 3, to="in_channels"),
        d_model=f.int("hidden_size", 768, to="d_model"),
        num_layers=f.int("num_hidden_layers", 12, to="num_layers"),
        num_heads=f.int("num_attention_heads", 12, to="num_heads"),
        ffn_dim=f.int("intermediate_size", 3072, to="ffn_dim"),
        activation=f.activation("hidden_act", activation),
        norm_eps=f.float("layer_norm_eps", norm_eps),
    )




def _vit(patch_size: int, d_model: int, num_layers: int, num_heads: int, num_classes: int = 1000):
    return lambda: ViTConfig(
        patch_size=patch_size, d_model=d_model, num_layers=num_layers, num_heads=num_heads,
        ffn_dim=4 * d_model, num_classes=num_classes,
    )


_REF = "timm {}(pretrained=False), 1000-class head"

FAMILY = register(Family(
    "vit",
    ViTConfig,
    builder="tfcli.models.vit:ViTModel",
    kind="encoder-only",
    modality=Modality.VISION,
    description="Vision Transformer: image patches as tokens, a bidirectional pre-norm encoder, [CLS] head",
    presets=(
        Preset("vit-s16", _vit(16, 384, 12, 6), params=22_050_664, macs=4_608_338_304,
               aliases=("vit_small_patch16_224", "vit-small"), reference=_REF.format("vit_small_patch16_224")),
        Preset("vit-b16", _vit(16, 768, 12, 12), params=86_567_656, macs=17_582_740_224,
               aliases=("vit", "vit-base", "vit_base_patch16_224", "google/vit-base-patch16-224"),
               reference=_REF.format("vit_base_patch16_224") + " (= transformers ViTForImageClassification)"),
        Preset("vit-b32", _vit(32, 768, 12, 12), params=88_224_232, macs=4_413_986_304,
               aliases=("vit_base_patch32_224",), reference=_REF.format("vit_base_patch32_224")),
        Preset("vit-l16", _vit(16, 1024, 24, 16), params=304_326_632, macs=61_604_135_936,
               aliases=("vit-large", "vit_large_patch16_224", "google/vit-large-patch16-224"),
               reference=_REF.format("vit_large_patch16_224")),
        Preset("vit-h14", _vit(14, 1280, 32, 16), params=632_045_800, macs=167_402_021_120,
               aliases=("vit-huge", "vit_huge_patch14_224"),
               reference="timm vit_huge_patch14_224(num_classes=1000), like the other vit-* presets; timm's own "
               "default for this name (orig_in21k) has no head: --set num_classes=0 gives its 630,764,800"),
    ),
    facts=FamilyFacts(
            "Vision Transformer (ViT)",
            Text("supervised image classification (ImageNet-21k / JFT)", "监督式图像分类（ImageNet-21k / JFT）"),
            Text("image classification, backbone features", "图像分类、作为骨干网络抽取特征"),
            Text(
                "image patches become tokens and an encoder extracts a global representation "
                "through the CLS token: understanding, so no decoder",
                "把图片切成 patch 当作 token，Encoder 透过 CLS token 提取全局特征：属于理解任务，不需要 Decoder",
            ),
        ),
    hf_mappers={"vit": from_hf},
))
