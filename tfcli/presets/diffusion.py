"""Stable Diffusion 1.5: a CLIP text encoder, a latent U-Net denoiser and a KL autoencoder.

Three parts, one config each (diffusers' UNet2DConditionModel and AutoencoderKL, the
CLIP ViT-L/14 text tower), and one config nesting all three. The UNet works on the
VAE's latents: a 512×512 image is a 4×64×64 latent (the VAE halves the side 3 times).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from tfcli.presets._text import attention, feed_forward, layer_norm, linear
from tfcli.presets.clip import CLIPTextConfig
from tfcli.registry import register_family, register_preset
from tfcli.spec import ArchConfig, InputShape, divides, one_of, require

BLOCK_KINDS = ("cross", "plain")  # diffusers' CrossAttn{Down,Up}Block2D / {Down,Up}Block2D

# -- closed-form pieces (the model files build exactly these) ------------------


def conv(c_in: int, c_out: int, k: int) -> int:
    return c_in * c_out * k * k + c_out


def group_norm(c: int) -> int:
    return 2 * c


def resnet(c_in: int, c_out: int, temb: int = 0) -> int:
    """GroupNorm, 3×3 conv, time projection (UNet only), GroupNorm, 3×3 conv, 1×1 shortcut if widths differ."""
    n = group_norm(c_in) + conv(c_in, c_out, 3) + group_norm(c_out) + conv(c_out, c_out, 3)
    n += linear(temb, c_out) if temb else 0
    return n + (conv(c_in, c_out, 1) if c_in != c_out else 0)


def spatial_transformer(c: int, context_dim: int, depth: int) -> int:
    """GroupNorm, 1×1 proj_in, `depth` × (self-attn, cross-attn, GEGLU FFN, 3 LayerNorms), 1×1 proj_out."""
    block = (
        attention(c, c, bias=False) + c  # to_q/k/v without bias, to_out with bias
        + attention(c, c, bias=False, kv_in=context_dim) + c
        + feed_forward(c, 4 * c, gated=True)
        + 3 * layer_norm(c)
    )
    return group_norm(c) + 2 * conv(c, c, 1) + depth * block


def vae_attention(c: int) -> int:
    """The VAE mid-block's single-head self-attention over all pixels (biased q/k/v/out)."""
    return group_norm(c) + attention(c, c)


