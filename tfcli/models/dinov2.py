"""DINOv2 (Oquab et al. 2023; transformers' Dinov2Model): the ViT embeddings plus a mask token
and optional registers, pre-norm blocks with LayerScale, a final LayerNorm. The pooled output
is the normalised [CLS] state (no pooler weights)."""

from __future__ import annotations

import torch

from tfcli.blocks import BlockConfig, Stack
from tfcli.blocks.vision import VisionEmbeddings, grid_size, token_count_line
from tfcli.models.base import TfcliModel
from tfcli.models.vit import example_images
from tfcli.presets.dinov2 import DINOv2Config
from tfcli.spec import InputShape


class DINOv2Model(TfcliModel):
    def __init__(self, config: DINOv2Config):
        super().__init__()
        self.config = c = config
        # resampling the position table: transformers' Dinov2WithRegistersModel uses the
        # antialiased (PIL-style) bicubic kernel, Dinov2Model the plain one; they differ
        # even when upsampling, so follow each
        self.embeddings = VisionEmbeddings(
            c.patch_size, c.in_channels, c.d_model, c.grid,
            num_registers=c.num_registers, mask_token=True, antialias=c.num_registers > 0,
        )
        block = BlockConfig(
            c.d_model, c.num_heads, c.ffn_dim,
            activation=c.activation, gated=c.swiglu,
            norm_eps=c.norm_eps, layer_scale=True,
        )
        self.encoder = Stack(block, c.num_layers)  # its final norm is Dinov2Model's `layernorm`

    def example_inputs(self, shape: InputShape, device="cpu"):
        return example_images(shape, self.config, device)

    def describe_input(self, shape: InputShape) -> list[str]:
        g = grid_size(shape.image_size or self.config.image_size, self.config.patch_size)
        return [token_count_line((g, g), [(1, "[CLS]"), (self.config.num_registers, "registers")])]

    def components(self):
        return {"embeddings": self.embeddings, "encoder": self.encoder}

    def context_length(self) -> int | None:
        return None  # positions are resampled to the grid

    def forward(self, images, masked: torch.Tensor | None = None):
        x = self.embeddings(images, masked)  # (B, 1 + registers + N, d)
        x = self.encoder(x)  # (B, 1 + registers + N, d), normalised
        return x, x[:, 0]  # tokens, pooled [CLS]
