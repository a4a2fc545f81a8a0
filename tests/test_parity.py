"""Parameter parity: every preset equals its reference implementation to the unit.

The pins live in the family records (`Preset.params`, tfcli/presets/<family>.py), each taken
from its reference: transformers BertModel (with pooler), GPT2LMHeadModel,
T5ForConditionalGeneration, BartForConditionalGeneration, LlamaForCausalLM,
Qwen2ForCausalLM built from the published configs on the meta device; the original
Transformer's are the paper's 65M/213M, counted exactly as tied 37000-token embeddings +
encoder + decoder (no output bias, no final norm); ViT: timm 1.0.31
`timm.create_model(name, pretrained=False, num_classes=1000)`; DINOv2, CLIP and SAM:
transformers 5.24 Dinov2Model / Dinov2WithRegistersModel / CLIPModel / SamModel; Stable
Diffusion 1.5: diffusers 0.42 UNet2DConditionModel and AutoencoderKL, the CLIP ViT-L/14
text encoder (transformers CLIPTextModel), and the sum of the three. A few pins are repeated
here as plain numbers, so that a record edited by mistake cannot move its own reference.
"""

import pytest

from tfcli.analysis.params import count_params
from tfcli.build import build_model
from tfcli.catalog import presets

NAMES = sorted(presets())

# independent copies of the references, one per family
KNOWN = {
    "transformer-base": 63_082_496, "bert-base": 109_482_240, "gpt2": 124_439_808, "gpt3-175b": 174_604_259_328,
    "t5-small": 60_506_624, "bart-base": 139_420_416, "llama2-70b": 68_976_648_192, "qwen2.5-0.5b": 494_032_768,
    "qwen2.5-7b": 7_615_616_512, "vit-b16": 86_567_656, "dinov2-g14-reg": 1_136_486_912, "clip-b32": 151_277_313,
    "sam-h": 641_090_864, "sd15-unet": 859_520_964, "sd15-vae": 83_653_863, "sd15-text": 123_060_480,
    "sd15": 1_066_235_307,
}


def test_every_preset_carries_its_pins():
    for name in NAMES:
        p = presets()[name]
        assert p.params > 0 and p.macs > 0 and p.reference, name


@pytest.mark.parametrize("name", sorted(KNOWN))
def test_records_keep_the_references(name):
    assert presets()[name].params == KNOWN[name]


@pytest.mark.parametrize("name", NAMES)
def test_built_model_matches_reference(name):
    p = presets()[name]
    assert count_params(build_model(p.config(), device="meta")).total == p.params


@pytest.mark.parametrize("name", NAMES)
def test_closed_form_matches_reference(name):
    p = presets()[name]
    assert p.config().num_params() == p.params
