"""What the vision families' records share: the patch grid, the image input and a ViT tower. No torch."""

from __future__ import annotations

from dataclasses import dataclass

from tfcli.errors import InputShapeError
from tfcli.presets._text import check_attention, check_choices
from tfcli.spec import (
    ArchConfig, BlockSpec, InputShape, Layout, Linear, NormSpec, PatchEmbed, ResolvedInput, StackSpec, Table, divides,
)


@dataclass
class PatchEncoderConfig(ArchConfig):
    """The fields and rules a plain ViT-shaped image encoder shares (ViT, DeiT, BEiT): square
    images cut into patches, `num_layers` blocks of one width. Subclasses add their head,
    their activation and eps, and what makes them differ."""

    image_size: int = 224  # the size the position (or relative) tables are learned for
    patch_size: int = 16
    in_channels: int = 3
    d_model: int = 768
    num_layers: int = 12
    num_heads: int = 12
    ffn_dim: int = 3072

    @property
    def grid(self) -> int:
        return self.image_size // self.patch_size

    def check(self) -> None:
        check_attention(self.family, self.d_model, self.num_heads)
        check_choices(self.family, self.activation)
        divides(self.family, "image_size", self.image_size, "patch_size", self.patch_size)

    def default_input(self) -> InputShape:
        return InputShape(image_size=self.image_size)

    def image_step(self) -> int:
        return self.patch_size


def grid_size(image_size: int, patch_size: int, exact: bool = True) -> int:
    """Patches per side; an image the patches do not tile exactly is refused, unless the model
    drops the remainder (`exact=False`: SigLIP's 384² over 14² patches reads 27×27 of them)."""
    if image_size < patch_size or (exact and image_size % patch_size):
        below = image_size // patch_size * patch_size
        above = below + patch_size
        fix = f"use {below} or {above}" if below else f"use {above}"
        raise InputShapeError(
            f"image size {image_size} is not a multiple of the patch size {patch_size}; {fix}"
        )
    return image_size // patch_size


def token_count_line(grid: int, prefix: list[tuple[int, str]]) -> str:
    """'tokens: 197 = 14×14 patches + 1 [CLS]' for the inspect header."""
    total = grid * grid + sum(n for n, _ in prefix)
    extra = "".join(f" + {n} {label}" for n, label in prefix if n)
    return f"tokens: {total} = {grid}×{grid} patches{extra}"


def image_input(shape: InputShape, default_size: int, patch_size: int, prefix: list[tuple[int, str]],
                patches: str = "patches", tokens: str = "tokens", exact: bool = True) -> ResolvedInput:
    """B images of side --image-size (default: the config's) cut into patches, + prefix tokens."""
    size = shape.image_size or default_size
    g = grid_size(size, patch_size, exact)
    n = g * g + sum(k for k, _ in prefix)
    x = ResolvedInput(
        batch=shape.batch or 1, image_size=size, lengths={patches: g * g, tokens: n, "one": 1}, tokens=n,
        lines=[token_count_line(g, prefix)],
    )
    if size % patch_size:
        x.notes.append(f"image size {size} is not a multiple of the patch size {patch_size}: the patch conv "
                       f"reads {g}×{g} patches and leaves the last {size % patch_size} pixels of each side unread")
    return x


def vit_tower(
    *, patch_size: int, in_channels: int, grid: int, block: BlockSpec, num_layers: int, patch_bias: bool = True,
    class_token: bool = True, positions: bool = True,
    extra_tokens: dict[str, int] | None = None, positioned_tokens: dict[str, int] | None = None,
    pre_norm: bool = False, final_norm: bool = True, patches: str = "patches", tokens: str = "tokens",
) -> Layout:
    """Patch conv, [CLS], extra learned tokens (mask, registers: no position; DeiT's distillation
    token: `positioned_tokens`, with one), positions for those prefix tokens + the training grid,
    an optional LayerNorm before the blocks (CLIP), the encoder stack."""
    d = block.d_model
    layout = Layout().add("patch_embed", PatchEmbed(patch_size, in_channels, d, patch_bias), rows=patches)
    if class_token:
        layout.add("cls_token", Table(1, d, lookup=""))
    positioned = {name: n for name, n in (positioned_tokens or {}).items() if n}
    for name, count in {**positioned, **(extra_tokens or {})}.items():
        if count:
            layout.add(name, Table(count, d, lookup=""))
    if positions:  # BEiT has none: relative biases in every block instead
        layout.add("positions", Table(grid * grid + int(class_token) + sum(positioned.values()), d, lookup=""))
    if pre_norm:
        layout.add("pre_norm", NormSpec("layer", d, block.norm.eps), rows=tokens)
    return layout.add("encoder", StackSpec(block, num_layers, final_norm=final_norm), rows=tokens)


def classifier(layout: Layout, d: int, num_classes: int, pooler: bool) -> Layout:
    """A linear head and/or BERT-style pooler on the final [CLS] state."""
    picks = layout.last_rows  # the first head reads the [CLS] row of the stack's output
    if num_classes:
        layout.add("head", Linear(d, num_classes), rows="one", picks=picks)
    if pooler:
        layout.add("pooler", Linear(d, d), rows="one", picks=None if num_classes else picks)
    return layout
