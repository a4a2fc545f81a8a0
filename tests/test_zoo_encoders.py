"""Issue 12's encoder families from config.json: RoBERTa, XLM-R, DistilBERT, ELECTRA, ALBERT.

Parameter references: transformers 5.24 building the class `architectures` names on the meta
device (/work/refs/hf_count.py), for the checkpoints' own config.json files (tests/data/hf)
and for each task head named in their place. MAC references: torch FlopCounterMode on the
same transformers models (eager attention, meta, 1 × 128 tokens), FLOPs / 2; FlopCounterMode
skips norms, so they are compared with tfcli's closed form minus its norms.
"""

import json
from pathlib import Path

import pytest

from tfcli.analysis.params import count_params
from tfcli.build import build_model
from tfcli.catalog import resolve
from tfcli.errors import SpecError
from tfcli.hf_config import config_from_hf
from tfcli.spec import InputShape

DATA = Path(__file__).parent / "data" / "hf"

# fixture → (family, preset it equals, transformers' count for architectures[0])
FILES = {
    "roberta.json": ("roberta", "roberta-base", 124_697_433),  # RobertaForMaskedLM
    "xlm-roberta.json": ("xlm-roberta", "xlm-roberta-base", 278_295_186),  # XLMRobertaForMaskedLM
    "distilbert.json": ("distilbert", "distilbert-base", 66_985_530),  # DistilBertForMaskedLM
    "electra.json": ("electra", "electra-base", 109_483_009),  # ElectraForPreTraining
    "electra-small.json": ("electra", "electra-small", 13_549_057),  # ElectraForPreTraining
    "albert.json": ("albert", "albert-base", 11_221_680),  # AlbertForMaskedLM
}

# every head class tfcli builds, on each family's fixture (transformers' counts; 2 labels)
HEADS = {
    "roberta.json": {
        "RobertaModel": 124_645_632, "RobertaForMaskedLM": 124_697_433,
        "RobertaForSequenceClassification": 124_647_170, "RobertaForTokenClassification": 124_056_578,
        "RobertaForQuestionAnswering": 124_056_578, "RobertaForMultipleChoice": 124_646_401,
    },
    "distilbert.json": {
        "DistilBertModel": 66_362_880, "DistilBertForMaskedLM": 66_985_530,
        "DistilBertForQuestionAnswering": 66_364_418, "DistilBertForMultipleChoice": 66_954_241,
    },
    "electra.json": {
        "ElectraModel": 108_891_648, "ElectraForPreTraining": 109_483_009, "ElectraForMaskedLM": 109_514_298,
        "ElectraForSequenceClassification": 109_483_778, "ElectraForTokenClassification": 108_893_186,
        "ElectraForQuestionAnswering": 108_893_186,
    },
    "electra-small.json": {"ElectraModel": 13_483_008, "ElectraForMaskedLM": 13_546_682},
    "albert.json": {
        "AlbertModel": 11_683_584, "AlbertForPreTraining": 11_813_810, "AlbertForMaskedLM": 11_221_680,
        "AlbertForSequenceClassification": 11_685_122, "AlbertForMultipleChoice": 11_684_353,
    },
}
# with num_labels = 3 / 5 (classification heads grow with the labels)
LABELLED = [
    ("xlm-roberta.json", "XLMRobertaForSequenceClassification", 5, 278_047_493),
    ("xlm-roberta.json", "XLMRobertaForTokenClassification", 5, 277_456_901),
    ("distilbert.json", "DistilBertForSequenceClassification", 3, 66_955_779),
    ("distilbert.json", "DistilBertForTokenClassification", 3, 66_365_187),
    ("albert.json", "AlbertForSequenceClassification", 3, 11_685_891),
    ("albert.json", "AlbertForTokenClassification", 3, 11_095_299),
    ("albert.json", "AlbertForPreTraining", 3, 11_814_579),  # the sentence-order head has num_labels outputs
]

# transformers' matmul MACs under FlopCounterMode at 128 tokens (norms excluded)
HF_MATMUL_MACS = {
    "roberta-base": 16_190_373_888, "xlm-roberta-base": 35_825_319_936, "distilbert-base": 8_662_745_088,
    "electra-base": 11_249_221_632, "electra-small": 1_321_238_528, "albert-base": 11_690_311_680,
}


def _load(name, **changes):
    data = json.loads((DATA / name).read_text())
    data.update(changes)
    return config_from_hf(data, name)


