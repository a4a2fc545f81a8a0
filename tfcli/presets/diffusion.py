"""Stable Diffusion 1.5: a CLIP text encoder, a latent U-Net denoiser and a KL autoencoder.

Three parts, one config each (diffusers' UNet2DConditionModel and AutoencoderKL, the
CLIP ViT-L/14 text tower), and one config nesting all three. The UNet works on the
VAE's latents: a 512×512 image is a 4×64×64 latent (the VAE halves the side 3 times).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from tfcli.errors import InputShapeError
from tfcli.presets.clip import CLIPTextConfig, sd15_text
from tfcli.registry import Family, FamilyFacts, Modality, Preset, Text, register
from tfcli.spec.saved import SavedTally
from tfcli.spec import (
    ArchConfig, AttentionSpec, BlockSpec, Breakdown, Counted, InputShape, Layout, Linear, ResolvedInput, Tally,
    block_spec, divides, one_of, require,
)

BLOCK_KINDS = ("cross", "plain")  # diffusers' CrossAttn{Down,Up}Block2D / {Down,Up}Block2D

# -- closed-form pieces (the model files build exactly these) ------------------


def conv(c_in: int, c_out: int, k: int) -> int:
    return c_in * c_out * k * k + c_out


def group_norm(c: int) -> int:
    return 2 * c


def resnet(c_in: int, c_out: int, temb: int = 0) -> int:
    """GroupNorm, 3×3 conv, time projection (UNet only), GroupNorm, 3×3 conv, 1×1 shortcut if widths differ."""
    n = group_norm(c_in) + conv(c_in, c_out, 3) + group_norm(c_out) + conv(c_out, c_out, 3)
    n += Linear(temb, c_out).num_params() if temb else 0
    return n + (conv(c_in, c_out, 1) if c_in != c_out else 0)


def transformer_block(c: int, heads: int, context_dim: int) -> BlockSpec:
    """diffusers' BasicTransformerBlock: self-attention over the pixels, cross-attention to the
    text, GEGLU feed-forward (4C), pre-LayerNorms; q/k/v without bias, output with bias."""
    return block_spec(c, heads, 4 * c, activation="gelu", gated=True, qkv_bias=False, out_bias=True,
                      cross_dim=context_dim)


def spatial_transformer(c: int, heads: int, context_dim: int, depth: int) -> int:
    """GroupNorm, 1×1 proj_in, `depth` transformer blocks, 1×1 proj_out."""
    return group_norm(c) + 2 * conv(c, c, 1) + depth * transformer_block(c, heads, context_dim).num_params()


def vae_attention(c: int) -> int:
    """The VAE mid-block's single-head self-attention over all pixels (biased q/k/v/out)."""
    return group_norm(c) + AttentionSpec(c, 1).num_params()


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
            return spatial_transformer(c, self.num_heads, self.cross_attention_dim, self.transformer_layers_per_block)

        parts = {
            "conv_in": conv(self.in_channels, ch[0], 3),
            "time_embedding": Linear(ch[0], temb).num_params() + Linear(temb, temb).num_params(),
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

    def layout(self) -> Layout:
        return _counted(self.part_params())

    def default_input(self) -> InputShape:
        return InputShape(seq_len=77, image_size=self.sample_size * self.pixels_per_latent)

    def image_step(self) -> int:
        return self.pixels_per_latent * 2**self.downsamples  # the latents must halve evenly

    def resolve_input(self, shape: InputShape) -> ResolvedInput:
        return _image_and_text(self, shape, self.sample_size * self.pixels_per_latent, self, self.pixels_per_latent)

    def macs(self, x: ResolvedInput) -> Breakdown:
        return unet_macs(self, x)

    def saved(self, x: ResolvedInput) -> SavedTally:
        return unet_saved(self, x, SavedTally(x.batch), latent_side(x.image_size, self))


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

    def layout(self) -> Layout:
        return _counted(self.part_params())

    def default_input(self) -> InputShape:
        return InputShape(image_size=self.sample_size)

    def image_step(self) -> int:
        return 2**self.downsamples  # the image side halves `downsamples` times

    def resolve_input(self, shape: InputShape) -> ResolvedInput:
        size = shape.image_size or self.sample_size
        check_image_side(size, self)
        x = ResolvedInput(batch=shape.batch or 1, image_size=size, lengths={"one": 1})
        side = size >> self.downsamples
        x.tokens = x.lengths["tokens"] = side * side  # the mid block attends over every latent pixel
        x.lines = [f"latents: {self.latent_channels}×{side}×{side} (the mid block's attention: {side * side} pixels)"]
        return x

    def macs(self, x: ResolvedInput) -> Breakdown:
        return vae_macs(self, x)

    def saved(self, x: ResolvedInput) -> SavedTally:
        t = SavedTally(x.batch)
        _vae(_Saved(t, self.norm_num_groups), self, x.image_size)
        return t


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

    def layout(self) -> Layout:
        return (
            Layout()
            .extend("text_encoder", self.text.layout())
            .extend("unet", self.unet.layout())
            .extend("vae", self.vae.layout())
        )

    def default_input(self) -> InputShape:
        return InputShape(seq_len=self.text.max_positions, image_size=self.vae.sample_size)

    def image_step(self) -> int:
        return self.pixels_per_latent * 2**self.unet.downsamples

    def context_length(self) -> int:
        return self.text.context_length()

    def resolve_input(self, shape: InputShape) -> ResolvedInput:
        return _image_and_text(self.unet, shape, self.vae.sample_size, self.text, self.pixels_per_latent)

    def macs(self, x: ResolvedInput) -> Breakdown:
        return sd_macs(self, x)

    def saved(self, x: ResolvedInput) -> SavedTally:
        """The text encoder's, one UNet step's (its text is the encoder's output), the VAE decoder's."""
        t = self.text.layout().saved({"tokens": x.seq_len, "one": 1}, x.batch)
        side = latent_side(x.image_size, self.unet, self.pixels_per_latent)
        unet_saved(self.unet, x, t, side)
        _vae_decode(_Saved(t, self.vae.norm_num_groups), self.vae, side)
        return t


def _counted(parts: dict[str, int]) -> Layout:
    layout = Layout()
    for name, params in parts.items():
        layout.add(name, Counted(params))
    return layout


def check_side(side: int, halvings: int, what: str, fix: str) -> None:
    if side % (2**halvings):
        raise InputShapeError(
            f"{what} side {side} cannot be halved {halvings} times evenly "
            f"(needs a multiple of {2**halvings}); {fix}"
        )


def latent_side(image_size: int, cfg: UNetConfig, pixels_per_latent: int | None = None) -> int:
    """`--image-size` is in pixels; the UNet sees image_size / 8 latents per side (SD's VAE)."""
    p = pixels_per_latent or cfg.pixels_per_latent
    if image_size % p:
        raise InputShapeError(
            f"image size {image_size} is not a multiple of {p}: the VAE maps {p}×{p} pixels to one "
            f"latent; use e.g. {image_size // p * p or p}"
        )
    latent = image_size // p
    step = p * 2**cfg.downsamples
    check_side(
        latent, cfg.downsamples, f"image size {image_size} → latent",
        f"use an image size that is a multiple of {step} (e.g. {max(step, image_size // step * step)})",
    )
    return latent


def check_image_side(image_size: int, cfg: VAEConfig) -> None:
    d = cfg.downsamples
    check_side(image_size, d, "image", f"use an image size that is a multiple of {2**d} (e.g. {max(2**d, image_size >> d << d)})")


def _image_and_text(unet: "UNetConfig", shape: InputShape, default_size: int, text, ppl: int) -> ResolvedInput:
    size = shape.image_size or default_size
    side = latent_side(size, unet, ppl)
    n = shape.seq_len or 77
    x = ResolvedInput(batch=shape.batch or 1, seq_len=n, image_size=size, lengths={"tokens": n, "one": 1})
    x.lengths["latent_side"] = side
    x.tokens = max(n, side * side)  # the largest self-attention: the first level's pixels
    x.lines = [f"latents: {unet.in_channels}×{side}×{side} ({size}×{size} pixels / {ppl}); text: {n} tokens"]
    if text is unet:
        x.notes.append(f"--image-size {size} is in pixels: the UNet denoises {unet.in_channels}×{side}×{side} "
                       f"latents (pixels / {ppl})")
    else:
        past = text.resolve_input(InputShape(batch=x.batch, seq_len=n))
        x.notes += past.notes
        x.notes.append(f"one forward = encode the prompt, one UNet denoising step on {side}×{side} latents, "
                       f"VAE-decode to {size}×{size} px (the VAE encoder is not run)")
    return x


# -- closed-form MACs (the convention of tfcli.spec.tally) -------------------------------------------


class _Macs:
    """The pieces the walks below visit, counted as MACs (tfcli.spec.tally's convention)."""

    def __init__(self, t: Tally):
        self.t = t

    def conv(self, pixels: int, c_in: int, c_out: int, k: int = 3, padded: int = 0) -> None:
        """A k×k conv with `pixels` outputs (`padded`: the input as the VAE pads it; no MACs)."""
        self.t.linear("convolution", pixels, k * k * c_in, c_out)

    def upsample(self, pixels: int, c: int) -> None:
        """Nearest 2× to `pixels`, then a 3×3 conv."""
        self.conv(pixels, c, c)

    def time_mlp(self, c: int, temb: int) -> None:
        self.t.linear("embeddings", 1, c, temb)
        self.t.linear("embeddings", 1, temb, temb)

    def resnet(self, pixels: int, c_in: int, c_out: int, temb: int = 0) -> None:
        """GroupNorm, 3×3 conv, (time projection), GroupNorm, 3×3 conv, 1×1 shortcut if widths differ."""
        self.t.norm(pixels * c_in)
        self.conv(pixels, c_in, c_out)
        if temb:
            self.t.linear("embeddings", 1, temb, c_out)  # one bias per channel from the time embedding
        self.t.norm(pixels * c_out)
        self.conv(pixels, c_out, c_out)
        if c_in != c_out:
            self.t.linear("convolution", pixels, c_in, c_out)

    def transformer(self, n: int, ch: int, heads: int, depth: int, text: int, ctx: int) -> None:
        """GroupNorm, 1×1 proj_in, `depth` blocks (self-attention over the n pixels, cross-attention
        to the text, GEGLU 4C, 3 LayerNorms), 1×1 proj_out: 20nC² + 2n²C + 2nTC + 2TdC per block."""
        self.t.norm(n * ch)
        self.t.linear("convolution", n, ch, 2 * ch)  # proj_in and proj_out
        transformer_block(ch, heads, ctx).add_macs(self.t, n, text, times=depth)

    def vae_attention(self, pixels: int, ch: int) -> None:
        """GroupNorm, then single-head self-attention over every pixel."""
        self.t.norm(pixels * ch)
        AttentionSpec(ch, 1).add_macs(self.t, pixels)
        self.t.tokens = max(self.t.tokens, pixels)

    def norm_out(self, pixels: int, ch: int) -> None:
        """The last GroupNorm and SiLU before conv_out."""
        self.t.norm(pixels * ch)

    def sample(self, pixels: int, z: int) -> None:
        """The encoder's posterior sampled: mean + exp(logvar / 2) · noise (elementwise)."""


class _Saved:
    """The same pieces, as what a training forward keeps for backward (tfcli.spec.saved)."""

    def __init__(self, s: SavedTally, groups: int):
        self.s, self.groups = s, groups

    def conv(self, pixels: int, c_in: int, c_out: int, k: int = 3, padded: int = 0) -> None:
        self.s.add("convolution", (padded or pixels) * c_in)  # its input (a stride-2 conv's is 4× its outputs)

    def upsample(self, pixels: int, c: int) -> None:
        self.s.add("convolution", pixels * c)  # the upsampled input of its conv

    def time_mlp(self, c: int, temb: int) -> None:
        # the sinusoid, the first linear's output (SiLU's input), SiLU's output; every ResNet's
        # SiLU reads the second linear's output, one tensor
        self.s.add("embeddings", c + 3 * temb)

    def _group_norm(self, numel: int) -> None:
        self.s.add("norms", numel)
        self.s.add("norms", 2 * self.groups, "stat")

    def resnet(self, pixels: int, c_in: int, c_out: int, temb: int = 0) -> None:
        """Each GroupNorm's input and statistics, the SiLU's input and output (the conv's input);
        the time projection's SiLU output; the shortcut reads the block's input (already kept)."""
        for c in (c_in, c_out):
            self._group_norm(pixels * c)
            self.s.add("convolution", 2 * pixels * c)
        if temb:
            self.s.add("embeddings", temb)

    def transformer(self, n: int, ch: int, heads: int, depth: int, text: int, ctx: int) -> None:
        """GroupNorm, proj_in's input, the blocks (whose first norm reads proj_in's output),
        proj_out's input. The text the cross-attentions read is the model's input, kept once."""
        self._group_norm(n * ch)
        self.s.add("convolution", 2 * n * ch)
        block = transformer_block(ch, heads, ctx)
        block.add_saved(self.s, n, text, times=depth)

    def vae_attention(self, pixels: int, ch: int) -> None:
        self._group_norm(pixels * ch)
        AttentionSpec(ch, 1).add_saved(self.s, pixels)

    def norm_out(self, pixels: int, ch: int) -> None:
        self._group_norm(pixels * ch)
        self.s.add("convolution", pixels * ch)  # SiLU's input; its output is conv_out's input

    def sample(self, pixels: int, z: int) -> None:
        self.s.add("other", 2 * pixels * z)  # exp's output and the noise, kept by the product


def _unet(v, c, side: int, text: int) -> None:
    """The UNet on side×side latents, cross-attending to `text` tokens (c.cross_attention_dim wide)."""
    ch, temb, n_levels = c.block_out_channels, c.time_embed_dim, len(c.block_out_channels)
    pixels = [(side >> i) ** 2 for i in range(n_levels)]

    def transformer(n: int, width: int) -> None:
        v.transformer(n, width, c.num_heads, c.transformer_layers_per_block, text, c.cross_attention_dim)

    v.time_mlp(ch[0], temb)  # on the sinusoid of t
    v.conv(pixels[0], c.in_channels, ch[0])
    for i, level in enumerate(c.down_plan()):
        for a, b in level:
            v.resnet(pixels[i], a, b, temb)
            if c.down_block_types[i] == "cross":
                transformer(pixels[i], b)
        if i < c.downsamples:
            v.conv(pixels[i + 1], ch[i], ch[i], padded=pixels[i])  # stride 2: one output per 4 input pixels
    v.resnet(pixels[-1], ch[-1], ch[-1], temb)
    transformer(pixels[-1], ch[-1])
    v.resnet(pixels[-1], ch[-1], ch[-1], temb)
    for i, level in enumerate(c.up_plan()):
        n = pixels[n_levels - 1 - i]
        for a, b in level:
            v.resnet(n, a, b, temb)
            if c.up_block_types[i] == "cross":
                transformer(n, b)
        if i < c.downsamples:
            v.upsample(4 * n, level[0][1])
    v.norm_out(pixels[0], ch[0])
    v.conv(pixels[0], ch[0], c.out_channels)


def unet_macs(c, s: ResolvedInput) -> Breakdown:
    """Per level at n pixels: ResNet blocks (9n·c_in·c_out + 9n·c_out² [+ n·c_in·c_out] +
    t·c_out), spatial transformers, a stride-2 conv (n/4)·9C² down or 4n·9C² up; conv_in,
    conv_out and the time MLP. `--image-size` is in pixels: the latent side is 1/8 of it."""
    t = Tally(s.batch)
    _unet(_Macs(t), c, latent_side(s.image_size, c), s.seq_len)
    t.tokens = max(t.tokens, latent_side(s.image_size, c) ** 2)
    return t.result()


def unet_saved(c, s: ResolvedInput, t: SavedTally, side: int) -> SavedTally:
    """What one UNet step keeps for backward, into `t`; the text every cross-attention reads is kept once."""
    _unet(_Saved(t, c.norm_num_groups), c, side, s.seq_len)
    if "cross" in c.down_block_types or "cross" in c.up_block_types:
        t.add("attention", s.seq_len * c.cross_attention_dim)
    return t


def _vae_mid(v, pixels: int, ch: int) -> None:
    """ResNet, single-head self-attention over every pixel (GroupNorm first), ResNet."""
    v.resnet(pixels, ch, ch)
    v.vae_attention(pixels, ch)
    v.resnet(pixels, ch, ch)


def _vae_decode(v, c, side: int) -> int:
    """post_quant_conv and the decoder from side×side latents (side · 2^downsamples pixels out);
    returns the output pixels."""
    ch, L, z = c.block_out_channels[::-1], c.layers_per_block, c.latent_channels
    n = side * side
    v.conv(n, z, z, k=1)  # post_quant_conv
    v.conv(n, z, ch[0])
    _vae_mid(v, n, ch[0])
    c_in = ch[0]
    for i, width in enumerate(ch):
        for j in range(L + 1):
            v.resnet(n, c_in if j == 0 else width, width)
        c_in = width
        if i < len(ch) - 1:
            n *= 4
            v.upsample(n, width)  # nearest 2× then a 3×3 conv
    v.norm_out(n, ch[-1])
    v.conv(n, ch[-1], c.out_channels)
    return n


def _vae(v, c, image_size: int) -> None:
    """encode (ResNet levels, stride-2 convs, mid block, conv to mean and log-variance,
    quant_conv), sample the posterior, then decode (post_quant_conv, mid block, one ResNet more
    per level, 2× convs)."""
    ch, L, z = c.block_out_channels, c.layers_per_block, c.latent_channels
    side = image_size
    v.conv(side * side, c.in_channels, ch[0])
    c_in = ch[0]
    for i, width in enumerate(ch):
        for j in range(L):
            v.resnet(side * side, c_in if j == 0 else width, width)
        c_in = width
        if i < len(ch) - 1:  # pad right/bottom by one, then a stride-2 3×3 conv
            v.conv((side // 2) ** 2, width, width, padded=(side + 1) ** 2)
            side //= 2
    n = side * side
    _vae_mid(v, n, ch[-1])
    v.norm_out(n, ch[-1])
    v.conv(n, ch[-1], 2 * z)
    v.conv(n, 2 * z, 2 * z, k=1)  # quant_conv
    v.sample(n, z)
    _vae_decode(v, c, side)


def vae_macs(c, s: ResolvedInput) -> Breakdown:
    t = Tally(s.batch)
    _vae(_Macs(t), c, s.image_size)
    return t.result()


def sd_macs(c, s: ResolvedInput) -> Breakdown:
    """One text-to-image step: the text encoder, one UNet step, the VAE decoder (the encoder
    is not run); the DDIM update between them is elementwise."""
    t = Tally(s.batch)
    c.text.layout().add_macs(t, {"tokens": s.seq_len, "one": 1})
    side = latent_side(s.image_size, c.unet, c.pixels_per_latent)
    v = _Macs(t)
    _unet(v, c.unet, side, s.seq_len)
    _vae_decode(v, c.vae, side)
    t.tokens = max(t.tokens, s.seq_len, side * side)
    return t.result()


_REF = "diffusers 0.42 {} (stable-diffusion-v1-5 config)"

UNET_FAMILY = register(Family(
    "sd-unet",
    UNetConfig,
    builder="tfcli.models.diffusion.unet:UNet",
    kind="conv-denoiser",
    modality=Modality.LATENTS_TEXT,
    description="latent U-Net: ResNet blocks, transformer blocks cross-attending to text, time embedding",
    presets=(Preset("sd15-unet", UNetConfig, params=859_520_964, macs=402_035_261_440,
                    reference=_REF.format("UNet2DConditionModel")),),
    facts=FamilyFacts(
            "Stable Diffusion U-Net",
            Text("noise prediction (denoising score matching)", "噪声预测（去噪分数匹配）"),
            Text("the denoiser inside Stable Diffusion", "Stable Diffusion 内的去噪器"),
            Text(
                "convolutional levels keep the image layout; attention blocks mix positions and "
                "cross-attend to the text",
                "卷积层级保留图像空间结构；attention 区块混合各位置信息并对文字做 cross-attention",
            ),
            part_of="sd",
        ),
))
VAE_FAMILY = register(Family(
    "sd-vae",
    VAEConfig,
    builder="tfcli.models.diffusion.vae:AutoencoderKL",
    kind="conv-autoencoder",
    modality=Modality.IMAGE,
    description="KL autoencoder: image ↔ 8×-smaller latents; self-attention only in the mid blocks",
    presets=(Preset("sd15-vae", VAEConfig, params=83_653_863, macs=1_819_101_429_760,
                    reference=_REF.format("AutoencoderKL")),),
    facts=FamilyFacts(
            "Stable Diffusion VAE",
            Text("reconstruction + KL + perceptual/adversarial losses", "重建 + KL + 感知/对抗损失"),
            Text("pixels ↔ latents (8× smaller) for the diffusion model", "像素 ↔ 潜在表示（缩小 8 倍）供扩散模型使用"),
            Text(
                "a convolutional autoencoder compresses the image so diffusion runs on 64×64 latents "
                "instead of 512×512 pixels",
                "卷积自编码器压缩图像，让扩散在 64×64 潜在空间而非 512×512 像素上进行",
            ),
            part_of="sd",
        ),
))
FAMILY = register(Family(
    "sd",
    StableDiffusionConfig,
    builder="tfcli.models.diffusion.build:StableDiffusion",
    kind="latent-diffusion",
    modality=Modality.TEXT_TO_IMAGE,
    description="text encoder → latent U-Net denoiser → VAE decoder (Stable Diffusion)",
    presets=(Preset(
        "sd15", lambda: StableDiffusionConfig(text=sd15_text()), params=1_066_235_307, macs=1_668_247_753_472,
        slow=True,
        aliases=("sd", "stable-diffusion", "runwayml/stable-diffusion-v1-5",
                 "stable-diffusion-v1-5/stable-diffusion-v1-5"),
        reference="diffusers 0.42 StableDiffusionPipeline parts: CLIPTextModel + UNet2DConditionModel + AutoencoderKL",
    ),),
    facts=FamilyFacts(
            "Stable Diffusion",
            Text("denoising diffusion in a VAE latent space (predict the added noise)", "在 VAE 潜在空间中做去噪扩散（预测加入的噪声）"),
            Text("text-to-image generation, image editing, inpainting", "文字生成图像、图像编辑、修补"),
            Text(
                "generation conditioned on text: a CLIP text encoder, a U-Net denoiser whose "
                "transformer blocks cross-attend to the text, and a VAE between pixels and latents",
                "以文字为条件的生成：CLIP 文字编码器、在 transformer 区块中对文字做 cross-attention 的 U-Net 去噪器，以及连接像素与潜在空间的 VAE",
            ),
        ),
))
