"""Parameter parity: every preset equals its reference implementation to the unit.

One table for the whole registry (a preset without a pin fails the coverage test):
- text: transformers BertModel (with pooler), GPT2LMHeadModel, T5ForConditionalGeneration,
  BartForConditionalGeneration, LlamaForCausalLM built from the published configs; the
  original Transformer's are the paper's 65M/213M, counted exactly as tied 37000-token
  embeddings + encoder + decoder (no output bias, no final norm);
- ViT: timm 1.0.31 `timm.create_model(name, pretrained=False, num_classes=1000)`;
- DINOv2: transformers 5.24 Dinov2Model / Dinov2WithRegistersModel (facebook/dinov2-* configs);
- CLIP and SAM: transformers CLIPModel / SamModel (openai/clip-vit-*, facebook/sam-vit-*);
- Stable Diffusion 1.5: diffusers 0.42 UNet2DConditionModel and AutoencoderKL, the CLIP
  ViT-L/14 text encoder (transformers CLIPTextModel), and the sum of the three.
Per-part counts are pinned beside each family's own tests.
"""

import pytest

from tfcli.analysis.params import count_params
from tfcli.build import build_model
from tfcli.registry import presets

REFERENCE = {
    "transformer-base": 63_082_496,
    "transformer-big": 214_245_376,
    "bert-base": 109_482_240,
    "bert-large": 335_141_888,
    "gpt2": 124_439_808,
    "gpt2-medium": 354_823_168,
    "gpt2-large": 774_030_080,
    "gpt2-xl": 1_557_611_200,
    "gpt3-175b": 174_604_259_328,
    "t5-small": 60_506_624,
    "t5-base": 222_903_552,
    "t5-large": 737_668_096,
    "bart-base": 139_420_416,
    "bart-large": 406_291_456,
    "llama2-7b": 6_738_415_616,
    "llama2-70b": 68_976_648_192,
    "tinyllama-1.1b": 1_100_048_384,
    "vit-s16": 22_050_664,  # vit_small_patch16_224
    "vit-b16": 86_567_656,  # vit_base_patch16_224
    "vit-b32": 88_224_232,  # vit_base_patch32_224
    "vit-l16": 304_326_632,  # vit_large_patch16_224
    "vit-h14": 632_045_800,  # vit_huge_patch14_224 with num_classes=1000
    "dinov2-s14": 22_056_576,
    "dinov2-b14": 86_580_480,
    "dinov2-l14": 304_368_640,
    "dinov2-g14": 1_136_480_768,
    "dinov2-s14-reg": 22_058_112,
    "dinov2-b14-reg": 86_583_552,
    "dinov2-l14-reg": 304_372_736,
    "dinov2-g14-reg": 1_136_486_912,
    "clip-b32": 151_277_313,
    "clip-b16": 149_620_737,
    "clip-l14": 427_616_513,
    "sam-b": 93_735_728,
    "sam-l": 312_343_088,
    "sam-h": 641_090_864,
    "sd15-unet": 859_520_964,
    "sd15-vae": 83_653_863,
    "sd15-text": 123_060_480,
    "sd15": 1_066_235_307,
}


def test_every_preset_is_pinned():
    assert set(presets()) == set(REFERENCE)


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_built_model_matches_reference(name):
    model = build_model(presets()[name].config(), device="meta")
    assert count_params(model).total == REFERENCE[name]


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_closed_form_matches_reference(name):
    assert presets()[name].config().num_params() == REFERENCE[name]
