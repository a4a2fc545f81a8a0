"""DINOv2 (Oquab et al. 2023; transformers' Dinov2Model): the ViT embeddings plus a mask token
and optional registers, pre-norm blocks with LayerScale, a final LayerNorm. The pooled output
is the normalised [CLS] state (no pooler weights)."""

from __future__ import annotations

import torch

from tfcli.blocks import Stack
from tfcli.blocks.vision import VisionEmbeddings
from tfcli.models.base import TfcliModel
from tfcli.models.vit import example_images
from tfcli.presets.dinov2 import DINOv2Config
from tfcli.spec import ResolvedInput


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
        self.encoder = Stack(c.layout()["encoder"])  # its final norm is Dinov2Model's `layernorm`

    def inputs_for(self, x: ResolvedInput, device):
        return example_images(x, self.config, device)

    def components(self):
        return {"embeddings": self.embeddings, "encoder": self.encoder}

    def forward(self, pixel_values, masked: torch.Tensor | None = None):
        x = self.embeddings(pixel_values, masked)  # (B, 1 + registers + N, d)
        x = self.encoder(x)  # (B, 1 + registers + N, d), normalised
        return x, x[:, 0]  # tokens, pooled [CLS]
