"""BEiT (Bao et al. 2021; transformers' BeitForImageClassification): ViT embeddings without an
absolute table, pre-norm blocks with LayerScale whose attention adds a learned relative-position
bias (each block its own, or one shared), and a head on the normalised mean of the patch tokens."""

from __future__ import annotations

import torch
from torch import nn

from tfcli.blocks import ClassifierHead, Stack
from tfcli.blocks.embeddings import RelativePositionBias
from tfcli.blocks.vision import VisionEmbeddings
from tfcli.models.base import TfcliModel
from tfcli.models.vit import example_images
from tfcli.presets.beit import BEiTConfig
from tfcli.spec import ResolvedInput


class PoolerNorm(nn.LayerNorm):
    """BeitPooler: the LayerNorm over the mean of the patch tokens."""

    category = "heads"


class BEiTModel(TfcliModel):
    def __init__(self, config: BEiTConfig):
        super().__init__()
        self.config = c = config
        layout = c.layout()
        self.embeddings = VisionEmbeddings(c.patch_size, c.in_channels, c.d_model, c.grid,
                                           mask_token=c.mask_token, positions=c.absolute_positions)
        self.shared_rel_pos = (RelativePositionBias.from_spec(layout["shared_rel_pos"])
                               if c.shared_relative_position_bias else None)
        self.encoder = Stack(layout["encoder"])  # each block's own relative table, if any
        self.pooler_norm = PoolerNorm(c.d_model, eps=c.norm_eps) if c.mean_pooling else None
        self.head = ClassifierHead(c.d_model, c.num_classes) if c.num_classes else None

    def inputs_for(self, x: ResolvedInput, device):
        return example_images(x, self.config, device)

    def components(self):
        parts = {"embeddings": self.embeddings, "encoder": self.encoder}
        return parts | ({"head": self.head} if self.head is not None else {})

    def forward(self, pixel_values: torch.Tensor, masked: torch.Tensor | None = None):
        x = self.embeddings(pixel_values, masked)  # (B, 1 + N, d)
        bias = self.shared_rel_pos(x.shape[1]) if self.shared_rel_pos is not None else None  # (1, h, T, T)
        x = self.encoder(x, attn_bias=bias)
        pooled = self.pooler_norm(x[:, 1:].mean(dim=1)) if self.pooler_norm is not None else x[:, 0]  # (B, d)
        return self.head(pooled) if self.head is not None else pooled
