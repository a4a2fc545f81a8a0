"""CLIP: a text tower and a vision tower trained contrastively.

The text tower is a causally masked Transformer used as an encoder: its output at the
end-of-text token is the sentence embedding (no language-model head). Stable Diffusion
reuses it as its text encoder (family "clip-text"). The vision tower is a ViT; the two
meet only in a shared embedding space through bias-free projections (family "clip").
"""

from dataclasses import dataclass, field
from typing import ClassVar

from tfcli.presets._text import check_attention, check_choices
from tfcli.presets._vision import image_input, vit_tower
from tfcli.registry import Family, FamilyFacts, Modality, Preset, Text, register
from tfcli.spec import (
    ArchConfig, InputShape, Layout, Linear, NormSpec, Part, ResolvedInput, StackSpec, Table, block_spec, divides,
)


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

    learned_positions = True
    causal: ClassVar[bool] = True  # SigLIP's text tower, otherwise the same, reads bidirectionally

    def check(self) -> None:
        check_attention(self.family, self.d_model, self.num_heads)
        check_choices(self.family, self.activation)

    def layout(self, tokens: str = "tokens") -> Layout:
        d = self.d_model
        block = block_spec(d, self.num_heads, self.ffn_dim, activation=self.activation, norm_eps=self.norm_eps,
                           causal=self.causal)
        # the stack's final LayerNorm is CLIP's final_layer_norm; the [EOT] read-out is a gather
        return (
            Layout()
            .add("tokens", Table(self.vocab_size, d))
            .add("positions", Table(self.max_positions, d, lookup="positions"))
            .add("encoder", StackSpec(block, self.num_layers), rows=tokens)
        )

    def default_input(self) -> InputShape:
        return InputShape(seq_len=self.max_positions)  # prompts are padded to the full context


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
    def grid(self) -> int:
        return self.image_size // self.patch_size

    def layout(self, patches: str = "patches", tokens: str = "tokens") -> Layout:
        block = block_spec(self.d_model, self.num_heads, self.ffn_dim, activation=self.activation,
                           norm_eps=self.norm_eps)
        # a LayerNorm before the blocks ("pre_layrnorm"); no final norm over all tokens: only the
        # [CLS] state is normalised (post_layernorm)
        tower = vit_tower(patch_size=self.patch_size, in_channels=3, grid=self.grid, block=block,
                          num_layers=self.num_layers, patch_bias=False, pre_norm=True, final_norm=False,
                          patches=patches, tokens=tokens)
        return tower.add("post_norm", NormSpec("layer", self.d_model, self.norm_eps), rows="one",
                         picks=tower.last_rows)


@dataclass(frozen=True)
class ContrastiveLogits(Part):
    """(B, P) image · (P, B) text: every pair's similarity, scaled by one learned temperature."""

    projection_dim: int

    def num_params(self) -> int:
        return 1  # logit_scale

    def add_macs(self, t, rows, context=None, times=1):
        t.macs["other"] += times * t.batch * t.batch * self.projection_dim

    def add_saved(self, s, rows, context=None, times=1):
        s.add("other", 2 * times * self.projection_dim)  # the two normalised embeddings, B × P each


class ImageTextInput:
    """What a two-tower config reads (CLIP, SigLIP): text padded to the text tower's context and
    images at the vision tower's side; `tokens` is the longer of the two sequences."""

    image_prefix: ClassVar[tuple[tuple[int, str], ...]] = ((1, "[CLS]"),)
    exact_patches: ClassVar[bool] = True  # False: the patch conv drops a remainder (SigLIP So400m)

    def default_input(self) -> InputShape:
        return InputShape(seq_len=self.text.max_positions, image_size=self.vision.image_size)

    def image_step(self) -> int:
        return self.vision.patch_size

    def context_length(self) -> int:
        return self.text.context_length()

    def resolve_input(self, shape: InputShape) -> ResolvedInput:
        v = self.vision
        x = image_input(shape, v.image_size, v.patch_size, list(self.image_prefix), patches="image_patches",
                        tokens="image_tokens", exact=self.exact_patches)
        text = self.text.resolve_input(InputShape(batch=x.batch, seq_len=shape.seq_len or self.text.max_positions))
        x.seq_len, x.notes = text.seq_len, x.notes + text.notes
        x.lengths["tokens"] = text.seq_len
        x.lines = [f"text: {text.seq_len} tokens; image " + x.lines[0]]
        x.tokens = max(text.seq_len, x.lengths["image_tokens"])
        return x


@dataclass
class CLIPConfig(ImageTextInput, ArchConfig):
    text: CLIPTextConfig = field(default_factory=CLIPTextConfig)
    vision: CLIPVisionConfig = field(default_factory=CLIPVisionConfig)
    projection_dim: int = 512  # width of the shared image-text embedding space
    logit_scale_init: float = 2.6592  # log(1/0.07): the learned temperature starts at 0.07

    def check(self) -> None:
        self.text.validate()
        self.vision.validate()

    def layout(self) -> Layout:
        p = self.projection_dim
        return (
            Layout()
            .extend("text", self.text.layout())
            .extend("vision", self.vision.layout(patches="image_patches", tokens="image_tokens"))
            .add("text_projection", Linear(self.text.d_model, p, bias=False), rows="one")
            .add("visual_projection", Linear(self.vision.d_model, p, bias=False), rows="one")
            .add("logits", ContrastiveLogits(p), rows="one")
        )


