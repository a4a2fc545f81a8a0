"""Spec → nn.Module. Builds on the meta device by default: shapes without memory."""

from __future__ import annotations

import importlib

from tfcli.registry import family_of
from tfcli.spec import ArchConfig


def model_class(config: ArchConfig):
    module, name = family_of(config).builder.split(":")
    return getattr(importlib.import_module(module), name)


def build_model(config: ArchConfig, device: str = "meta", dtype=None):
    """Construct the family's module; `with torch.device` restores the default device after."""
    import torch

    cls = model_class(config)
    with torch.device(device):
        model = cls(config)
    if dtype is not None:
        model = model.to(dtype)
    return model.eval()
