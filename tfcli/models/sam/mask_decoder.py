"""SAM's mask decoder: learned output tokens (one IoU token, 1 + 3 mask tokens) join the
prompt tokens, run through the two-way transformer with the image embedding, and then

- each mask token → a hypernetwork MLP → 32 weights, dotted with every pixel of the
  4×-upscaled image embedding → one mask logit map (B', 256, 256);
- the IoU token → an MLP → the predicted quality of each mask.
"""

from __future__ import annotations

import torch
from torch import nn

from tfcli.blocks import TokenEmbedding
from tfcli.models.sam.common import LayerNorm2d, MLPHead
from tfcli.models.sam.transformer import TwoWayTransformer
from tfcli.presets.sam import SamConfig


class MaskDecoder(nn.Module):
    def __init__(self, c: SamConfig):
        super().__init__()
        C = c.embed_dim
        self.num_masks = c.num_multimask_outputs + 1  # one for unambiguous prompts + 3 choices
        self.transformer = TwoWayTransformer(c)
        self.iou_token = TokenEmbedding(1, C)
        self.mask_tokens = TokenEmbedding(self.num_masks, C)
        # 64² → 256²: two stride-2 transposed convs, narrowing C → C/4 → C/8
        self.upscale = nn.Sequential(
            nn.ConvTranspose2d(C, C // 4, kernel_size=2, stride=2),
            LayerNorm2d(C // 4, eps=c.norm_eps),
            nn.GELU(),
            nn.ConvTranspose2d(C // 4, C // 8, kernel_size=2, stride=2),
            nn.GELU(),
        )
        self.hypernetworks = nn.ModuleList(MLPHead(C, C, C // 8, 3) for _ in range(self.num_masks))
        self.iou_head = MLPHead(C, c.iou_head_hidden, self.num_masks, c.iou_head_depth)

    def forward(self, image, image_pe, sparse, dense, multimask_output: bool = True):
        """image (B, C, h, w), image_pe (1, C, h, w), sparse (B', N, C), dense (B', C, h, w),
        B' = B × prompts per image → masks (B', k, 4h, 4w), iou (B', k)."""
        Bp = sparse.shape[0]
        out_tokens = torch.cat([self.iou_token.weight, self.mask_tokens.weight])  # (1 + masks, C)
        tokens = torch.cat([out_tokens.expand(Bp, -1, -1), sparse], dim=1)  # (B', 1 + masks + N, C)
        # each image is decoded once per prompt
        src = image.repeat_interleave(Bp // image.shape[0], dim=0) + dense
        pos = image_pe.expand(Bp, -1, -1, -1)
        B, C, h, w = src.shape
        tokens, src = self.transformer(src, pos, tokens)
        iou_out, mask_out = tokens[:, 0], tokens[:, 1 : 1 + self.num_masks]

        up = self.upscale(src.transpose(1, 2).reshape(B, C, h, w))  # (B', C/8, 4h, 4w)
        weights = torch.stack([mlp(mask_out[:, i]) for i, mlp in enumerate(self.hypernetworks)], dim=1)
        masks = (weights @ up.flatten(2)).view(B, self.num_masks, *up.shape[-2:])  # (B', masks, 4h, 4w)
        iou = self.iou_head(iou_out)  # (B', masks)
        # several prompts are ambiguous: offer the 3 choices; otherwise the single mask
        keep = slice(1, None) if multimask_output else slice(0, 1)
        return masks[:, keep], iou[:, keep]
