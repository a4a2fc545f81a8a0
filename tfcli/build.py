"""Spec → nn.Module. Builds on the meta device by default: shapes without memory."""

from __future__ import annotations

import contextlib
import gc
import importlib

from tfcli.catalog import family_of
from tfcli.spec import ArchConfig

# the torch.nn.init functions the blocks' constructors call
_INIT_FUNCTIONS = (
    "kaiming_uniform_", "uniform_", "normal_", "trunc_normal_", "zeros_", "ones_", "constant_", "xavier_uniform_",
)


def model_class(config: ArchConfig):
    module, name = family_of(config).builder.split(":")
    return getattr(importlib.import_module(module), name)


@contextlib.contextmanager
def _skip_init():
    """Initialising meta tensors computes nothing but still dispatches every op (seconds
    for a 175B model); make the init functions no-ops for the build, then restore them."""
    from torch.nn import init

    saved = {name: getattr(init, name) for name in _INIT_FUNCTIONS}
    try:
        for name in _INIT_FUNCTIONS:
            setattr(init, name, lambda tensor, *args, **kwargs: tensor)
        yield
    finally:
        for name, fn in saved.items():
            setattr(init, name, fn)


_FROZEN = False


def _freeze_imports() -> None:
    """What is loaded by the first build (torch alone is about a million objects) lives as
    long as the process: out of the cyclic collector's sight, each full collection no longer
    rescans it (a tenth of a second each, several per command otherwise). Once: objects made
    later stay collectable."""
    global _FROZEN
    if not _FROZEN:
        gc.freeze()
        _FROZEN = True


def build_model(config: ArchConfig, device: str = "meta", dtype=None):
    """Construct the family's module; `with torch.device` restores the default device after."""
    import torch

    _freeze_imports()

    from tfcli.meta_shapes import MetaShapes

    cls = model_class(config)
    on_meta = torch.device(device).type == "meta"
    # on meta, tables a constructor computes (SAM's random Fourier basis) take tfcli's shape rules too
    with _skip_init() if on_meta else contextlib.nullcontext(), MetaShapes() if on_meta else contextlib.nullcontext(), \
            torch.device(device):
        model = cls(config)
    if dtype is not None:
        model = model.to(dtype)
    return model.eval()
