"""The family records, one module each (torch-free): config, layout, presets with their
reference pins, curated facts, config.json mappers. Importing this package registers every
module in it (helpers start with "_"), so a new family is one new file here."""

import importlib
import pkgutil

# the order `tfcli list` shows; a record not named here follows them, alphabetically
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

_found = sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))
for _module in FAMILY_MODULES + [m for m in _found if m not in FAMILY_MODULES]:
    importlib.import_module(f"{__name__}.{_module}")
