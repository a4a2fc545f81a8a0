"""SAM, one file per part as in segment-anything: image_encoder, prompt_encoder,
transformer (two-way), mask_decoder; build.py wires them into SamModel."""

from tfcli.models.sam.build import SamModel

__all__ = ["SamModel"]
