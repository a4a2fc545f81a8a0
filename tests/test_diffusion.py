"""Stable Diffusion 1.5: parity with diffusers per part, real forwards of tiny configs, bad inputs.

Reference counts: diffusers 0.42.1 UNet2DConditionModel and AutoencoderKL built from the
stable-diffusion-v1-5 configs, transformers CLIPTextModel (clip-vit-large-patch14 text
config); per top-level child as diffusers names them. Tiny configs were also checked
against diffusers with copied weights: outputs equal (max abs difference 0.0).
"""

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tfcli.analysis.classify import classify
from tfcli.analysis.params import count_params
from tfcli.build import build_model
from tfcli.presets.clip import CLIPTextConfig
from tfcli.presets.diffusion import StableDiffusionConfig, UNetConfig, VAEConfig
from tfcli.catalog import lookup, presets, resolve
from tfcli.spec import InputShape

UNET_PARTS = {
    "conv_in": 11_840,
    "time_embedding": 2_050_560,
    "down_blocks.0": 10_524_480,
    "down_blocks.1": 36_818_560,
    "down_blocks.2": 139_992_320,
    "down_blocks.3": 62_277_120,
    "mid_block": 97_038_080,
    "up_blocks.0": 162_241_280,
    "up_blocks.1": 258_330_880,
    "up_blocks.2": 71_413_120,
    "up_blocks.3": 18_810_560,
    "conv_norm_out": 640,
    "conv_out": 11_524,
}
VAE_PARTS = {"encoder": 34_163_592, "quant_conv": 72, "post_quant_conv": 20, "decoder": 49_490_179}
REFERENCE = {"sd15-unet": 859_520_964, "sd15-vae": 83_653_863, "sd15-text": 123_060_480}


@pytest.fixture(scope="module")
def sd15():
    return build_model(presets()["sd15"].config(), device="meta")


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_part_totals_match_diffusers(name):
    config = presets()[name].config()
    assert config.num_params() == REFERENCE[name]
    assert count_params(build_model(config, device="meta")).total == REFERENCE[name]


def test_reference_parts_add_up():
    assert sum(UNET_PARTS.values()) == REFERENCE["sd15-unet"]
    assert sum(VAE_PARTS.values()) == REFERENCE["sd15-vae"]


@pytest.mark.parametrize("name, parts", [("sd15-unet", UNET_PARTS), ("sd15-vae", VAE_PARTS)])
def test_per_part_counts_match_diffusers(name, parts):
    config = presets()[name].config()
    assert config.part_params() == parts  # closed form
    assert count_params(build_model(config, device="meta")).by_component == parts  # built


def test_sd15_is_the_sum_of_its_parts(sd15):
    report = count_params(sd15)
    assert report.total == 1_066_235_307 == sum(REFERENCE.values())
    assert report.by_component == {
        "text_encoder": REFERENCE["sd15-text"],
        "unet": REFERENCE["sd15-unet"],
        "vae": REFERENCE["sd15-vae"],
    }


def test_aliases_name_sd15():
    for alias in ("sd", "stable-diffusion", "runwayml/stable-diffusion-v1-5", "stable-diffusion-v1-5/stable-diffusion-v1-5"):
        assert lookup(alias).name == "sd15"


def test_classes_are_derived_from_structure(sd15):
    unet = classify(build_model(UNetConfig(), device="meta"))
    assert unet.kind == "conv-denoiser"
    assert [s.describe() for s in unet.stacks] == [
        "down_blocks.*.attentions.*.blocks: 6 × bidirectional self-attention + cross-attention",
        "mid_block.attentions.0.blocks: 1 × bidirectional self-attention + cross-attention",
        "up_blocks.*.attentions.*.blocks: 9 × bidirectional self-attention + cross-attention",
    ]
    assert classify(build_model(VAEConfig(), device="meta")).kind == "conv-autoencoder"
    whole = classify(sd15)
    assert whole.kind == "latent-diffusion"
    assert whole.summary.startswith(
        "text_encoder (causal-encoder) → unet (conv-denoiser) → vae (conv-autoencoder)"
    )


def test_nested_overrides_reach_one_part():
    spec = resolve(
        "sd15",
        ["unet.layers_per_block=1", "unet.block_out_channels=[320, 640]",
         "unet.down_block_types=[cross, plain]", "unet.up_block_types=[plain, cross]"],
    )
    assert spec.config.unet.layers_per_block == 1
    assert count_params(build_model(spec.config, device="meta")).total == spec.config.num_params()


# -- real forwards on CPU ------------------------------------------------------

