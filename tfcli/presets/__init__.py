"""Per-family config dataclasses and preset tables. No torch: `tfcli list` reads these."""

# every family module registers itself on import; order is the order `tfcli list` shows
FAMILY_MODULES = [
    "transformer",
    "bert",
    "gpt",
    "t5",
    "bart",
    "llama",
    "clip",
    "vit",
    "dinov2",
    "diffusion",
    "sam",
]
