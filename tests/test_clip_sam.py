"""CLIP and SAM: parameter parity with transformers (CLIPModel, SamModel) to the unit, per
part; real forward passes on tiny configs; every bad input → one line, exit 2.

Reference counts come from transformers 5.24 CLIPModel / SamModel built from the published
configs (openai/clip-vit-*, facebook/sam-vit-*). transformers' SamModel also counts the
shared 256-parameter positional encoding inside its prompt encoder (6,476); here it is its
own part, so the parts add up to the total.
"""

import pytest
import torch

from tfcli.analysis.classify import classify
from tfcli.analysis.params import count_params
from tfcli.build import build_model
from tfcli.errors import InputShapeError
from tfcli.presets.clip import CLIPConfig, CLIPTextConfig, CLIPVisionConfig
from tfcli.presets.sam import SamConfig
from tfcli.catalog import lookup, presets, resolve
from tfcli.spec import InputShape

CLIP = {
    # total, text tower, vision tower, text projection, visual projection (+1: logit scale)
    "clip-b32": (151_277_313, 63_165_952, 87_456_000, 262_144, 393_216),
    "clip-b16": (149_620_737, 63_165_952, 85_799_424, 262_144, 393_216),
    "clip-l14": (427_616_513, 123_060_480, 303_179_776, 589_824, 786_432),
}
SAM = {
    # total, image encoder, prompt encoder, mask decoder, shared positional encoding
    "sam-b": (93_735_728, 89_670_912, 6_220, 4_058_340, 256),
    "sam-l": (312_343_088, 308_278_272, 6_220, 4_058_340, 256),
    "sam-h": (641_090_864, 637_026_048, 6_220, 4_058_340, 256),
}


@pytest.mark.parametrize("name", sorted(CLIP))
def test_clip_parity(name):
    total, text, vision, tproj, vproj = CLIP[name]
    config = presets()[name].config()
    report = count_params(build_model(config))
    assert report.total == config.num_params() == total
    assert report.by_component == {
        "text tower": text, "vision tower": vision, "text projection": tproj, "visual projection": vproj,
        "other (outside these parts)": 1,  # the learned logit scale
    }
    assert config.text.num_params() == text and config.vision.num_params() == vision
    assert total == text + vision + tproj + vproj + 1


@pytest.mark.parametrize("name", sorted(SAM))
def test_sam_parity(name):
    total, image, prompt, decoder, pe = SAM[name]
    config = presets()[name].config()
    report = count_params(build_model(config))
    assert report.total == config.num_params() == total
    assert report.by_component == {
        "image encoder": image, "prompt encoder": prompt, "mask decoder": decoder,
        "shared positional encoding": pe,
    }
    assert (config.image_encoder_params(), config.prompt_encoder_params(),
            config.mask_decoder_params(), config.shared_pe_params()) == (image, prompt, decoder, pe)


def test_aliases():
    assert lookup("clip").name == "clip-b32"
    assert lookup("openai/clip-vit-large-patch14").name == "clip-l14"
    assert lookup("sam").name == "sam-b"
    assert lookup("facebook/sam-vit-huge").name == "sam-h"


def test_classification_is_structural():
    clip = classify(build_model(presets()["clip-b16"].config()))
    assert clip.kind == "dual-encoder"
    assert [(s.path, s.attention) for s in clip.stacks] == [
        ("text.encoder.layers", ["causal"]), ("vision.encoder.layers", ["bidirectional"]),
    ]
    sam = classify(build_model(presets()["sam-h"].config()))
    assert sam.kind == "encoder + conditioned decoder"
    encoder, decoder = sam.stacks
    assert (encoder.path, encoder.layers, encoder.windowed_layers) == ("image_encoder.layers", 32, 28)
    assert decoder.attention == ["bidirectional", "cross"]


def test_nested_override_changes_one_tower():
    spec = resolve("clip-b32", ["text.num_layers=6"])
    assert spec.config.text.num_layers == 6 and spec.config.vision.num_layers == 12
    assert spec.config.num_params() == 151_277_313 - 6 * 3_152_384


# -- real forward passes on tiny configs ---------------------------------------


def tiny_clip() -> CLIPConfig:
    return CLIPConfig(
        text=CLIPTextConfig(vocab_size=100, d_model=32, num_layers=1, num_heads=2, ffn_dim=64, max_positions=16),
        vision=CLIPVisionConfig(d_model=48, num_layers=1, num_heads=2, ffn_dim=96, image_size=32, patch_size=8),
        projection_dim=24,
    ).validate()