@dataclass
class UNetConfig(ArchConfig):
    """diffusers' UNet2DConditionModel (SD1.5's values as defaults)."""

    in_channels: int = 4
    out_channels: int = 4
    block_out_channels: tuple[int, ...] = (320, 640, 1280, 1280)
    down_block_types: tuple[str, ...] = ("cross", "cross", "cross", "plain")
    up_block_types: tuple[str, ...] = ("plain", "cross", "cross", "cross")
    layers_per_block: int = 2
    transformer_layers_per_block: int = 1
    cross_attention_dim: int = 768
    # diffusers' config calls this `attention_head_dim` but SD1.5 uses it as the number of
    # heads (8 heads of 40/80/160 channels); named for what it is here
    num_heads: int = 8
    norm_num_groups: int = 32
    norm_eps: float = 1e-5
    sample_size: int = 64  # latent side

    # pixels per latent cell: SD's VAE halves the image side 3 times. `--image-size` is in
    # pixels for every SD part, so the UNet reads its latent side as image_size / 8.
    pixels_per_latent: ClassVar[int] = 8

    def check(self) -> None:
        f, n = self.family, len(self.block_out_channels)
        require(n >= 1, f, "'block_out_channels' needs at least one level")
        require(
            len(self.down_block_types) == n and len(self.up_block_types) == n,
            f,
            f"'down_block_types' and 'up_block_types' need one entry per level ({n})",
        )
        for name in ("down_block_types", "up_block_types"):
            for kind in getattr(self, name):
                one_of(f, name, kind, BLOCK_KINDS)
        for c in self.block_out_channels:
            divides(f, "block_out_channels", c, "norm_num_groups", self.norm_num_groups)
            divides(f, "block_out_channels", c, "num_heads", self.num_heads)

    @property
    def time_embed_dim(self) -> int:
        return 4 * self.block_out_channels[0]

    @property
    def downsamples(self) -> int:
        return len(self.block_out_channels) - 1

    def down_plan(self) -> list[list[tuple[int, int]]]:
        """(in, out) channels of each ResNet block, per down level."""
        plan, c_in = [], self.block_out_channels[0]
        for c in self.block_out_channels:
            plan.append([(c_in if j == 0 else c, c) for j in range(self.layers_per_block)])
            c_in = c
        return plan

    def up_plan(self) -> list[list[tuple[int, int]]]:
        """(in, out) per ResNet of each up level; `in` includes the skip concatenated to it.

        Up level i mirrors down level n-1-i; its last ResNet takes the skip saved before
        that down level (the previous level's width), the others that level's own outputs.
        """
        rev = self.block_out_channels[::-1]
        n, L = len(rev), self.layers_per_block
        plan, prev = [], rev[0]
        for i, c in enumerate(rev):
            skip_in = rev[min(i + 1, n - 1)]
            plan.append(
                [((prev if j == 0 else c) + (skip_in if j == L else c), c) for j in range(L + 1)]
            )
            prev = c
        return plan

    def part_params(self) -> dict[str, int]:
        """Parameters of each top-level part, named as in diffusers."""
        ch, n, temb = self.block_out_channels, len(self.block_out_channels), self.time_embed_dim

        def transformer(c):
            return spatial_transformer(c, self.cross_attention_dim, self.transformer_layers_per_block)

        parts = {
            "conv_in": conv(self.in_channels, ch[0], 3),
            "time_embedding": linear(ch[0], temb) + linear(temb, temb),
        }
        for i, level in enumerate(self.down_plan()):
            cross = self.down_block_types[i] == "cross"
            p = sum(resnet(a, b, temb) + (transformer(b) if cross else 0) for a, b in level)
            parts[f"down_blocks.{i}"] = p + (conv(ch[i], ch[i], 3) if i < n - 1 else 0)
        parts["mid_block"] = 2 * resnet(ch[-1], ch[-1], temb) + transformer(ch[-1])
        for i, level in enumerate(self.up_plan()):
            cross = self.up_block_types[i] == "cross"
            p = sum(resnet(a, b, temb) + (transformer(b) if cross else 0) for a, b in level)
            c = level[0][1]
            parts[f"up_blocks.{i}"] = p + (conv(c, c, 3) if i < n - 1 else 0)
        parts["conv_norm_out"] = group_norm(ch[0])
        parts["conv_out"] = conv(ch[0], self.out_channels, 3)
        return parts

    def num_params(self) -> int:
        return sum(self.part_params().values())

    def default_input(self) -> InputShape:
        return InputShape(seq_len=77, image_size=self.sample_size * self.pixels_per_latent)


@dataclass
class VAEConfig(ArchConfig):
    """diffusers' AutoencoderKL (SD1.5's VAE as defaults)."""

    in_channels: int = 3
    out_channels: int = 3
    block_out_channels: tuple[int, ...] = (128, 256, 512, 512)
    layers_per_block: int = 2
    latent_channels: int = 4
    norm_num_groups: int = 32
    sample_size: int = 512  # image side
    scaling_factor: float = 0.18215  # latents are scaled to unit variance before the UNet sees them

    def check(self) -> None:
        require(len(self.block_out_channels) >= 1, self.family, "'block_out_channels' needs at least one level")
        for c in self.block_out_channels:
            divides(self.family, "block_out_channels", c, "norm_num_groups", self.norm_num_groups)

    @property
    def downsamples(self) -> int:
        return len(self.block_out_channels) - 1

    def part_params(self) -> dict[str, int]:
        ch, L, z = self.block_out_channels, self.layers_per_block, self.latent_channels
        n, top = len(ch), ch[-1]
        mid = 2 * resnet(top, top) + vae_attention(top)
        enc, c_in = conv(self.in_channels, ch[0], 3), ch[0]
        for i, c in enumerate(ch):
            enc += resnet(c_in, c) + (L - 1) * resnet(c, c) + (conv(c, c, 3) if i < n - 1 else 0)
            c_in = c
        # the encoder predicts a mean and a log-variance per latent channel
        enc += mid + group_norm(top) + conv(top, 2 * z, 3)
        dec, c_in = conv(z, top, 3) + mid, top
        for i, c in enumerate(ch[::-1]):
            dec += resnet(c_in, c) + L * resnet(c, c) + (conv(c, c, 3) if i < n - 1 else 0)
            c_in = c
        dec += group_norm(ch[0]) + conv(ch[0], self.out_channels, 3)
        return {
            "encoder": enc,
            "quant_conv": conv(2 * z, 2 * z, 1),
            "post_quant_conv": conv(z, z, 1),
            "decoder": dec,
        }

    def num_params(self) -> int:
        return sum(self.part_params().values())

    def default_input(self) -> InputShape:
        return InputShape(image_size=self.sample_size)