@pytest.mark.parametrize("name", sorted(FILES))
def test_config_json_counts_equal_transformers(name):
    family, preset, expected = FILES[name]
    spec = resolve(str(DATA / name))
    assert spec.source == "hf-config" and spec.config.family == family
    assert spec.config.num_params() == expected
    assert count_params(build_model(spec.config)).total == expected
    # the preset is the same checkpoint
    assert resolve(preset).config == spec.config


@pytest.mark.parametrize("name, arch", [(n, a) for n, heads in sorted(HEADS.items()) for a in sorted(heads)])
def test_each_head_class_counts_like_transformers(name, arch):
    config = _load(name, architectures=[arch])
    expected = HEADS[name][arch]
    assert config.num_params() == expected
    assert count_params(build_model(config)).total == expected


@pytest.mark.parametrize("name, arch, labels, expected", LABELLED)
def test_heads_read_the_labels(name, arch, labels, expected):
    config = _load(name, architectures=[arch], num_labels=labels)
    assert (config.num_labels, config.num_params()) == (labels, expected)


@pytest.mark.parametrize("preset", sorted(HF_MATMUL_MACS))
def test_matmul_macs_equal_transformers_flop_counter(preset):
    config = resolve(preset).config
    b = config.macs(config.resolve_input(InputShape()))
    assert b.total() - b.macs["norms"] == HF_MATMUL_MACS[preset]


def test_roberta_positions_start_after_the_padding_index():
    r = _load("roberta.json")
    assert (r.max_positions, r.position_offset, r.type_vocab_size, r.pooler, r.head) == (512, 2, 1, False, "masked-lm")
    layout = r.layout()
    assert layout["positions"].rows == 514 and layout["segments"].rows == 1
    model = build_model(r)
    assert tuple(model.positions.weight.shape) == (514, 768)
    # a checkpoint whose padding index is 0 keeps one row before position 0
    assert _load("roberta.json", pad_token_id=0).max_positions == 513
    with pytest.raises(SpecError, match="'max_position_embeddings' .* must exceed pad_token_id"):
        _load("roberta.json", max_position_embeddings=2)


def test_roberta_classifier_is_a_dense_tanh_head_over_the_first_token():
    c = _load("roberta.json", architectures=["RobertaForSequenceClassification"])
    head = c.layout()["classifier"]
    assert (type(head).__name__, head.activation) == ("DenseHeadSpec", "tanh")
    b = c.macs(c.resolve_input(InputShape()))
    # transformers' RobertaForSequenceClassification under FlopCounterMode: 11,174,217,216 matmul MACs
    assert b.total() - b.macs["norms"] == 11_174_217_216


def test_distilbert_has_no_segments_and_no_pooler():
    d = _load("distilbert.json")
    names = [u.name for u in d.layout()]
    assert "segments" not in names and "pooler" not in names
    with pytest.raises(SpecError, match="has no pooler"):
        d.replace(pooler=True)


def test_electra_projects_narrow_embeddings_and_detects_replaced_tokens():
    import torch

    small = _load("electra-small.json")
    assert (small.embed_dim, small.d_model) == (128, 256)
    proj = small.layout()["embed_proj"]
    assert (proj.n_in, proj.n_out, proj.num_params()) == (128, 256, 128 * 256 + 256)
    assert "embed_proj" not in _load("electra.json").layout()  # base: 768 = 768, no projection
    tiny = small.replace(num_layers=2, vocab_size=100)
    model = build_model(tiny, device="cpu")
    assert model(torch.randint(0, 100, (2, 9))).shape == (2, 9, 1)  # one logit per token
    with pytest.raises(SpecError, match="'ElectraForMultipleChoice' is not modelled"):
        _load("electra.json", architectures=["ElectraForMultipleChoice"])


def test_albert_shares_one_layer_counted_once_run_twelve_times():
    from tfcli.analysis.classify import classify
    from tfcli.analysis.tree import build_tree

    a = resolve("albert-base").config
    stack = a.layout()["encoder"]
    assert stack.shared and stack.num_layers == 12
    assert stack.num_params() == stack.block.num_params() == 7_087_872
    b = a.macs(a.resolve_input(InputShape()))
    one_layer = 128 * (4 * 768**2 + 2 * 768 * 3072) + 2 * 128**2 * 768
    assert b.macs["attn_proj"] + b.macs["attn_scores"] + b.macs["feed_forward"] == 12 * one_layer
    model = build_model(a)
    report = count_params(model)
    assert report.total == 11_221_680
    assert report.tied == ["mlm_head.decoder.weight = tokens.weight"]  # sharing is not tying
    cls = classify(model)
    assert cls.kind == "encoder-only" and cls.stacks[0].layers == 12
    encoder = next(n for n in build_tree(model, {}).children if n.name == "encoder")
    layers = encoder.children[0]
    assert (layers.name, layers.repeat, layers.shared, layers.params) == ("layers.0–11", 12, True, 7_087_872)