TINY_UNET = UNetConfig(
    block_out_channels=(32, 64),
    down_block_types=("cross", "plain"),
    up_block_types=("plain", "cross"),
    layers_per_block=1,
    cross_attention_dim=32,
    norm_num_groups=8,
    sample_size=8,
)
TINY_VAE = VAEConfig(block_out_channels=(32, 64), layers_per_block=1, norm_num_groups=8, sample_size=32)


def test_tiny_unet_predicts_noise_of_the_latents_shape():
    model = build_model(TINY_UNET.validate(), device="cpu")
    inputs = model.example_inputs(InputShape(batch=2, seq_len=7, image_size=64))
    assert inputs["sample"].shape == (2, 4, 8, 8)  # 64 px / 8
    with torch.no_grad():
        out = model(**inputs)
    assert out.shape == inputs["sample"].shape
    assert torch.isfinite(out).all()


def test_tiny_vae_reconstructs_an_image():
    model = build_model(TINY_VAE.validate(), device="cpu")
    inputs = model.example_inputs(InputShape(batch=1, image_size=32))
    with torch.no_grad():
        mean, _ = model.encode(inputs["image"])
        out = model(**inputs)
    assert mean.shape == (1, 4, 16, 16)  # two levels: one halving
    assert out.shape == (1, 3, 32, 32)


def test_tiny_pipeline_runs_text_to_image():
    config = StableDiffusionConfig(
        text=CLIPTextConfig(vocab_size=100, d_model=32, num_layers=1, num_heads=2, ffn_dim=64, max_positions=7),
        unet=TINY_UNET,
        vae=TINY_VAE,
    ).validate()
    model = build_model(config, device="cpu")
    inputs = model.example_inputs(InputShape(batch=1, image_size=32))
    with torch.no_grad():
        image = model(**inputs)
    assert inputs["latents"].shape == (1, 4, 16, 16)  # this VAE halves once: 2 px per latent
    assert image.shape == (1, 3, 32, 32)
    assert count_params(model).total == config.num_params()


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    levels=st.integers(1, 3),
    width=st.sampled_from([8, 16]),
    layers=st.integers(1, 2),
    heads=st.sampled_from([1, 2, 4]),
    depth=st.integers(1, 2),
    cross_first=st.booleans(),
)
def test_small_unets_build_run_and_match_the_formula(levels, width, layers, heads, depth, cross_first):
    kinds = tuple("cross" if (i == 0) == cross_first else "plain" for i in range(levels))
    config = UNetConfig(
        block_out_channels=tuple(width * 2**i for i in range(levels)),
        down_block_types=kinds,
        up_block_types=kinds[::-1],
        layers_per_block=layers,
        transformer_layers_per_block=depth,
        cross_attention_dim=12,
        num_heads=heads,
        norm_num_groups=4,
    ).validate()
    model = build_model(config, device="cpu")
    assert count_params(model).total == config.num_params()
    sample = torch.randn(1, 4, 8, 8)
    with torch.no_grad():
        out = model(sample, torch.tensor([500]), torch.randn(1, 3, 12))
    assert out.shape == sample.shape


# -- the CLI ------------------------------------------------------------------


def test_inspect_shows_unet_levels_and_latent_size(run_cli):
    code, out, err = run_cli("inspect", "sd15-unet", "--depth", "1")
    assert code == 0, err
    assert "conv-denoiser" in out
    assert "sample (1, 4, 64, 64), timestep (1), encoder_hidden_states (1, 77, 768)" in out
    assert "--image-size 512 is in pixels: the UNet denoises 4×64×64 latents" in out
    assert "down_blocks.2 DownLevel  139.99M  (1, 1280, 8, 8)" in out
    assert "│ up_blocks.1    │ 258,330,880 │  30.1% │" in out
    assert "859,520,964" in out


@pytest.mark.parametrize(
    "args, message",
    [
        (("sd15-unet", "--image-size", "520"),
         "image size 520 → latent side 65 cannot be halved 3 times evenly (needs a multiple of 8); "
         "use an image size that is a multiple of 64 (e.g. 512)"),
        (("sd15-unet", "--image-size", "516"), "image size 516 is not a multiple of 8"),
        (("sd15", "--image-size", "544"), "latent side 68 cannot be halved 3 times evenly"),
        (("sd15-vae", "--image-size", "500"), "image side 500 cannot be halved 3 times evenly"),
    ],
)
def test_sizes_the_unet_cannot_halve_fail_in_one_line(run_cli, args, message):
    code, out, err = run_cli("inspect", *args)
    assert code == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err + out


def test_mismatched_parts_are_a_spec_error(run_cli):
    code, _, err = run_cli("inspect", "sd15", "--set", "unet.cross_attention_dim=1024")
    assert code == 2
    assert "'unet.cross_attention_dim' (1024) must equal the text encoder's width 'text.d_model' (768)" in err