def tiny_sam(**changes) -> SamConfig:
    base = dict(
        d_model=32, num_layers=3, num_heads=2, ffn_dim=64, global_attn_indexes=(1,), window_size=3,
        image_size=64, patch_size=16, embed_dim=32, mask_in_chans=8, decoder_heads=2,
        decoder_ffn_dim=64, iou_head_hidden=32,
    )
    return SamConfig(**{**base, **changes}).validate()


def test_clip_forward_cpu():
    torch.manual_seed(0)
    model = build_model(tiny_clip(), device="cpu")
    assert count_params(model).total == model.config.num_params()
    inputs = model.example_inputs(InputShape(batch=3), "cpu")
    assert inputs["input_ids"].shape == (3, 16) and inputs["pixel_values"].shape == (3, 3, 32, 32)
    with torch.no_grad():
        per_image, per_text = model(**inputs)
    assert per_image.shape == per_text.shape == (3, 3)
    assert torch.isfinite(per_image).all()
    # cosine similarities × exp(logit scale): bounded by the temperature
    assert per_image.abs().max() <= model.logit_scale.exp() + 1e-4
    # another image size resamples the position grid (32 → 48 px: 4×4 → 6×6 patches)
    with torch.no_grad():
        per_image, _ = model(inputs["input_ids"], torch.randn(2, 3, 48, 48))
    assert per_image.shape == (2, 3)


def test_sam_forward_cpu_every_prompt_kind():
    torch.manual_seed(0)
    model = build_model(tiny_sam(), device="cpu")
    assert count_params(model).total == model.config.num_params()
    for prompt in ("points=1", "points=3", "box", "points=2,box", "mask", "points=1,box,mask"):
        inputs = model.example_inputs(InputShape(batch=2, prompt=prompt), "cpu")
        with torch.no_grad():
            masks, iou = model(**inputs)
        # a 4×4 grid → masks at 4× resolution (16×16), 3 choices per prompt
        assert masks.shape == (2, 1, 3, 16, 16), prompt
        assert iou.shape == (2, 1, 3), prompt
        assert torch.isfinite(masks).all() and torch.isfinite(iou).all()
    with torch.no_grad():
        masks, iou = model(**inputs, multimask_output=False)
    assert masks.shape == (2, 1, 1, 16, 16) and iou.shape == (2, 1, 1)


def test_sam_several_prompts_per_image():
    model = build_model(tiny_sam(), device="cpu")
    points = torch.rand(2, 5, 3, 2) * 64  # 5 prompt sets of 3 clicks per image
    labels = torch.randint(0, 2, (2, 5, 3))
    with torch.no_grad():
        masks, iou = model(torch.randn(2, 3, 64, 64), points, labels)
    assert masks.shape == (2, 5, 3, 16, 16) and iou.shape == (2, 5, 3)


def test_sam_windows_pad_and_all_global_agree_when_window_covers_grid():
    """A window as large as the grid is global attention: same outputs, same parameters."""
    torch.manual_seed(0)
    windowed = build_model(tiny_sam(global_attn_indexes=(), window_size=4), device="cpu")
    torch.manual_seed(0)
    global_ = build_model(tiny_sam(global_attn_indexes=(0, 1, 2)), device="cpu")
    global_.load_state_dict(windowed.state_dict())
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        assert torch.allclose(windowed.image_encoder(x), global_.image_encoder(x), atol=1e-5)
    # a window that does not divide the grid pads it (4 → 6 for window 3) and crops back
    with torch.no_grad():
        assert build_model(tiny_sam(), device="cpu").image_encoder(x).shape == (1, 32, 4, 4)


