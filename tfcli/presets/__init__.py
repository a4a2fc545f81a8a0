"""The family records, one module each (torch-free): config, layout, presets with their
reference pins, curated facts, config.json mappers. Importing this package registers them all;
the order is the order `tfcli list` shows."""

import importlib

FAMILY_MODULES = [
    "transformer",
    "bert",
    "gpt",
    "t5",
    "bart",
    "llama",
    "qwen2",
    "clip",
    "vit",
    "dinov2",
    "diffusion",
    "sam",
]

for _module in FAMILY_MODULES:
    importlib.import_module(f"tfcli.presets.{_module}")
