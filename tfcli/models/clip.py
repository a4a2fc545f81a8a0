"""CLIP: the text tower (token + learned positions, pre-norm causal blocks, final LayerNorm),
the vision tower (a ViT with a pre-LayerNorm) and the model that joins them.

    image (B, 3, 224, 224) ─ vision tower ─ [CLS] ─ visual_projection ─┐
                                                                       ├─ cosine × exp(logit_scale)
    text  (B, 77)          ─ text tower ─── [EOT] ─ text_projection ───┘
"""

import torch
import torch.nn.functional as F
from torch import nn

from tfcli.blocks import LearnedPositions, Stack, TokenEmbedding
from tfcli.blocks.vision import VisionEmbeddings
from tfcli.presets._vision import grid_size
from tfcli.errors import InputShapeError
from tfcli.models.base import TfcliModel, image_batch, token_ids
from tfcli.presets.clip import CLIPConfig, CLIPTextConfig, CLIPVisionConfig
from tfcli.spec import ResolvedInput


class CLIPTextTower(TfcliModel):
    def __init__(self, config: CLIPTextConfig):
        super().__init__()
        self.config = c = config
        self.tokens = TokenEmbedding(c.vocab_size, c.d_model)
        self.positions = LearnedPositions(c.max_positions, c.d_model)
        # the stack's final LayerNorm is CLIP's final_layer_norm
        self.encoder = Stack(c.layout()["encoder"])

    def inputs_for(self, x: ResolvedInput, device):
        # text fills CLIP's 77-token context (padded), unless told otherwise
        return {"input_ids": token_ids(x.batch, x.seq_len, self.config.vocab_size, device)}

    def forward(self, input_ids):
        x = self.tokens(input_ids) + self.positions(input_ids.shape[1])
        hidden = self.encoder(x)  # (B, T, d)
        # the sentence embedding is the state at the end-of-text token (the highest id)
        eot = input_ids.argmax(dim=-1)
        pooled = hidden[torch.arange(hidden.shape[0], device=hidden.device), eot]  # (B, d)
        return hidden, pooled


class CLIPVisionTower(nn.Module):
    def __init__(self, config: CLIPVisionConfig):
        super().__init__()
        self.config = c = config
        # bias-free patch conv, [CLS] and learned positions (resampled bicubically at other sizes)
        self.embeddings = VisionEmbeddings(c.patch_size, 3, c.d_model, c.image_size // c.patch_size, patch_bias=False)
        # CLIP normalises the embedded tokens before the first block ("pre_layrnorm")
        self.pre_norm = nn.LayerNorm(c.d_model, eps=c.norm_eps)
        # no final norm over all tokens: only the [CLS] state is normalised (post_norm)
        self.encoder = Stack(c.layout()["encoder"])
        self.post_norm = nn.LayerNorm(c.d_model, eps=c.norm_eps)

    def forward(self, pixel_values):
        x = self.pre_norm(self.embeddings(pixel_values))
        hidden = self.encoder(x)  # (B, 1 + N, d)
        return hidden, self.post_norm(hidden[:, 0])  # pooled: (B, d)


class Projection(nn.Linear):
    """A tower's bias-free map into the shared embedding space."""

    category = "heads"

    def __init__(self, d_in: int, d_out: int):
        super().__init__(d_in, d_out, bias=False)


class ImageTextModel(TfcliModel):
    """Two towers over (text ids, images): their inputs and the image checks (CLIP, SigLIP)."""

    exact_patches = True  # False: the patch conv may drop a remainder

    def inputs_for(self, x: ResolvedInput, device):
        inputs = self.text.inputs_for(x, device)
        inputs["pixel_values"] = image_batch(x.batch, 3, x.image_size, device)
        return inputs

    def check_images(self, pixel_values) -> None:
        name = self.config.family
        if pixel_values.dim() != 4 or pixel_values.shape[1] != 3:
            raise InputShapeError(f"{name}: images must be (B, 3, H, W), got {tuple(pixel_values.shape)}")
        grid_size(pixel_values.shape[-1], self.config.vision.patch_size, self.exact_patches)
        if pixel_values.shape[-1] != pixel_values.shape[-2]:
            raise InputShapeError(f"{name}: images must be square, got {tuple(pixel_values.shape[-2:])}")


class CLIPModel(ImageTextModel):
    def __init__(self, config: CLIPConfig):
        super().__init__()
        self.config = c = config
        self.text = CLIPTextTower(c.text)
        self.vision = CLIPVisionTower(c.vision)
        self.text_projection = Projection(c.text.d_model, c.projection_dim)
        self.visual_projection = Projection(c.vision.d_model, c.projection_dim)
        # the softmax temperature, learned in log space (one scalar)
        self.logit_scale = nn.Parameter(torch.tensor(c.logit_scale_init))

    def components(self) -> dict[str, nn.Module]:
        return {
            "text tower": self.text,
            "vision tower": self.vision,
            "text projection": self.text_projection,
            "visual projection": self.visual_projection,
        }

    def forward(self, input_ids, pixel_values):
        self.check_images(pixel_values)
        _, text = self.text(input_ids)
        _, image = self.vision(pixel_values)
        text = F.normalize(self.text_projection(text), dim=-1)  # (B_text, proj)
        image = F.normalize(self.visual_projection(image), dim=-1)  # (B_image, proj)
        logits_per_image = self.logit_scale.exp() * image @ text.t()  # (B_image, B_text)
        return logits_per_image, logits_per_image.t()
