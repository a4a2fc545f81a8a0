"""ViT (Dosovitskiy et al. 2020, timm's VisionTransformer): patches → tokens, [CLS] + learned
positions, a pre-norm bidirectional encoder, a linear head on the final [CLS] state."""

from __future__ import annotations

import torch
from tfcli.blocks import ClassifierHead, Pooler, Stack
from tfcli.blocks.vision import VisionEmbeddings
from tfcli.models.base import TfcliModel, image_batch
from tfcli.presets.deit import DeiTConfig
from tfcli.presets.vit import ViTConfig
from tfcli.spec import ResolvedInput


def example_images(x: ResolvedInput, config, device) -> dict[str, torch.Tensor]:
    """(B, C, H, W) images at the resolved side (already checked against the patch size)."""
    return {"pixel_values": image_batch(x.batch, config.in_channels, x.image_size, device)}


class ViTModel(TfcliModel):
    def __init__(self, config: ViTConfig):
        super().__init__()
        self.config = c = config
        # timm resamples the position table with antialiasing (it matters when the grid shrinks)
        self.embeddings = VisionEmbeddings(c.patch_size, c.in_channels, c.d_model, c.grid, antialias=True)
        # pre-norm blocks; the stack's final LayerNorm is timm's `norm`
        self.encoder = Stack(c.layout()["encoder"])
        self.head = ClassifierHead(c.d_model, c.num_classes) if c.num_classes else None
        # transformers' ViTModel (no classifier) ends in BERT's pooler; timm's ViTs have none
        self.pooler = Pooler(c.d_model) if c.pooler else None

    def inputs_for(self, x: ResolvedInput, device):
        return example_images(x, self.config, device)

    def components(self):
        parts = {"embeddings": self.embeddings, "encoder": self.encoder}
        parts |= {"head": self.head} if self.head is not None else {}
        return parts | ({"pooler": self.pooler} if self.pooler is not None else {})

    def forward(self, pixel_values):
        x = self.embeddings(pixel_values)  # (B, 1 + N, d): [CLS] + one token per patch
        x = self.encoder(x)  # (B, 1 + N, d), final LayerNorm applied
        if self.pooler is not None:
            return self.pooler(x)  # (B, d): tanh(dense([CLS]))
        cls = x[:, 0]  # (B, d)
        return self.head(cls) if self.head is not None else cls  # (B, classes)


class DeiTModel(ViTModel):
    """DeiT (Touvron et al. 2021): a ViT whose distillation token, after [CLS], is read by a
    second classifier; at inference the two heads' logits are averaged (transformers'
    DeiTForImageClassificationWithTeacher)."""

    def __init__(self, config: DeiTConfig):
        super().__init__(config)
        c = config
        # transformers resamples DeiT's table with the plain bicubic kernel
        self.embeddings = VisionEmbeddings(c.patch_size, c.in_channels, c.d_model, c.grid,
                                           distillation_token=c.distillation_token)
        heads = c.num_classes and c.distillation_head
        self.distillation_head = ClassifierHead(c.d_model, c.num_classes) if heads else None

    def components(self):
        parts = super().components()
        return parts | ({"distillation head": self.distillation_head} if self.distillation_head is not None else {})

    def forward(self, pixel_values):
        x = self.encoder(self.embeddings(pixel_values))  # (B, 2 + N, d): [CLS], distillation, patches
        if self.pooler is not None:
            return self.pooler(x)  # (B, d)
        if self.head is None:
            return x[:, 0]  # (B, d)
        logits = self.head(x[:, 0])  # (B, classes)
        if self.distillation_head is None:
            return logits
        return (logits + self.distillation_head(x[:, 1])) / 2  # the two heads averaged