@dataclass
class StableDiffusionConfig(ArchConfig):
    """The three parts together; `--set unet.layers_per_block=1` reaches into a part."""

    text: CLIPTextConfig = field(default_factory=CLIPTextConfig)
    unet: UNetConfig = field(default_factory=UNetConfig)
    vae: VAEConfig = field(default_factory=VAEConfig)

    def check(self) -> None:
        for part in (self.text, self.unet, self.vae):
            part.validate()
        f = self.family
        require(
            self.text.d_model == self.unet.cross_attention_dim,
            f,
            f"'unet.cross_attention_dim' ({self.unet.cross_attention_dim}) must equal the text "
            f"encoder's width 'text.d_model' ({self.text.d_model})",
        )
        require(
            self.unet.in_channels == self.unet.out_channels == self.vae.latent_channels,
            f,
            f"'unet.in_channels' and 'unet.out_channels' must equal 'vae.latent_channels' ({self.vae.latent_channels})",
        )

    @property
    def pixels_per_latent(self) -> int:
        return 2**self.vae.downsamples

    def part_params(self) -> dict[str, int]:
        return {
            "text_encoder": self.text.num_params(),
            "unet": self.unet.num_params(),
            "vae": self.vae.num_params(),
        }

    def num_params(self) -> int:
        return sum(self.part_params().values())

    def default_input(self) -> InputShape:
        return InputShape(seq_len=self.text.max_positions, image_size=self.vae.sample_size)


def sd15_text() -> CLIPTextConfig:
    # CLIP ViT-L/14's text tower
    return CLIPTextConfig(d_model=768, num_layers=12, num_heads=12, ffn_dim=3072)


register_family(
    "sd-unet",
    UNetConfig,
    builder="tfcli.models.diffusion.unet:UNet",
    kind="conv-denoiser",
    modality="image latents + text",
    description="latent U-Net: ResNet blocks, transformer blocks cross-attending to text, time embedding",
)
register_family(
    "sd-vae",
    VAEConfig,
    builder="tfcli.models.diffusion.vae:AutoencoderKL",
    kind="conv-autoencoder",
    modality="image",
    description="KL autoencoder: image ↔ 8×-smaller latents; self-attention only in the mid blocks",
)
register_family(
    "sd",
    StableDiffusionConfig,
    builder="tfcli.models.diffusion.build:StableDiffusion",
    kind="latent-diffusion",
    modality="text → image",
    description="text encoder → latent U-Net denoiser → VAE decoder (Stable Diffusion)",
)

_REF = "diffusers 0.42 {} (stable-diffusion-v1-5 config)"
register_preset("sd15-unet", "sd-unet", UNetConfig, reference=_REF.format("UNet2DConditionModel"))
register_preset("sd15-vae", "sd-vae", VAEConfig, reference=_REF.format("AutoencoderKL"))
register_preset(
    "sd15-text",
    "clip-text",
    sd15_text,
    reference="transformers CLIPTextModel (openai/clip-vit-large-patch14 text config)",
)
register_preset(
    "sd15",
    "sd",
    lambda: StableDiffusionConfig(text=sd15_text()),
    aliases=("sd", "stable-diffusion", "runwayml/stable-diffusion-v1-5", "stable-diffusion-v1-5/stable-diffusion-v1-5"),
    reference="diffusers 0.42 StableDiffusionPipeline parts: CLIPTextModel + UNet2DConditionModel + AutoencoderKL",
)
