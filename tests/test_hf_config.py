"""Hugging Face config.json → tfcli spec: parameter counts equal transformers' for the same file.

Reference counts: transformers 5.24 building each file on the meta device
(/work/refs/scratch-hfcompare/hf_counts.py): AutoModel for bert (BertModel, with pooler),
AutoModelForCausalLM for gpt2/llama/mistral, AutoModelForSeq2SeqLM for t5/bart.
"""

import json
from pathlib import Path

import pytest

from tfcli.errors import SpecError
from tfcli.hf_config import config_from_hf
from tfcli.registry import resolve

DATA = Path(__file__).parent / "data" / "hf"

# file → (tfcli family, transformers' parameter count)
REFERENCE = {
    "bert.json": ("bert", 109_482_240),  # bert-base-uncased, BertModel
    "gpt2.json": ("gpt", 124_439_808),  # gpt2, GPT2LMHeadModel (tied)
    "t5.json": ("t5", 60_506_624),  # t5-small, T5ForConditionalGeneration (tied)
    "bart.json": ("bart", 139_420_416),  # facebook/bart-base, BartForConditionalGeneration
    "llama.json": ("llama", 6_738_415_616),  # meta-llama/Llama-2-7b-hf
    "tinyllama.json": ("llama", 1_100_048_384),  # TinyLlama-1.1B (GQA, 4 kv heads)
    "mistral.json": ("llama", 7_241_732_096),  # Mistral-7B-v0.1 (GQA, 8 kv heads)
    # google/t5-v1_1-small: gated GELU, untied LM head. transformers 5 forces T5's
    # embeddings tied (60,511,616); the checkpoint has its own lm_head, as transformers
    # 4.x built it: 60,511,616 + 32128 × 512 = 76,961,152
    "t5-v1_1.json": ("t5", 76_961_152),
}


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_round_trip_counts(name):
    family, expected = REFERENCE[name]
    spec = resolve(str(DATA / name))
    assert spec.source == "hf-config"
    assert spec.config.family == family
    assert spec.config.num_params() == expected


@pytest.mark.parametrize("name", ["bert.json", "gpt2.json", "t5-v1_1.json", "tinyllama.json"])
def test_built_model_matches(name):
    from tfcli.analysis.params import count_params
    from tfcli.build import build_model

    spec = resolve(str(DATA / name))
    assert count_params(build_model(spec.config)).total == REFERENCE[name][1]


def test_field_mapping():
    load = lambda n: config_from_hf(json.loads((DATA / n).read_text()), n)  # noqa: E731
    gpt2 = load("gpt2.json")
    assert (gpt2.activation, gpt2.ffn_dim, gpt2.tie_embeddings) == ("gelu_tanh", 3072, True)
    t5 = load("t5-v1_1.json")
    assert (t5.gated, t5.activation, t5.tie_embeddings, t5.num_heads, t5.head_dim) == (True, "gelu_tanh", False, 6, 64)
    mistral = load("mistral.json")
    assert (mistral.num_kv_heads, mistral.ffn_dim, mistral.vocab_size, mistral.norm_eps) == (8, 14336, 32000, 1e-5)
    bert = load("bert.json")
    assert (bert.norm_eps, bert.type_vocab_size) == (1e-12, 2)


def test_mistral_notes_sliding_window(run_cli):
    code, out, err = run_cli("inspect", str(DATA / "mistral.json"), "--json")
    assert code == 0, err
    assert "sliding_window=4096: not modelled" in err
    assert json.loads(out)["params"]["total"] == 7_241_732_096


def test_unknown_model_type(run_cli, tmp_path):
    f = tmp_path / "config.json"
    f.write_text(json.dumps({"model_type": "whisper", "d_model": 384}))
    code, out, err = run_cli("inspect", str(f))
    assert code == 2
    assert "model_type 'whisper' is not supported; supported: bart, bert, gpt2, llama, mistral, t5" in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "change, message",
    [
        ({"hidden_size": 0}, "field 'hidden_size' must be positive, got 0"),
        ({"hidden_size": 100}, "'hidden_size' (100) must be divisible by 'num_attention_heads' (32)"),
        ({"num_key_value_heads": 5}, "'num_attention_heads' (32) must be divisible by 'num_key_value_heads' (5)"),
        ({"hidden_act": "mish"}, "field 'hidden_act' 'mish' is not modelled"),
        ({"attention_bias": True}, "field 'attention_bias' = True is not modelled"),
        ({"num_hidden_layers": "many"}, "field 'num_hidden_layers' must be an integer"),
    ],
)
def test_impossible_values_name_the_field(run_cli, tmp_path, change, message):
    data = json.loads((DATA / "tinyllama.json").read_text())
    data.update(change)
    f = tmp_path / "config.json"
    f.write_text(json.dumps(data))
    code, out, err = run_cli("inspect", str(f))
    assert code == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1


def test_unsupported_variants():
    base = json.loads((DATA / "bart.json").read_text())
    with pytest.raises(SpecError, match="'decoder_attention_heads' \\(16\\) must equal 'encoder_attention_heads'"):
        config_from_hf({**base, "decoder_attention_heads": 16})
    with pytest.raises(SpecError, match="normalize_before"):
        config_from_hf({**base, "normalize_before": True})
    bert = json.loads((DATA / "bert.json").read_text())
    with pytest.raises(SpecError, match="position_embedding_type"):
        config_from_hf({**bert, "position_embedding_type": "relative_key"})
    t5 = json.loads((DATA / "t5.json").read_text())
    with pytest.raises(SpecError, match="feed_forward_proj"):
        config_from_hf({**t5, "feed_forward_proj": "gelu-gated"})
