"""ViT and DINOv2: real forwards on tiny configs, the token count at other image sizes,
position-table resampling, and the image-size error."""

import json

import pytest
import torch

from tfcli.analysis.params import count_params
from tfcli.blocks.vision import interpolate_positions
from tfcli.presets._vision import grid_size
from tfcli.build import build_model
from tfcli.errors import InputShapeError
from tfcli.catalog import lookup, resolve
from tfcli.spec import InputShape

TINY = ["num_layers=1", "image_size=32", "patch_size=16", "d_model=64", "num_heads=2"]


def tiny(name: str, *extra: str):
    model = build_model(resolve(name, TINY + list(extra)).config, device="cpu")
    torch.manual_seed(0)
    return model


def test_aliases():
    assert lookup("vit").name == "vit-b16"
    assert lookup("google/vit-base-patch16-224").name == "vit-b16"
    assert lookup("vit_huge_patch14_224").name == "vit-h14"
    assert lookup("dinov2").name == "dinov2-b14"
    assert lookup("facebook/dinov2-giant").name == "dinov2-g14"
    assert lookup("facebook/dinov2-with-registers-small").name == "dinov2-s14-reg"


def test_vit_forward_on_cpu():
    model = tiny("vit-b16", "ffn_dim=128", "num_classes=10")
    inputs = model.example_inputs(InputShape(batch=2), "cpu")
    assert inputs["pixel_values"].shape == (2, 3, 32, 32)
    logits = model(**inputs)
    assert logits.shape == (2, 10) and torch.isfinite(logits).all()
    # a larger image: 4×4 patches + [CLS], the 2×2 position table resampled
    tokens = model.embeddings(torch.randn(1, 3, 64, 64))
    assert tokens.shape == (1, 17, 64)
    assert model(pixel_values=torch.randn(1, 3, 64, 64)).shape == (1, 10)


def test_vit_without_head_returns_the_cls_feature():
    model = tiny("vit-h14", "num_classes=0", "ffn_dim=128")
    assert model(**model.example_inputs(InputShape(batch=1), "cpu")).shape == (1, 64)


@pytest.mark.parametrize("name, prefix", [("dinov2-b14", 1), ("dinov2-b14-reg", 5)])
def test_dinov2_forward_on_cpu(name, prefix):
    model = tiny(name)
    images = model.example_inputs(InputShape(batch=2), "cpu")["pixel_values"]
    tokens, pooled = model(images)
    assert tokens.shape == (2, prefix + 4, 64) and pooled.shape == (2, 64)
    assert torch.equal(pooled, tokens[:, 0])
    # masked patches are replaced by the mask token before positions are added
    masked = torch.ones(2, 4, dtype=torch.bool)
    emb = model.embeddings(images, masked)
    pos = model.embeddings.positions.weight[1:]
    assert torch.allclose(emb[0, prefix:], model.embeddings.mask_token + pos)


def test_dinov2_giant_swiglu_forward_on_cpu():
    model = tiny("dinov2-g14")
    assert model.config.ffn_dim == 176  # int(64·4·2/3) = 170, rounded up to a multiple of 8
    assert model.encoder.layers[0].ffn.gated
    tokens, _ = model(**model.example_inputs(InputShape(batch=1), "cpu"))
    assert tokens.shape == (1, 5, 64)


def test_dinov2_giant_ffn_width_follows_transformers():
    assert lookup("dinov2-g14").config().ffn_dim == 4096
    assert lookup("dinov2-l14").config().ffn_dim == 4096


def test_image_size_changes_tokens_not_parameters():
    config = lookup("vit-b16").config()
    model = build_model(config, device="meta")
    out = model.embeddings(model.example_inputs(InputShape(image_size=384), "meta")["pixel_values"])
    assert out.shape == (1, 577, 768)  # 24×24 patches + [CLS]
    assert count_params(model).total == 86_567_656
    assert model.config.resolve_input(InputShape(image_size=384)).lines == ["tokens: 577 = 24×24 patches + 1 [CLS]"]


def test_interpolation_keeps_the_table_at_the_training_grid_and_prefix_rows():
    table = torch.randn(1 + 4, 8)
    assert interpolate_positions(table, (2, 2), (2, 2)) is table
    resized = interpolate_positions(table, (2, 2), (3, 5))
    assert resized.shape == (1 + 15, 8)
    assert torch.equal(resized[0], table[0])  # [CLS] row untouched
    # bicubic resampling of a constant field stays constant
    flat = torch.cat([table[:1], torch.full((4, 8), 0.5)])
    assert torch.allclose(interpolate_positions(flat, (2, 2), (4, 4))[1:], torch.tensor(0.5))


def test_grid_size_refuses_non_multiples():
    assert grid_size(224, 16) == 14
    with pytest.raises(InputShapeError, match="use 224 or 240"):
        grid_size(230, 16)


def test_cli_rejects_image_size_not_a_multiple_of_the_patch(run_cli):
    code, out, err = run_cli("inspect", "vit-b16", "--image-size", "230")
    assert code == 2
    assert "image size 230 is not a multiple of the patch size 16; use 224 or 240" in err
    assert "Traceback" not in err + out


def test_cli_dinov2_patch_14(run_cli):
    code, _, err = run_cli("inspect", "dinov2-s14", "--image-size", "224", "--set", "num_layers=1")
    assert code == 0, err
    code, _, err = run_cli("inspect", "dinov2-s14", "--image-size", "225")
    assert code == 2 and "use 224 or 238" in err


def test_inspect_shows_the_token_count(run_cli):
    code, out, err = run_cli("inspect", "vit-b16")
    assert code == 0, err
    assert "tokens: 197 = 14×14 patches + 1 [CLS]" in out
    assert "86,567,656" in out


def test_inspect_json_at_384(run_cli):
    code, out, _ = run_cli("inspect", "vit-b16", "--image-size", "384", "--json")
    data = json.loads(out)
    assert code == 0
    assert data["inputs"]["pixel_values"] == [1, 3, 384, 384]
    assert data["input_description"] == ["tokens: 577 = 24×24 patches + 1 [CLS]"]
    assert data["params"] == 86_567_656
    assert data["kind"] == "encoder-only"
