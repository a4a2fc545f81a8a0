"""SigLIP: CLIP's text tower without the causal mask (read out at the last token through a
linear head), a ViT without [CLS] pooled by attention, and sigmoid pair logits.

    image (B, 3, 224, 224) ─ ViT (no [CLS]) ─ probe attends to 196 tokens ─ MLP ─┐
                                                                                 ├─ cosine × exp(scale) + bias
    text  (B, 64)          ─ bidirectional tower ─ last token ─ head ────────────┘
"""

import torch
import torch.nn.functional as F
from torch import nn

from tfcli.blocks import Attention, FeedForward, Stack, make_norm
from tfcli.blocks.vision import VisionEmbeddings
from tfcli.models.clip import CLIPTextTower, ImageTextModel
from tfcli.presets.siglip import AttentionPool, SiglipConfig, SiglipTextConfig, SiglipVisionConfig


class TextHead(nn.Linear):
    """The text tower's map into the shared embedding space (with a bias, unlike CLIP's)."""

    category = "heads"


class SiglipTextTower(CLIPTextTower):
    """CLIP's text tower built bidirectional (its spec says so), plus the head on the last token."""

    def __init__(self, config: SiglipTextConfig):
        super().__init__(config)
        self.head = TextHead(config.d_model, config.projection_size)

    def forward(self, input_ids):
        x = self.tokens(input_ids) + self.positions(input_ids.shape[1])
        hidden = self.encoder(x)  # (B, T, d), final LayerNorm applied; no mask
        # trained on prompts padded to the full context: the last position is the read-out
        return hidden, self.head(hidden[:, -1])  # (B, proj)


class AttentionPoolingHead(nn.Module):
    """A learned probe cross-attends to every token, then a residual pre-norm MLP."""

    category = "heads"

    def __init__(self, spec: AttentionPool):
        super().__init__()
        d = spec.attention.d_model
        self.probe = nn.Parameter(torch.randn(1, 1, d))
        self.attn = Attention.from_spec(spec.attention)
        self.norm = make_norm(spec.norm)
        self.mlp = FeedForward.from_spec(spec.ffn)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # repeat, not expand: a view of the parameter would reach the counters' module hooks as a leaf
        h = self.attn(self.probe.repeat(x.shape[0], 1, 1), x)  # (B, 1, d)
        h = h + self.mlp(self.norm(h))
        return h[:, 0]  # (B, d)


class SiglipVisionTower(nn.Module):
    def __init__(self, config: SiglipVisionConfig):
        super().__init__()
        self.config = c = config
        # no [CLS]: one learned position per patch (resampled bicubically at other sizes)
        self.embeddings = VisionEmbeddings(c.patch_size, c.in_channels, c.d_model, c.grid, class_token=False)
        self.encoder = Stack(c.layout()["encoder"])  # its final norm is post_layernorm
        self.head = AttentionPoolingHead(c.pool()) if c.use_head else None

    def forward(self, pixel_values):
        hidden = self.encoder(self.embeddings(pixel_values))  # (B, N, d)
        return hidden, (self.head(hidden) if self.head is not None else None)


class SiglipModel(ImageTextModel):
    exact_patches = False

    def __init__(self, config: SiglipConfig):
        super().__init__()
        self.config = c = config
        self.text = SiglipTextTower(c.text)
        self.vision = SiglipVisionTower(c.vision)
        # the similarity's scale (log space) and bias, one scalar each
        self.logit_scale = nn.Parameter(torch.zeros(1))
        self.logit_bias = nn.Parameter(torch.zeros(1))

    def components(self) -> dict[str, nn.Module]:
        return {"text tower": self.text, "vision tower": self.vision}

    def forward(self, input_ids, pixel_values):
        self.check_images(pixel_values)
        _, text = self.text(input_ids)
        _, image = self.vision(pixel_values)
        text, image = F.normalize(text, dim=-1), F.normalize(image, dim=-1)  # (B_text, d), (B_image, d)
        logits_per_text = text @ image.t() * self.logit_scale.exp() + self.logit_bias  # (B_text, B_image)
        return logits_per_text.t(), logits_per_text
