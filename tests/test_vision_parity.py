"""Vision backbones against their references beyond the preset counts (tests/test_parity.py):
timm's headless vit_huge_patch14_224 default, and numerical parity of tiny seeded models.
"""

import pytest

from tfcli.analysis.params import count_params
from tfcli.build import build_model
from tfcli.catalog import presets


def test_vit_h14_without_a_head_matches_timms_default():
    # timm.create_model("vit_huge_patch14_224") defaults to num_classes=0 (orig_in21k weights)
    config = presets()["vit-h14"].config().replace(num_classes=0)
    assert config.num_params() == 630_764_800
    assert count_params(build_model(config, device="meta")).total == 630_764_800


# -- numerical parity ----------------------------------------------------------------
# Tiny models seeded here, their weights loaded into the reference implementations
# (timm VisionTransformer with dynamic_img_size; transformers Dinov2WithRegistersModel and
# Dinov2Model with use_swiglu_ffn) by name mapping; the references printed these values.
# Max |difference| over every output was 0 (ViT, DINOv2 registers) and ≤1.2e-7 (SwiGLU),
# at the trained image size and at twice it (position table resampled).

TINY = {
    "vit-b16": ["num_layers=2", "d_model=64", "num_heads=2", "ffn_dim=128", "num_classes=10",
                "image_size=32", "patch_size=16"],
    "dinov2-b14-reg": ["num_layers=2", "d_model=64", "num_heads=2", "image_size=56", "patch_size=14"],
    "dinov2-g14": ["num_layers=2", "d_model=64", "num_heads=2", "image_size=56", "patch_size=14"],
}
# name -> {image size: (first 3 values of sample 0's output, sum of the token states)}
REFERENCE_OUTPUTS = {
    "vit-b16": {  # logits
        32: ([0.21778443, -0.69989175, -0.00780713], 0.94677043),
        64: ([0.21780378, -0.67123252, -0.01365381], 1.00554919),
    },
    "dinov2-b14-reg": {  # pooled [CLS]
        56: ([-0.15553453, -0.28581775, -0.54919058], -15.56943893),
        112: ([-0.12351292, -0.28538725, -0.54515129], -113.34893799),
    },
    "dinov2-g14": {
        56: ([-0.04713229, -0.39061880, 0.08258220], -40.93341827),
        112: ([-0.04605476, -0.39049998, 0.09906570], -190.00445557),
    },
}


def _seeded(name):
    import torch

    from tfcli.catalog import resolve

    torch.manual_seed(0)
    model = build_model(resolve(name, TINY[name]).config, device="cpu")
    for p in model.parameters():
        torch.nn.init.normal_(p, std=0.2)
    s = model.config.image_size
    images = {s: torch.randn(2, 3, s, s), 2 * s: torch.randn(2, 3, 2 * s, 2 * s)}
    return model, images


@pytest.mark.parametrize("name", sorted(TINY))
def test_outputs_match_reference_implementation(name):
    import torch

    model, images = _seeded(name)
    for size, x in images.items():
        with torch.no_grad():
            out = model(x)
        head, total = REFERENCE_OUTPUTS[name][size]
        if isinstance(out, tuple):  # DINOv2: (tokens, pooled)
            tokens, pooled = out
            assert pooled[0, :3].tolist() == pytest.approx(head, abs=1e-5)
            assert tokens.sum().item() == pytest.approx(total, abs=1e-3)
        else:
            assert out[0, :3].tolist() == pytest.approx(head, abs=1e-5)
            assert out.sum().item() == pytest.approx(total, abs=1e-4)
