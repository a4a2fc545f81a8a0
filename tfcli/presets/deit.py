"""DeiT: the ViT trained data-efficiently on ImageNet alone, distilled from a convnet teacher
through a second learned token.

The distilled models (transformers' DeiTForImageClassificationWithTeacher) put a distillation
token after [CLS], with a position of its own, and read it with a second classifier; at
inference the two heads' logits are averaged. The plain checkpoints are ViTs (their files say
ViTForImageClassification). Counts match transformers 5.24 built from the facebook/deit-* configs.
"""

from dataclasses import dataclass

from tfcli.presets._vision import classifier, image_input, vit_tower
from tfcli.presets.vit import ViTConfig, vit_fields
from tfcli.registry import Family, FamilyFacts, Modality, Preset, Text, register
from tfcli.spec import InputShape, Layout, Linear, ResolvedInput, block_spec, require


@dataclass
class DeiTConfig(ViTConfig):
    distillation_token: bool = True  # a second learned prefix token, with a position
    distillation_head: bool = True  # a classifier on it (DeiTForImageClassificationWithTeacher)
    norm_eps: float = 1e-12

    def check(self) -> None:
        super().check()
        require(
            self.distillation_token or not self.distillation_head, self.family,
            "'distillation_head' reads the distillation token; set distillation_token=true or distillation_head=false",
        )

    def layout(self) -> Layout:
        block = block_spec(self.d_model, self.num_heads, self.ffn_dim, activation=self.activation, norm_eps=self.norm_eps)
        tower = vit_tower(patch_size=self.patch_size, in_channels=self.in_channels, grid=self.grid, block=block,
                          num_layers=self.num_layers,
                          positioned_tokens={"distillation_token": int(self.distillation_token)})
        layout = classifier(tower, self.d_model, self.num_classes, self.pooler)
        if self.num_classes and self.distillation_head:
            layout.add("distillation_head", Linear(self.d_model, self.num_classes), rows="one")
        return layout

    def resolve_input(self, shape: InputShape) -> ResolvedInput:
        return image_input(shape, self.image_size, self.patch_size,
                           [(1, "[CLS]"), (int(self.distillation_token), "distillation")])


# what `architectures` names → (distillation token, distillation head, classifier)
_CLASSES = {
    "ForImageClassificationWithTeacher": (True, True, True),
    "ForImageClassification": (True, False, True),
    "Model": (True, False, False),
}


def from_hf(f) -> DeiTConfig:
    f.expect("qkv_bias", True, "tfcli's DeiT has q/k/v biases")
    f.expect("pooler_act", "tanh", "tfcli's pooler is dense + tanh")
    d = f.int("hidden_size", 768, to="d_model")
    f.expect("pooler_output_size", d, "tfcli's pooler keeps the hidden width")
    # every transformers DeiT class carries the distillation token and its position
    token, head, classify = _CLASSES[f.head_from_architecture("DeiT", {k: k for k in _CLASSES}, "Model")]
    classes = f.num_labels() if classify else 0
    if classes:
        f.names["num_classes"] = f.names.pop("num_labels")
    # DeiTModel ends in the pooler; the classifiers are built without it
    return DeiTConfig(**vit_fields(f), num_classes=classes, pooler=not classify, distillation_token=token,
                      distillation_head=head)


_SIZES = {"tiny": ("t16", 192, 3), "small": ("s16", 384, 6), "base": ("b16", 768, 12)}
# tag → (plain params, plain MACs, distilled params, distilled MACs) at 224², 1000 classes
_PINS = {
    "t16": (5_717_416, 1_258_411_200, 5_910_800, 1_265_755_776),
    "s16": (22_050_664, 4_608_338_304, 22_436_432, 4_633_644_288),
    "b16": (86_567_656, 17_582_740_224, 87_338_192, 17_675_819_520),
}


def _make(d: int, heads: int, distilled: bool):
    return lambda: DeiTConfig(d_model=d, num_heads=heads, ffn_dim=4 * d, distillation_token=distilled,
                              distillation_head=distilled)


def _presets():
    for size, (tag, d, heads) in _SIZES.items():
        params, macs, dist_params, dist_macs = _PINS[tag]
        yield Preset(
            f"deit-{tag}-distilled", _make(d, heads, True), params=dist_params, macs=dist_macs,
            aliases=(f"facebook/deit-{size}-distilled-patch16-224", f"deit-{size}-distilled")
            + (("deit",) if size == "base" else ()),
            reference=f"transformers DeiTForImageClassificationWithTeacher (facebook/deit-{size}-distilled-patch16-224 config)",
            description=f"DeiT-{size[0].upper()} distilled: [CLS] + distillation token, two 1000-class heads",
        )
        yield Preset(
            f"deit-{tag}", _make(d, heads, False), params=params, macs=macs,
            aliases=(f"facebook/deit-{size}-patch16-224", f"deit-{size}"),
            reference=f"transformers ViTForImageClassification (facebook/deit-{size}-patch16-224 config, "
            "whose model_type is vit) = timm deit_{0}_patch16_224".format(size),
            description=f"DeiT-{size[0].upper()}: a ViT trained on ImageNet-1k alone, no distillation token",
        )


FAMILY = register(Family(
    "deit",
    DeiTConfig,
    builder="tfcli.models.vit:DeiTModel",
    kind="encoder-only",
    modality=Modality.VISION,
    description="data-efficient ViT: a distillation token beside [CLS] and a second head, both averaged",
    presets=tuple(_presets()),
    facts=FamilyFacts(
        "DeiT",
        Text("supervised ImageNet-1k classification, distilled from a convnet teacher through a distillation token",
             "ImageNet-1k 监督式分类，并透过蒸馏 token 向卷积网络教师模型蒸馏"),
        Text("image classification, backbone features", "图像分类、作为骨干网络抽取特征"),
        Text(
            "a ViT encoder that reads the image bidirectionally; the extra distillation token is one more "
            "input token whose output learns the teacher's prediction: still understanding, no decoder",
            "与 ViT 相同的双向 Encoder；多出的蒸馏 token 只是多一个输入 token，其输出学习教师模型的预测：仍是理解任务，不需要 Decoder",
        ),
        preset="deit-b16-distilled",
    ),
    hf_mappers={"deit": from_hf},
))
