"""SAM (Segment Anything): a ViT image encoder run once per image, and a light
prompt encoder + mask decoder run once per prompt.

The image encoder is a plain ViT over 16×16 patches of a 1024² image (a 64×64 grid)
whose blocks attend inside 14×14 windows, except four evenly spaced global blocks; each
block adds decomposed relative-position biases. A convolutional neck maps it to a
256-channel embedding. The mask decoder is a two-way transformer: prompt tokens and image
tokens cross-attend to each other (no causal mask anywhere). The variants differ only in
the encoder's four numbers: width, depth, heads and which layers are global.
"""

from dataclasses import dataclass

from tfcli.presets._text import attention, check_attention, feed_forward, layer_norm, linear
from tfcli.registry import register_family, register_preset
from tfcli.spec import ArchConfig, InputShape, divides, require


def mlp_head(d_in: int, hidden: int, d_out: int, depth: int) -> int:
    """segment-anything's MLP: `depth` Linear layers with ReLU between."""
    dims = [d_in] + [hidden] * (depth - 1) + [d_out]
    return sum(linear(a, b) for a, b in zip(dims, dims[1:]))


@dataclass
class SamConfig(ArchConfig):
    # image encoder (ViT)
    d_model: int = 768
    num_layers: int = 12
    num_heads: int = 12
    mlp_dim: int = 3072
    global_attn_indexes: tuple[int, ...] = (2, 5, 8, 11)
    window_size: int = 14
    image_size: int = 1024
    patch_size: int = 16
    # neck output = prompt-embedding width = mask-decoder width
    embed_dim: int = 256
    # prompt encoder
    mask_in_chans: int = 16
    # mask decoder
    decoder_depth: int = 2
    decoder_heads: int = 8
    decoder_mlp_dim: int = 2048
    attn_downsample_rate: int = 2  # cross-attention works at embed_dim / rate
    num_multimask_outputs: int = 3
    iou_head_depth: int = 3
    iou_head_hidden: int = 256
    norm_eps: float = 1e-6

    zero_ok = ("global_attn_indexes",)

    def check(self) -> None:
        f = self.family
        check_attention(f, self.d_model, self.num_heads)
        divides(f, "image_size", self.image_size, "patch_size", self.patch_size)
        for i in self.global_attn_indexes:
            require(i < self.num_layers, f, f"'global_attn_indexes' has {i}, but there are only {self.num_layers} layers (0–{self.num_layers - 1})")
        require(len(set(self.global_attn_indexes)) == len(self.global_attn_indexes), f, "'global_attn_indexes' repeats a layer")
        require(self.embed_dim % 2 == 0, f, f"'embed_dim' ({self.embed_dim}) must be even (sine and cosine halves)")
        check_attention(f, self.embed_dim, self.decoder_heads)
        divides(f, "embed_dim", self.embed_dim, "attn_downsample_rate", self.attn_downsample_rate)
        divides(f, "embed_dim / attn_downsample_rate", self.embed_dim // self.attn_downsample_rate, "decoder_heads", self.decoder_heads)
        divides(f, "mask_in_chans", self.mask_in_chans, "4", 4)
        divides(f, "embed_dim", self.embed_dim, "8", 8)  # the upscaler narrows to /4 then /8
        require(self.iou_head_depth >= 1, f, "'iou_head_depth' must be at least 1")

    @property
    def grid(self) -> int:
        return self.image_size // self.patch_size

    @property
    def head_dim(self) -> int:
        return self.d_model // self.num_heads

    def default_input(self) -> InputShape:
        return InputShape(image_size=self.image_size)

    # -- closed-form parameter counts, one per part ----------------------------

    def image_encoder_params(self) -> int:
        d, g = self.d_model, self.grid
        embed = 3 * self.patch_size**2 * d + d + g * g * d  # patch conv (+bias), absolute positions
        block = 2 * layer_norm(d) + attention(d, d) + feed_forward(d, self.mlp_dim)
        # decomposed relative positions: one (2s-1, head_dim) table per axis, s = window or grid
        rel = sum(
            2 * (2 * (g if i in self.global_attn_indexes else self.window_size) - 1) * self.head_dim
            for i in range(self.num_layers)
        )
        c = self.embed_dim
        neck = d * c + 9 * c * c + 2 * layer_norm(c)  # 1×1 conv, 3×3 conv, no biases
        return embed + self.num_layers * block + rel + neck

    def prompt_encoder_params(self) -> int:
        c, m = self.embed_dim, self.mask_in_chans
        # 4 point kinds (negative, positive, box corners) + "not a point" + "no mask"
        embeddings = 6 * c
        # mask downscaling: 2×2/2 conv → LN → 2×2/2 conv → LN → 1×1 conv
        q = m // 4
        mask = (4 * q + q) + 2 * q + (4 * q * m + m) + 2 * m + (m * c + c)
        return embeddings + mask

    def shared_pe_params(self) -> int:
        return 2 * (self.embed_dim // 2)  # random Fourier features: a (2, C/2) Gaussian matrix

    def mask_decoder_params(self) -> int:
        c, inner = self.embed_dim, self.embed_dim // self.attn_downsample_rate
        cross = attention(c, inner)
        block = attention(c, c) + 2 * cross + feed_forward(c, self.decoder_mlp_dim) + 4 * layer_norm(c)
        transformer = self.decoder_depth * block + cross + layer_norm(c)
        n_masks = self.num_multimask_outputs + 1
        tokens = (1 + n_masks) * c  # IoU token + mask tokens
        upscale = (c * (c // 4) * 4 + c // 4) + layer_norm(c // 4) + (c // 4 * (c // 8) * 4 + c // 8)
        hyper = n_masks * mlp_head(c, c, c // 8, 3)
        iou = mlp_head(c, self.iou_head_hidden, n_masks, self.iou_head_depth)
        return transformer + tokens + upscale + hyper + iou

    def num_params(self) -> int:
        return (
            self.image_encoder_params()
            + self.prompt_encoder_params()
            + self.mask_decoder_params()
            + self.shared_pe_params()
        )


register_family(
    "sam",
    SamConfig,
    builder="tfcli.models.sam:SamModel",
    kind="encoder + conditioned decoder",
    modality="image+prompts",
    description="promptable segmentation: a windowed ViT encoder and a two-way prompt-conditioned mask decoder",
)


def _sam(d_model: int, num_layers: int, num_heads: int, global_attn_indexes: tuple[int, ...]) -> SamConfig:
    return SamConfig(
        d_model=d_model,
        num_layers=num_layers,
        num_heads=num_heads,
        mlp_dim=4 * d_model,
        global_attn_indexes=global_attn_indexes,
    )


_REF = "transformers SamModel ({})"
register_preset(
    "sam-b",
    "sam",
    lambda: _sam(768, 12, 12, (2, 5, 8, 11)),
    aliases=("sam", "facebook/sam-vit-base", "sam-vit-base", "sam_vit_b"),
    reference=_REF.format("facebook/sam-vit-base"),
    description="SAM ViT-B: 12 encoder blocks, 4 global",
)
register_preset(
    "sam-l",
    "sam",
    lambda: _sam(1024, 24, 16, (5, 11, 17, 23)),
    aliases=("facebook/sam-vit-large", "sam-vit-large", "sam_vit_l"),
    reference=_REF.format("facebook/sam-vit-large"),
    description="SAM ViT-L: 24 encoder blocks, 4 global",
)
register_preset(
    "sam-h",
    "sam",
    lambda: _sam(1280, 32, 16, (7, 15, 23, 31)),
    aliases=("facebook/sam-vit-huge", "sam-vit-huge", "sam_vit_h"),
    reference=_REF.format("facebook/sam-vit-huge"),
    description="SAM ViT-H: 32 encoder blocks, 4 global",
)