def test_self_attention_with_separate_values_matches_fused():
    from tfcli.blocks import Attention

    attn = Attention(16, 2)
    x = torch.randn(2, 5, 16)
    assert torch.allclose(attn(x), attn(x, value=x), atol=1e-6)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"input_points": torch.zeros(1, 1, 2, 2)}, "need both input_points"),
        ({"input_points": torch.zeros(1, 1, 2, 3), "input_labels": torch.ones(1, 1, 2)}, "input_points must be (B, P, N, 2)"),
        ({"input_points": torch.zeros(1, 1, 2, 2), "input_labels": torch.ones(1, 1, 3)}, "input_labels must be (B, P, 2)"),
        ({"input_points": torch.zeros(2, 1, 2, 2), "input_labels": torch.ones(2, 1, 2)}, "with B=1 images"),
        ({"input_boxes": torch.zeros(1, 1, 5)}, "input_boxes must be (B, P, 4)"),
        ({"input_boxes": torch.zeros(1, 4)}, "input_boxes must be (B, P, 4)"),
        ({"input_masks": torch.zeros(1, 1, 1, 8, 8)}, "input_masks must be (B, P, 1, 16, 16)"),
        ({}, "give a prompt"),
    ],
)
def test_sam_rejects_prompts_it_cannot_take(kwargs, message):
    model = build_model(tiny_sam(), device="meta")
    with pytest.raises(InputShapeError, match=message.replace("(", r"\(").replace(")", r"\)")):
        model(torch.empty(1, 3, 64, 64, device="meta"), **{k: v.to("meta") for k, v in kwargs.items()})


# -- the CLI ------------------------------------------------------------------


def test_inspect_clip_reports_each_tower(run_cli):
    code, out, err = run_cli("inspect", "clip-b32", "--depth", "1")
    assert code == 0, err
    assert "dual-encoder" in out and "text.encoder.layers: 12 × causal self-attention" in out
    for text in ("text tower", "63,165,952", "vision tower", "87,456,000", "151,277,313",
                 "input_ids (1, 77)", "pixel_values (1, 3, 224, 224)"):
        assert text in out


def test_inspect_sam_reports_each_part(run_cli):
    code, out, err = run_cli("inspect", "sam-b", "--depth", "1", "--prompt", "points=2,box")
    assert code == 0, err
    assert "encoder + conditioned decoder" in out and "12 × bidirectional self-attention (8 windowed)" in out
    for text in ("image encoder", "89,670,912", "prompt encoder", "6,220", "mask decoder", "4,058,340",
                 "93,735,728", "input_points (1, 1, 2, 2)", "input_boxes (1, 1, 4)"):
        assert text in out


@pytest.mark.parametrize(
    "args, message",
    [
        (("clip-b32", "--image-size", "225"), "image size 225 is not a multiple of the patch size 32; use 224 or 256"),
        (("sam-b", "--image-size", "1000"), "image size 1000 is not a multiple of the patch size 16; use 992 or 1008"),
        (("sam-b", "--image-size", "512"), "takes 1024×1024 images"),
        (("sam-b", "--prompt", "points=-1"), "the number of points cannot be negative"),
        (("sam-b", "--prompt", "points=two"), "points needs a whole number"),
        (("sam-b", "--prompt", "lasso"), "unknown prompt 'lasso'"),
        (("sam-b", "--prompt", "points=0"), "gives SAM nothing to segment"),
        (("sam-b", "--prompt", "box=2"), "SAM takes one box per prompt"),
        (("clip-b32", "--prompt", "box"), "--prompt is for SAM models; clip-b32 takes no prompts"),
        (("sam-b", "--set", "global_attn_indexes=[2,12]"), "only 12 layers"),
    ],
)
def test_bad_inputs_one_line_exit_2(run_cli, args, message):
    code, out, err = run_cli("inspect", *args)
    assert code == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


# -- multiply-accumulates at the default input (torch's FlopCounterMode on meta) --------
# Equal to the closed forms (B=1, one click for SAM):
#   CLIP: L_t(4Td² + 2T²d + 2Tdf) + N·3p²·d_v + L_v(4N'd_v² + 2N'²d_v + 2N'd_v f_v) + (d_t+d_v)P + P
#         T=77, N=(224/p)², N'=N+1
#   SAM:  see the report; 64² grid, windowed layers on the 70² padded grid
MACS = {
    "clip-b32": 7_388_582_400,
    "clip-l14": 87_662_611_200,
    "sam-b": 487_851_018_752,
    "sam-h": 2_982_353_766_912,
}


@pytest.mark.parametrize("name", sorted(MACS))
def test_macs_at_default_input(name):
    from torch.utils.flop_counter import FlopCounterMode

    model = build_model(presets()[name].config())
    inputs = model.example_inputs(model.config.resolve_input(InputShape()), "meta")
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model(**inputs)
    assert counter.get_total_flops() == 2 * MACS[name]
