"""Seq2seq families of issue 12 from their config.json: T5 v1.1 / Flan-T5 / mT5, Marian,
Pegasus, Whisper. Every count equals the transformers class `architectures[0]` names.

References (meta device, the fixture's config.json): T5 v1.1, Flan-T5 and mT5 with
transformers 4.46.3, which builds the checkpoints' own (untied) lm_head; transformers 5.24
ties it to the shared table whatever the file says (t5-v1_1-base: 222,903,552 there,
+ 32128 × 768 untied). The matmul MACs at 128 + 128 tokens equal FlopCounterMode's
(FLOPs / 2) on the transformers model: tfcli's closed form less its norms.
"""

import json
from pathlib import Path

import pytest

from tfcli.catalog import presets, resolve
from tfcli.errors import SpecError
from tfcli.hf_config import config_from_hf

DATA = Path(__file__).parent / "data" / "hf"

# fixture → (preset it equals, transformers' parameter count)
FILES = {
    "t5-v1_1-base.json": ("t5-v1_1-base", 247_577_856),
    "flan-t5-base.json": ("flan-t5-base", 247_577_856),
    "mt5-small.json": ("mt5-small", 300_176_768),
}

# matmul MACs (closed form less norms) = transformers' under FlopCounterMode, 128 + 128 tokens
HF_MATMUL_MACS = {
    "flan-t5-base": 29_431_431_168,
    "mt5-small": 22_330_474_496,
}


def _load(name, **changes):
    data = {**json.loads((DATA / name).read_text()), **changes}
    return config_from_hf(data, name)


@pytest.mark.parametrize("name", sorted(FILES))
def test_file_counts_equal_transformers(name):
    preset, expected = FILES[name]
    spec = resolve(str(DATA / name))
    assert spec.source == "hf-config"
    assert spec.config.num_params() == expected
    assert presets()[preset].params == expected
    assert spec.config == presets()[preset].config()  # the preset is the file


@pytest.mark.parametrize("name", sorted(FILES))
def test_built_file_matches(name):
    from tfcli.analysis.params import count_params
    from tfcli.build import build_model

    assert count_params(build_model(resolve(str(DATA / name)).config)).total == FILES[name][1]


@pytest.mark.parametrize("preset", sorted(HF_MATMUL_MACS))
def test_matmul_macs_equal_transformers(preset):
    config = presets()[preset].config()
    macs = config.macs(config.resolve_input(config.default_input()))
    assert macs.total() - macs.macs["norms"] == HF_MATMUL_MACS[preset]
    assert macs.total() == presets()[preset].macs


def test_t5_v1_1_fields():
    flan = _load("flan-t5-base.json")
    assert (flan.gated, flan.activation, flan.tie_embeddings, flan.ffn_dim, flan.head_dim) == (
        True, "gelu_tanh", False, 2048, 64)
    mt5 = _load("mt5-small.json")
    assert (mt5.vocab_size, mt5.num_layers, mt5.num_heads, mt5.tie_embeddings) == (250112, 8, 6, False)
    # untied: one vocab × d_model matrix more than the tied count
    assert _load("flan-t5-base.json", tie_word_embeddings=True).num_params() == 247_577_856 - 32128 * 768


def test_t5_family_refuses_the_other_class():
    with pytest.raises(SpecError, match="'T5ForConditionalGeneration' is not modelled; tfcli builds "
                       "MT5ForConditionalGeneration for model_type 'mt5'"):
        _load("mt5-small.json", architectures=["T5ForConditionalGeneration"])
    with pytest.raises(SpecError, match="'T5EncoderModel' is not modelled"):
        _load("flan-t5-base.json", architectures=["T5EncoderModel"])
    with pytest.raises(SpecError, match="feed_forward_proj"):
        _load("mt5-small.json", feed_forward_proj="gated-mish")


def test_hub_ids_are_aliases():
    assert resolve("google/flan-t5-base").name == "flan-t5-base"
    assert resolve("google/mt5-small").name == "mt5-small"
    assert resolve("google/t5-v1_1-base").name == "t5-v1_1-base"


def test_untied_forward_runs():
    import torch

    from tfcli.build import build_model

    config = presets()["mt5-small"].config().replace(vocab_size=100, num_layers=1, num_decoder_layers=1)
    model = build_model(config, device="cpu")
    out = model(torch.randint(0, 100, (2, 5)), torch.randint(0, 100, (2, 3)))
    assert out.shape == (2, 3, 100)
    assert model.lm_head.proj.weight is not model.tokens.weight
