"""ViT (Dosovitskiy et al. 2020, timm's VisionTransformer): patches → tokens, [CLS] + learned
positions, a pre-norm bidirectional encoder, a linear head on the final [CLS] state."""

from __future__ import annotations

import torch
from tfcli.blocks import BlockConfig, ClassifierHead, Pooler, Stack
from tfcli.blocks.vision import VisionEmbeddings, grid_size, token_count_line
from tfcli.models.base import TfcliModel, image_batch
from tfcli.presets.vit import ViTConfig
from tfcli.spec import InputShape


def example_images(shape: InputShape, config, device) -> dict[str, torch.Tensor]:
    """(B, C, H, W) images at --image-size (default: the config's), checked against the patch size."""
    size = shape.image_size or config.image_size
    grid_size(size, config.patch_size)  # refuse sizes the patches do not tile, before any work
    return {"images": image_batch(shape.batch, config.in_channels, size, device)}


class ViTModel(TfcliModel):
    def __init__(self, config: ViTConfig):
        super().__init__()
        self.config = c = config
        # timm resamples the position table with antialiasing (it matters when the grid shrinks)
        self.embeddings = VisionEmbeddings(c.patch_size, c.in_channels, c.d_model, c.grid, antialias=True)
        block = BlockConfig(c.d_model, c.num_heads, c.ffn_dim, activation=c.activation, norm_eps=c.norm_eps)
        # pre-norm blocks; the stack's final LayerNorm is timm's `norm`
        self.encoder = Stack(block, c.num_layers)
        self.head = ClassifierHead(c.d_model, c.num_classes) if c.num_classes else None
        # transformers' ViTModel (no classifier) ends in BERT's pooler; timm's ViTs have none
        self.pooler = Pooler(c.d_model) if c.pooler else None

    def example_inputs(self, shape: InputShape, device="cpu"):
        return example_images(shape, self.config, device)

    def describe_input(self, shape: InputShape) -> list[str]:
        g = grid_size(shape.image_size or self.config.image_size, self.config.patch_size)
        return [token_count_line((g, g), [(1, "[CLS]")])]

    def components(self):
        parts = {"embeddings": self.embeddings, "encoder": self.encoder}
        parts |= {"head": self.head} if self.head is not None else {}
        return parts | ({"pooler": self.pooler} if self.pooler is not None else {})

    def context_length(self) -> int | None:
        return None  # the position table is resampled to the grid, never wrapped

    def forward(self, images):
        x = self.embeddings(images)  # (B, 1 + N, d): [CLS] + one token per patch
        x = self.encoder(x)  # (B, 1 + N, d), final LayerNorm applied
        if self.pooler is not None:
            return self.pooler(x)  # (B, d): tanh(dense([CLS]))
        cls = x[:, 0]  # (B, d)
        return self.head(cls) if self.head is not None else cls  # (B, classes)
