"""SigLIP: CLIP's two towers trained with a pairwise sigmoid loss instead of a softmax over the batch.

The image tower is a ViT without [CLS]: a learned probe token cross-attends to the patch
tokens once (multi-head attention pooling, then a residual MLP) to make the image embedding.
The text tower is CLIP's without the causal mask, read out at the last token through a
linear head. Each image-text pair's logit is its cosine similarity × exp(scale) + a learned
bias. Counts match transformers 5.24 SiglipModel built from the google/siglip-* configs.
"""

from dataclasses import dataclass, field
from typing import ClassVar

from tfcli.presets._text import check_attention, check_choices
from tfcli.presets._vision import PatchEncoderConfig, vit_tower
from tfcli.presets.clip import CLIPTextConfig, ContrastiveLogits, ImageTextInput
from tfcli.presets.vit import vit_fields
from tfcli.registry import Family, FamilyFacts, Modality, Preset, Text, register
from tfcli.spec import (
    ArchConfig, AttentionSpec, FeedForwardSpec, Layout, Linear, NormSpec, Part,
    block_spec, require,
)


@dataclass
class SiglipTextConfig(CLIPTextConfig):
    """CLIP's text tower, bidirectional, read out at the last token through a linear head.
    Nested inside SiglipConfig, not a family of its own."""

    family: ClassVar[str] = "siglip-text"
    causal: ClassVar[bool] = False

    vocab_size: int = 32000
    d_model: int = 768
    num_layers: int = 12
    num_heads: int = 12
    ffn_dim: int = 3072
    max_positions: int = 64  # prompts are padded to the full 64 tokens, as in training
    projection_size: int = 768  # the head's width: the shared embedding space
    activation: str = "gelu_tanh"
    norm_eps: float = 1e-6

    def layout(self, tokens: str = "tokens") -> Layout:
        # the stack's final LayerNorm is SigLIP's final_layer_norm (over every token)
        tower = super().layout(tokens)  # the head reads the last token's row (a view of every token's)
        return tower.add("head", Linear(self.d_model, self.projection_size), rows="one", picks=tower.last_rows)


@dataclass(frozen=True)
class AttentionPool(Part):
    """A learned probe token cross-attends to the sequence once, then a residual MLP on it
    (a LayerNorm before the MLP, none before the attention): one pooled vector per image."""

    attention: AttentionSpec
    norm: NormSpec
    ffn: FeedForwardSpec

    def num_params(self) -> int:
        probe = self.attention.d_model
        return probe + self.attention.num_params() + self.norm.num_params() + self.ffn.num_params()

    def add_macs(self, t, rows, context=None, times=1):
        self.attention.add_macs(t, rows, context, times)  # 1 query row, K/V of every token
        self.norm.add_macs(t, rows, times=times)
        self.ffn.add_macs(t, rows, times=times)

    def add_saved(self, s, rows, context=None, times=1):
        s.add("attention", times * context * self.attention.kv_dim)  # the tokens K and V read
        self.attention.add_saved(s, rows, context, times)
        self.norm.add_saved(s, rows, times=times)
        self.ffn.add_saved(s, rows, times=times)


@dataclass
class SiglipVisionConfig(PatchEncoderConfig):
    """SigLIP's image tower: a ViT with no [CLS], a final LayerNorm over every token and the
    attention-pooling head. Nested inside SiglipConfig, not a family of its own."""

    family: ClassVar[str] = "siglip-vision"

    activation: str = "gelu_tanh"
    norm_eps: float = 1e-6
    use_head: bool = True  # the attention-pooling head (vision_use_head)

    def check(self) -> None:
        check_attention(self.family, self.d_model, self.num_heads)
        check_choices(self.family, self.activation)
        require(self.in_channels == 3, self.family, f"'in_channels' ({self.in_channels}) must be 3: SigLIP reads RGB images")
        # no divisibility rule: the patch conv drops the remainder (So400m reads 27×27 patches of 384²)
        require(self.patch_size <= self.image_size, self.family,
                f"'patch_size' ({self.patch_size}) must not exceed 'image_size' ({self.image_size})")

    def pool(self) -> AttentionPool:
        d = self.d_model
        return AttentionPool(
            AttentionSpec(d, self.num_heads, kv_dim=d, pooling=True),  # torch's MultiheadAttention: all biases
            NormSpec("layer", d, self.norm_eps),
            FeedForwardSpec(d, self.ffn_dim, self.activation),
        )

    def layout(self, patches: str = "patches", tokens: str = "tokens") -> Layout:
        block = block_spec(self.d_model, self.num_heads, self.ffn_dim, activation=self.activation,
                           norm_eps=self.norm_eps)
        # no [CLS]: every token is a patch, with a position; the stack's final norm is post_layernorm
        tower = vit_tower(patch_size=self.patch_size, in_channels=self.in_channels, grid=self.grid, block=block,
                          num_layers=self.num_layers, class_token=False, patches=patches, tokens=tokens)
        if self.use_head:
            tower.add("head", self.pool(), rows="one", context=tokens)  # one probe reads every token
        return tower


@dataclass(frozen=True)
class SigmoidLogits(ContrastiveLogits):
    """CLIP's similarity matrix with a learned bias beside the learned scale: each pair is
    scored on its own (a sigmoid), not softmaxed over the batch."""

    def num_params(self) -> int:
        return 2  # logit_scale, logit_bias