def test_albert_tree_says_shared(run_cli):
    code, out, err = run_cli("inspect", "albert-base")
    assert code == 0, err
    assert "layers.0–11 shared × 12" in out
    assert "encoder.layers.1.attn" not in out  # a shared layer is not listed as tied weights


def test_albert_refuses_layer_groups():
    with pytest.raises(SpecError, match="'num_hidden_groups' = 2 is not modelled"):
        _load("albert.json", num_hidden_groups=2)
    with pytest.raises(SpecError, match="'inner_group_num' = 2 is not modelled"):
        _load("albert.json", inner_group_num=2)


def test_other_classes_are_refused_not_replaced():
    with pytest.raises(SpecError, match="'RobertaForCausalLM' is not modelled; tfcli builds RobertaModel"):
        _load("roberta.json", architectures=["RobertaForCausalLM"])
    with pytest.raises(SpecError, match="'position_embedding_type' = 'relative_key' is not modelled"):
        _load("xlm-roberta.json", position_embedding_type="relative_key")


def test_masked_lm_forward_on_cpu():
    import torch

    for name in ("roberta.json", "distilbert.json", "albert.json"):
        config = _load(name).replace(num_layers=2, d_model=64, num_heads=4, ffn_dim=128, vocab_size=100)
        model = build_model(config, device="cpu")
        assert model(torch.randint(0, 100, (2, 7))).shape == (2, 7, 100), name


# -- ModernBERT --------------------------------------------------------------------------

MODERNBERT_HEADS = {  # transformers' counts on answerdotai/ModernBERT-base's config.json, 2 labels
    "ModernBertModel": 149_014_272, "ModernBertForMaskedLM": 149_655_232,
    "ModernBertForSequenceClassification": 149_606_402, "ModernBertForTokenClassification": 149_606_402,
    "ModernBertForQuestionAnswering": 149_606_402, "ModernBertForMultipleChoice": 149_605_633,
}


@pytest.mark.parametrize("arch", sorted(MODERNBERT_HEADS))
def test_modernbert_heads_count_like_transformers(arch):
    config = _load("modernbert.json", architectures=[arch])
    assert config.num_params() == MODERNBERT_HEADS[arch]
    assert count_params(build_model(config)).total == MODERNBERT_HEADS[arch]


def test_modernbert_file_is_the_preset_and_its_macs_match_transformers():
    spec = resolve(str(DATA / "modernbert.json"))
    assert spec.config == resolve("modernbert-base").config
    assert (spec.config.global_rope_theta, spec.config.local_rope_theta, spec.config.local_window) == (160_000.0, 10_000.0, 128)
    b = spec.config.macs(spec.config.resolve_input(InputShape()))
    # transformers ModernBertForMaskedLM, eager attention, FlopCounterMode at 128 tokens (norms excluded):
    # its local layers mask a band of the full score matrix, counted in full as here
    assert b.total() - b.macs["norms"] == 19_698_548_736
    assert resolve("modernbert-large").config.num_params() == 395_881_664  # ModernBERT-large's config


def test_modernbert_alternates_global_and_local_layers():
    c = resolve("modernbert-base").config
    blocks = c.layout()["encoder"].blocks
    assert [b.attention.local_window for b in blocks[:6]] == [0, 128, 128, 0, 128, 128]
    assert sum(1 for b in blocks if b.attention.local_window) == 14
    assert not blocks[0].attn_norm and all(b.attn_norm for b in blocks[1:])  # the first layer reads the embedding norm
    ffn = blocks[0].ffn
    assert (ffn.gated, ffn.bias, blocks[0].attention.qkv_bias) == (True, False, False)
    from tfcli.analysis.classify import classify

    cls = classify(build_model(c))
    assert cls.kind == "encoder-only"
    assert cls.stacks[0].describe() == "layers: 22 × bidirectional self-attention (14 local, ±64 tokens)"


