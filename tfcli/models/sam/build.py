"""SamModel wires the parts: the image encoder runs once per image; the prompt encoder
and mask decoder run once per prompt, sharing one random-Fourier position encoding.

    image (B, 3, 1024, 1024) → image encoder → (B, 256, 64, 64) ─┐
    points (B, P, N, 2) + labels (B, P, N), boxes (B, P, 4),     ├→ mask decoder
    masks (B, P, 1, 256, 256) → prompt encoder → sparse, dense ──┘   → masks (B, P, 3, 256, 256)
                                                                     + IoU (B, P, 3)
"""

from __future__ import annotations

import torch
from torch import nn

from tfcli.errors import InputShapeError
from tfcli.presets._vision import grid_size
from tfcli.models.base import TfcliModel, image_batch
from tfcli.models.sam.image_encoder import ImageEncoder
from tfcli.models.sam.mask_decoder import MaskDecoder
from tfcli.models.sam.prompt_encoder import PromptEncoder, RandomFourierPositions
from tfcli.presets.sam import parse_prompt
from tfcli.presets.sam import SamConfig
from tfcli.spec import ResolvedInput


class SamModel(TfcliModel):
    takes_prompts = True  # reads the resolved input's prompt (--prompt)
    graph_outputs = ("Masks", "IoU scores")

    def __init__(self, config: SamConfig):
        super().__init__()
        self.config = c = config
        self.image_encoder = ImageEncoder(c)
        self.shared_pe = RandomFourierPositions(c.embed_dim // 2)
        self.prompt_encoder = PromptEncoder(c)
        self.mask_decoder = MaskDecoder(c)

    def components(self) -> dict[str, nn.Module]:
        return {
            "image encoder": self.image_encoder,
            "prompt encoder": self.prompt_encoder,
            "mask decoder": self.mask_decoder,
            "shared positional encoding": self.shared_pe,
        }

    def inputs_for(self, x: ResolvedInput, device):
        c = self.config
        size = x.image_size
        self._check_image(size)
        prompt = parse_prompt(x.prompt)
        B, meta = x.batch, torch.device(device).type == "meta"
        inputs = {"pixel_values": image_batch(B, 3, size, device)}
        if prompt.points:
            n = prompt.points
            inputs["input_points"] = (
                torch.empty(B, 1, n, 2, device=device) if meta else torch.rand(B, 1, n, 2, device=device) * size
            )
            inputs["input_labels"] = (
                torch.empty(B, 1, n, dtype=torch.long, device=device)
                if meta else torch.ones(B, 1, n, dtype=torch.long, device=device)  # positive clicks
            )
        if prompt.box:
            box = torch.tensor([0.25, 0.25, 0.75, 0.75]) * size  # x0, y0, x1, y1
            inputs["input_boxes"] = (
                torch.empty(B, 1, 4, device=device) if meta else box.to(device).expand(B, 1, 4).clone()
            )
        if prompt.mask:
            m = 4 * c.grid
            inputs["input_masks"] = (
                torch.empty(B, 1, 1, m, m, device=device) if meta else torch.randn(B, 1, 1, m, m, device=device)
            )
        return inputs

    def _check_image(self, size: int) -> None:
        c = self.config
        grid_size(size, c.patch_size)
        if size != c.image_size:
            raise InputShapeError(
                f"sam: this model takes {c.image_size}×{c.image_size} images (its position grid is "
                f"{c.grid}×{c.grid}); to model another size change the config: --set image_size={size}"
            )

    def _check_prompts(self, B, points, labels, boxes, masks) -> int:
        """The prompt tensors' shapes → prompts per image (P); one clear error otherwise."""
        if (points is None) != (labels is None):
            raise InputShapeError("sam: point prompts need both input_points (B, P, N, 2) and input_labels (B, P, N)")
        if points is None and boxes is None and masks is None:
            raise InputShapeError("sam: give a prompt: points (with labels), a box or a mask")
        P = None

        def expect(name, t, shape):
            nonlocal P
            want = [B, P if P is not None else t.shape[1] if t.dim() > 1 else -1, *shape]
            if t.dim() != len(want) or list(t.shape[:2]) != want[:2] or any(
                s is not None and t.shape[i + 2] != s for i, s in enumerate(shape)
            ):
                dims = ", ".join(["B", "P", *("N" if s is None else str(s) for s in shape)])
                raise InputShapeError(f"sam: {name} must be ({dims}) with B={B} images, got {tuple(t.shape)}")
            P = t.shape[1]

        if points is not None:
            expect("input_points", points, [None, 2])
            expect("input_labels", labels, [points.shape[2]])
        if boxes is not None:
            expect("input_boxes", boxes, [4])
        if masks is not None:
            m = 4 * self.config.grid
            expect("input_masks", masks, [1, m, m])
        return P

    def forward(self, pixel_values, input_points=None, input_labels=None, input_boxes=None,
                input_masks=None, multimask_output: bool = True):
        if pixel_values.dim() != 4 or pixel_values.shape[1] != 3 or pixel_values.shape[2] != pixel_values.shape[3]:
            raise InputShapeError(f"sam: images must be (B, 3, S, S), got {tuple(pixel_values.shape)}")
        self._check_image(pixel_values.shape[-1])
        B = pixel_values.shape[0]
        P = self._check_prompts(B, input_points, input_labels, input_boxes, input_masks)

        def flat(t):  # (B, P, ...) → (B·P, ...): every prompt is decoded on its own
            return None if t is None else t.flatten(0, 1)

        image = self.image_encoder(pixel_values)  # (B, C, g, g)
        g = image.shape[-1]
        sparse, dense = self.prompt_encoder(
            self.shared_pe, flat(input_points), flat(input_labels), flat(input_boxes), flat(input_masks),
            batch=B * P,
        )
        image_pe = self.shared_pe(g, g)[None]  # (1, C, g, g)
        masks, iou = self.mask_decoder(image, image_pe, sparse, dense, multimask_output)
        return masks.view(B, P, *masks.shape[1:]), iou.view(B, P, -1)  # (B, P, k, 4g, 4g), (B, P, k)