@dataclass
class SiglipConfig(ImageTextInput, ArchConfig):
    image_prefix: ClassVar[tuple[tuple[int, str], ...]] = ()  # no [CLS]
    exact_patches: ClassVar[bool] = False  # 384² over 14² patches: 27×27, the remainder unread

    text: SiglipTextConfig = field(default_factory=SiglipTextConfig)
    vision: SiglipVisionConfig = field(default_factory=SiglipVisionConfig)

    def check(self) -> None:
        self.text.validate()
        self.vision.validate()
        require(
            self.vision.use_head, self.family,
            "SiglipModel pools each image with the attention head; vision.use_head=false is the bare "
            "SiglipVisionModel, which has no image embedding to compare",
        )
        require(
            self.text.projection_size == self.vision.d_model, self.family,
            f"the text head's width 'text.projection_size' ({self.text.projection_size}) must equal the image "
            f"embedding's 'vision.d_model' ({self.vision.d_model}): the logits compare them",
        )

    def layout(self) -> Layout:
        return (
            Layout()
            .extend("text", self.text.layout())
            .extend("vision", self.vision.layout(patches="image_patches", tokens="image_tokens"))
            .add("logits", SigmoidLogits(self.vision.d_model), rows="one")
        )


def from_hf(f) -> ArchConfig:
    f.architecture_is("SiglipModel")
    t, v = f.sub("text_config"), f.sub("vision_config")
    # transformers' SiglipTextConfig / SiglipVisionConfig defaults (= google/siglip-base-patch16-224)
    d_text = t.int("hidden_size", 768, to="d_model")
    text = t.validated(SiglipTextConfig(
        vocab_size=t.int("vocab_size", 32000, to="vocab_size"),
        d_model=d_text,
        num_layers=t.int("num_hidden_layers", 12, to="num_layers"),
        num_heads=t.int("num_attention_heads", 12, to="num_heads"),
        ffn_dim=t.int("intermediate_size", 3072, to="ffn_dim"),
        max_positions=t.int("max_position_embeddings", 64, to="max_positions"),
        projection_size=t.int("projection_size", d_text, to="projection_size"),
        activation=t.activation("hidden_act", "gelu_pytorch_tanh"),
        norm_eps=t.float("layer_norm_eps", 1e-6),
    ))
    vision = v.validated(SiglipVisionConfig(**vit_fields(v, activation="gelu_pytorch_tanh", norm_eps=1e-6),
                                            use_head=v.bool("vision_use_head", True)))
    for part, prefix in ((t, "text"), (v, "vision")):
        f.names.update({f"{prefix}.{ours}": theirs for ours, theirs in part.names.items()})
    return SiglipConfig(text=text, vision=vision)


def _siglip(d: int, layers: int, heads: int, ffn: int, image_size: int, patch: int):
    return lambda: SiglipConfig(
        text=SiglipTextConfig(d_model=d, num_layers=layers, num_heads=heads, ffn_dim=ffn, projection_size=d),
        vision=SiglipVisionConfig(d_model=d, num_layers=layers, num_heads=heads, ffn_dim=ffn,
                                  image_size=image_size, patch_size=patch),
    )


_REF = "transformers SiglipModel ({} config)"

FAMILY = register(Family(
    "siglip",
    SiglipConfig,
    builder="tfcli.models.siglip:SiglipModel",
    kind="dual-encoder",
    modality=Modality.IMAGE_TEXT,
    description="sigmoid-loss image-text model: a [CLS]-free ViT with attention pooling and a bidirectional "
    "text tower, joined only at the logits",
    presets=(
        Preset("siglip-b16", _siglip(768, 12, 12, 3072, 224, 16), params=203_155_970, macs=23_245_161_984,
               aliases=("siglip", "google/siglip-base-patch16-224", "siglip-base-patch16-224"),
               reference=_REF.format("google/siglip-base-patch16-224"),
               description="SigLIP B/16: 224² image → 14×14 patches, 64-token text"),
        Preset("siglip-b16-384", _siglip(768, 12, 12, 3072, 384, 16), params=203_447_810, macs=61_637_005_824,
               aliases=("google/siglip-base-patch16-384", "siglip-base-patch16-384"),
               reference=_REF.format("google/siglip-base-patch16-384"),
               description="SigLIP B/16 at 384²: 24×24 patches"),
        Preset("siglip-l16-256", _siglip(1024, 24, 16, 4096, 256, 16), params=652_150_786, macs=100_889_860_096,
               aliases=("google/siglip-large-patch16-256", "siglip-large-patch16-256"),
               reference=_REF.format("google/siglip-large-patch16-256"),
               description="SigLIP L/16 at 256²: 16×16 patches, 1024-wide towers"),
        Preset("siglip-so400m-14-384", _siglip(1152, 27, 16, 4304, 384, 14), params=877_960_498, macs=361_989_095_040,
               aliases=("google/siglip-so400m-patch14-384", "siglip-so400m", "siglip-so400m-patch14-384"),
               reference=_REF.format("google/siglip-so400m-patch14-384"),
               description="SigLIP So400m/14 at 384²: the shape-optimised 400M image tower, 27×27 patches"),
    ),
    facts=FamilyFacts(
        "SigLIP",
        Text("image-text matching with a pairwise sigmoid loss (every pair a binary decision)",
             "以成对 sigmoid 损失做图像-文字匹配（每一对都是二元判断）"),
        Text("zero-shot classification, image-text retrieval, the image encoder of vision-language models",
             "零样本分类、图文检索、视觉语言模型的图像编码器"),
        Text(
            "like CLIP, two encoders meet only at the similarity logits; the text tower drops the causal "
            "mask and the image tower pools with a learned query instead of [CLS]; nothing is generated",
            "与 CLIP 相同，两个 Encoder 只在相似度 logits 相遇；文字塔去掉因果遮罩，图像塔以可学习的查询向量做注意力池化取代 CLS；不生成任何东西",
        ),
    ),
    hf_mappers={"siglip": from_hf},
))