def test_modernbert_local_layers_see_a_band():
    import torch

    from tfcli.blocks import Attention
    from tfcli.spec import AttentionSpec

    torch.manual_seed(0)
    band = Attention.from_spec(AttentionSpec(16, 2, qkv_bias=False, local_window=4))
    x = torch.randn(1, 10, 16)
    y = band(x)
    x2 = x.clone()
    x2[0, 9] += 10.0  # token 9 is out of token 0's ±2 band
    assert torch.allclose(band(x2)[0, :7], y[0, :7], atol=1e-6)  # tokens 0-6 do not see it
    assert not torch.allclose(band(x2)[0, 7], y[0, 7])
    tiny = resolve("modernbert-base", ["num_layers=4", "vocab_size=100", "d_model=64", "num_heads=4", "ffn_dim=96"]).config
    model = build_model(tiny, device="cpu")
    assert model(torch.randint(0, 100, (2, 12))).shape == (2, 12, 100)


def test_modernbert_refusals():
    with pytest.raises(SpecError, match="'mlp_bias' = True is not modelled"):
        _load("modernbert.json", mlp_bias=True)
    with pytest.raises(SpecError, match="'ModernBertForCausalLM' is not modelled"):
        _load("modernbert.json", architectures=["ModernBertForCausalLM"])


# -- DeBERTa-v2 / v3 -----------------------------------------------------------------------

DEBERTA_HEADS = {  # transformers' counts on microsoft/deberta-v3-base's config.json, 2 labels
    "DebertaV2Model": 183_831_552, "DebertaV2ForSequenceClassification": 184_423_682,
    "DebertaV2ForTokenClassification": 183_833_090, "DebertaV2ForQuestionAnswering": 183_833_090,
}


@pytest.mark.parametrize("arch", sorted(DEBERTA_HEADS))
def test_deberta_heads_count_like_transformers(arch):
    config = _load("deberta-v3.json", architectures=[arch])
    assert config.num_params() == DEBERTA_HEADS[arch]
    assert count_params(build_model(config)).total == DEBERTA_HEADS[arch]


def test_deberta_file_is_the_preset_and_names_no_class():
    spec = resolve(str(DATA / "deberta-v3.json"))  # no `architectures`: DebertaV2Model
    assert spec.config == resolve("deberta-v3-base").config
    c = spec.config
    assert (c.head, c.span, c.share_att_key, c.c2p, c.p2c, c.position_biased_input) == ("none", 512, True, True, True, False)
    assert resolve("deberta-v3-large").config.num_params() == 434_012_160  # DebertaV2Model at v3-large's sizes
    # without shared keys each layer has its own position projections (2 × (768² + 768))
    assert _load("deberta-v3.json", share_att_key=False).num_params() == 183_831_552 + 12 * 2 * (768 * 768 + 768)


def test_deberta_relative_terms_are_counted():
    """transformers' DebertaV2Model on CPU under FlopCounterMode at 128 tokens: 19,629,342,720
    matmul MACs (norms excluded), the c2p / p2c score matmuls and the projections of the
    512 relative rows included."""
    c = resolve("deberta-v3-base").config
    b = c.macs(c.resolve_input(InputShape()))
    assert b.total() - b.macs["norms"] == 19_629_342_720
    T, d, P = 128, 768, 512
    plain = 12 * (2 * T * T * d)
    assert b.macs["attn_scores"] == plain + 12 * 2 * T * P * d  # c2p + p2c
    assert b.macs["attn_proj"] == 12 * (4 * T * d * d + 2 * P * d * d)  # Wq, Wk over the relative rows
    from tfcli.analysis.structure import read_structure

    assert read_structure(build_model(c)).positions == ["relative, disentangled (512 rows)"]


def test_deberta_forward_and_refusals():
    import torch

    tiny = _load("deberta-v3.json", hidden_size=32, num_attention_heads=4, num_hidden_layers=2, intermediate_size=64,
                 vocab_size=100, position_buckets=8)
    model = build_model(tiny, device="cpu")
    assert model(torch.randint(0, 100, (2, 40))).shape == (2, 40, 32)  # distances past ±4 in log buckets
    with pytest.raises(SpecError, match="'conv_kernel_size' = 3 is not modelled"):
        _load("deberta-v3.json", conv_kernel_size=3)
    with pytest.raises(SpecError, match="'pos_att_type' = 'p2p' is not modelled"):
        _load("deberta-v3.json", pos_att_type="p2p")
    with pytest.raises(SpecError, match="'DebertaV2ForMaskedLM' is not modelled"):
        _load("deberta-v3.json", architectures=["DebertaV2ForMaskedLM"])