def text_from_hf(f) -> ArchConfig:
    # transformers' CLIPTextConfig defaults (= openai/clip-vit-base-patch32's text tower);
    # published files often leave them out
    return f.validated(CLIPTextConfig(
        vocab_size=f.int("vocab_size", 49408, to="vocab_size"),
        d_model=f.int("hidden_size", 512, to="d_model"),
        num_layers=f.int("num_hidden_layers", 12, to="num_layers"),
        num_heads=f.int("num_attention_heads", 8, to="num_heads"),
        ffn_dim=f.int("intermediate_size", 2048, to="ffn_dim"),
        max_positions=f.int("max_position_embeddings", 77, to="max_positions"),
        activation=f.activation("hidden_act", "quick_gelu"),
        norm_eps=f.float("layer_norm_eps", 1e-5),
    ))



def from_hf(f) -> ArchConfig:
    f.architecture_is("CLIPModel")
    v = f.sub("vision_config")
    v.expect("num_channels", 3, "tfcli's CLIP reads RGB images")
    vision = v.validated(CLIPVisionConfig(
        d_model=v.int("hidden_size", 768, to="d_model"),
        num_layers=v.int("num_hidden_layers", 12, to="num_layers"),
        num_heads=v.int("num_attention_heads", 12, to="num_heads"),
        ffn_dim=v.int("intermediate_size", 3072, to="ffn_dim"),
        image_size=v.square("image_size", 224, to="image_size"),
        patch_size=v.square("patch_size", 32, to="patch_size"),
        activation=v.activation("hidden_act", "quick_gelu"),
        norm_eps=v.float("layer_norm_eps", 1e-5),
    ))
    # CLIPModel sizes both projections from the top-level projection_dim; the towers' own
    # projection_dim is read only by CLIPTextModelWithProjection / CLIPVisionModelWithProjection
    return CLIPConfig(
        text=text_from_hf(f.sub("text_config")),
        vision=vision,
        projection_dim=f.int("projection_dim", 512, to="projection_dim"),
        logit_scale_init=f.float("logit_scale_init_value", 2.6592),
    )




def _clip(vision_width: int, vision_layers: int, patch: int, text_width: int, proj: int):
    return lambda: CLIPConfig(
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


def sd15_text() -> CLIPTextConfig:
    # CLIP ViT-L/14's text tower
    return CLIPTextConfig(d_model=768, num_layers=12, num_heads=12, ffn_dim=3072)


TEXT_FAMILY = register(Family(
    "clip-text",
    CLIPTextConfig,
    builder="tfcli.models.clip:CLIPTextTower",
    kind="causal-encoder",
    modality=Modality.TEXT,
    description="CLIP's text tower: a causally masked Transformer read out at the end-of-text token",
    presets=(Preset("sd15-text", sd15_text, params=123_060_480, macs=6_656_643_840,
                    reference="transformers CLIPTextModel (openai/clip-vit-large-patch14 text config)"),),
    facts=FamilyFacts(
            "CLIP text encoder",
            Text("contrastive image-text matching (trained with the image tower)", "图像-文字对比学习（与图像塔一起训练）"),
            Text("text embeddings; the text condition of Stable Diffusion", "文字表征；Stable Diffusion 的文字条件"),
            Text(
                "causally masked but used as an encoder: the state at the end-of-text token is the "
                "sentence embedding",
                "使用因果遮罩但当作 Encoder：取 end-of-text token 的输出作为句子表征",
            ),
            part_of="clip",
        ),
    hf_mappers={"clip_text_model": text_from_hf},
))

_REF = "transformers CLIPModel ({})"

FAMILY = register(Family(
    "clip",
    CLIPConfig,
    builder="tfcli.models.clip:CLIPModel",
    kind="dual-encoder",
    modality=Modality.IMAGE_TEXT,
    description="contrastive image-text model: a causal text tower and a ViT joined only by projections",
    presets=(
        Preset("clip-b32", _clip(768, 12, 32, 512, 512), params=151_277_313, macs=7_398_314_240,
               aliases=("clip", "openai/clip-vit-base-patch32", "clip-vit-base-patch32"),
               reference=_REF.format("openai/clip-vit-base-patch32"),
               description="CLIP ViT-B/32: 224² image → 7×7 patches, 77-token text"),
        Preset("clip-b16", _clip(768, 12, 16, 512, 512), params=149_620_737, macs=20_567_068_160,
               aliases=("openai/clip-vit-base-patch16", "clip-vit-base-patch16"),
               reference=_REF.format("openai/clip-vit-base-patch16"),
               description="CLIP ViT-B/16: 224² image → 14×14 patches"),
        Preset("clip-l14", _clip(1024, 24, 14, 768, 768), params=427_616_513, macs=87_734_484_480,
               aliases=("openai/clip-vit-large-patch14", "clip-vit-large-patch14"),
               reference=_REF.format("openai/clip-vit-large-patch14"),
               description="CLIP ViT-L/14: 224² image → 16×16 patches, 768-wide text tower"),
    ),
    facts=FamilyFacts(
            "CLIP",
            Text("contrastive image-text matching (InfoNCE over a batch)", "图像-文字对比学习（批量内 InfoNCE）"),
            Text("zero-shot classification, image-text retrieval, text encoder for diffusion", "零样本分类、图文检索、作为扩散模型的文字编码器"),
            Text(
                "two encoders (ViT for images, Transformer for text) project into one embedding "
                "space and meet only at the similarity logits; nothing is generated, so no decoder",
                "两个 Encoder（图像用 ViT、文字用 Transformer）投影到同一语义空间，只在相似度 logits 相遇；不生成任何东西，所以不需要 Decoder",
            ),
        ),
    hf_mappers={"clip": from_hf},
))
