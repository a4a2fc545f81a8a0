"""Parameter parity: every text preset equals the reference implementation to the unit.

Counts were produced by transformers (BertModel with pooler, GPT2LMHeadModel,
T5ForConditionalGeneration, BartForConditionalGeneration, LlamaForCausalLM) built from
the published configs; the original Transformer's are the paper's 65M/213M, counted
exactly as tied 37000-token embeddings + encoder + decoder (no output bias, no final norm).
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
}


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_built_model_matches_reference(name):
    model = build_model(presets()[name].config(), device="meta")
    assert count_params(model).total == REFERENCE[name]


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_closed_form_matches_reference(name):
    assert presets()[name].config().num_params() == REFERENCE[name]
