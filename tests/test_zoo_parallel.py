"""Decoder families with parallel blocks, partial rotary, ALiBi and learned-offset positions
(issue 11): GPT-NeoX (Pythia), Phi, Phi-3, Falcon, OPT, BLOOM, GPT-J.

Reference counts: transformers 5.24 building the class `architectures[0]` names from each
fixture on the meta device (/work/refs/hf_count.py); the fixtures are the checkpoints'
config.json. Matmul MACs cross-checked with torch's FlopCounterMode on transformers' eager
model at 1×128 tokens (FLOPs / 2; it counts no norms): equal to tfcli's total minus norms.
"""

import json
from pathlib import Path

import pytest

from tfcli.catalog import resolve
from tfcli.errors import SpecError
from tfcli.hf_config import config_from_hf
from tfcli.spec import InputShape

DATA = Path(__file__).parent / "data" / "hf"

# fixture → (family, transformers' parameter count)
REFERENCE = {
    "pythia-160m.json": ("gpt_neox", 162_322_944),  # EleutherAI/pythia-160m, GPTNeoXForCausalLM
    "phi-2.json": ("phi", 2_779_683_840),  # microsoft/phi-2, PhiForCausalLM
    "phi-3-mini-4k.json": ("phi3", 3_821_079_552),  # microsoft/Phi-3-mini-4k-instruct, Phi3ForCausalLM
    "falcon-7b.json": ("falcon", 6_921_720_704),  # tiiuae/falcon-7b, FalconForCausalLM (multi-query, tied)
    "falcon-rw-1b.json": ("falcon", 1_311_625_216),  # tiiuae/falcon-rw-1b (sequential, biases, ALiBi)
    "opt-125m.json": ("opt", 125_239_296),  # facebook/opt-125m, OPTForCausalLM (tied)
    "opt-350m.json": ("opt", 331_196_416),  # facebook/opt-350m: post-norm, project_in/out
    "bloom-560m.json": ("bloom", 559_214_592),  # bigscience/bloom-560m, BloomForCausalLM (tied)
    "gpt-j-6b.json": ("gptj", 6_050_882_784),  # EleutherAI/gpt-j-6b, GPTJForCausalLM (untied, head bias)
}

# preset → (parameters, MACs at 1×128, transformers' FlopCounterMode MACs = total − norms)
PINS = {
    "pythia-160m": (162_322_944, 16_130_998_272, 16_118_710_272),
    "pythia-1.4b": (1_414_647_808, 169_480_552_448, None),
    "pythia-6.9b": (6_857_302_016, 855_539_974_144, None),
    "phi-2": (2_779_683_840, 341_638_184_960, 341_584_117_760),
    "phi-1.5": (1_418_270_720, 169_683_976_192, 169_651_208_192),
    "phi-3-mini-4k": (3_821_079_552, 479_813_566_464, None),  # FlopCounterMode agreed at 2 layers
    "phi-3-medium-4k": (13_960_238_080, 1_772_820_234_240, None),
    "falcon-7b": (6_921_720_704, 890_802_561_024, None),  # FlopCounterMode agreed at 2 layers
    "falcon-40b": (41_303_293_952, 5_303_308_386_304, None),  # and at 2 layers of the new architecture
    "falcon-rw-1b": (1_311_625_216, 169_480_552_448, 169_416_327_168),
    "opt-125m": (125_239_296, 16_127_852_544, 16_115_564_544),
    "opt-350m": (331_196_416, 42_920_312_832, 42_888_855_552),
    "opt-1.3b": (1_315_758_080, 169_472_163_840, None),
    "opt-6.7b": (6_658_473_984, 855_456_088_064, None),
    "bloom-560m": (559_214_592, 72_376_123_392, 72_343_355_392),
    "bloom-7b1": (7_069_016_064, 908_816_547_840, None),  # FlopCounterMode agreed at 2 layers
    "gpt-j-6b": (6_050_882_784, 751_812_739_072, None),  # and here too
}


def _load(name, **changes):
    data = json.loads((DATA / name).read_text())
    data.update(changes)
    return config_from_hf(data, name)


def _macs(config):
    return config.macs(config.resolve_input(InputShape()))


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_config_json_round_trips_to_the_transformers_count(name):
    family, expected = REFERENCE[name]
    spec = resolve(str(DATA / name))
    assert spec.source == "hf-config"
    assert spec.config.family == family
    assert spec.config.num_params() == expected


@pytest.mark.parametrize("name", sorted(PINS))
def test_presets_pin_parameters_and_macs(name):
    params, macs, matmuls = PINS[name]
    config = resolve(name).config
    breakdown = _macs(config)
    assert (config.num_params(), breakdown.total()) == (params, macs)
    if matmuls is not None:
        assert breakdown.total() - breakdown.by_category()["norms"] == matmuls


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_built_model_counts_what_the_layout_says(name):
    from tfcli.analysis.params import count_params
    from tfcli.build import build_model

    config = resolve(str(DATA / name)).config
    assert count_params(build_model(config)).total == REFERENCE[name][1]


def _tiny(name, **changes):
    return resolve(name).config.replace(num_layers=2, vocab_size=100, **changes)


@pytest.mark.parametrize("name, changes", [
    ("pythia-160m", dict(d_model=64, num_heads=4, ffn_dim=128)),
    ("pythia-160m", dict(d_model=64, num_heads=4, ffn_dim=128, parallel=False)),
    ("phi-2", dict(d_model=80, num_heads=4, num_kv_heads=2, ffn_dim=96)),  # 20-channel heads, 8 rotated
    ("phi-3-mini-4k", dict(d_model=64, num_heads=4, num_kv_heads=2, ffn_dim=96)),
    ("falcon-7b", dict(d_model=64, num_heads=4, ffn_dim=96)),  # multi-query, one shared norm
    ("falcon-40b", dict(d_model=64, num_heads=8, num_kv_heads=2, ffn_dim=96)),
    ("falcon-rw-1b", dict(d_model=64, num_heads=4, num_kv_heads=4, ffn_dim=96)),  # ALiBi
    ("opt-125m", dict(d_model=64, num_heads=4, ffn_dim=96, max_positions=16)),
    ("opt-350m", dict(d_model=64, num_heads=4, ffn_dim=96, max_positions=16, embed_dim=32)),
    ("bloom-560m", dict(d_model=48, num_heads=6, ffn_dim=96)),  # 6 heads: slopes of 4, then of 8
    ("gpt-j-6b", dict(d_model=64, num_heads=4, ffn_dim=96, rotary_dim=8)),
])
def test_small_configs_run_forward_and_match_the_closed_form(name, changes):
    import torch

    from tfcli.analysis.params import count_params
    from tfcli.build import build_model

    config = _tiny(name, **changes)
    model = build_model(config, device="cpu")
    assert count_params(model).total == config.num_params()
    assert model(torch.randint(0, 100, (2, 7))).shape == (2, 7, 100)


# -- GPT-NeoX -------------------------------------------------------------------------------


def test_pythia_file_maps_parallel_residual_and_partial_rotary():
    c = _load("pythia-160m.json")
    assert (c.parallel, c.rotary_fraction, c.rope_theta, c.tie_embeddings, c.activation) == (
        True, 0.25, 10000.0, False, "gelu")
    assert c.layout()["positions"].rotary_dim == 16  # 25% of a 64-channel head
    # the sequential variant keeps both norms: the same parameters
    assert _load("pythia-160m.json", use_parallel_residual=False).num_params() == 162_322_944
    # transformers 5 writes the rotary share into rope_parameters
    v5 = _load("pythia-160m.json", rope_parameters={"rope_theta": 10000.0, "partial_rotary_factor": 0.5})
    assert v5.rotary_fraction == 0.5
    assert _load("pythia-160m.json", attention_bias=False).num_params() == 162_322_944 - 12 * (3 * 768 + 768)


def test_pythia_refusals_name_the_field():
    with pytest.raises(SpecError, match="'architectures' 'GPTNeoXForSequenceClassification' is not modelled"):
        _load("pythia-160m.json", architectures=["GPTNeoXForSequenceClassification"])
    with pytest.raises(SpecError, match="rotary_pct"):
        _load("pythia-160m.json", rotary_pct=0.01)  # int(64 × 0.01) = 0 channels


def test_structure_names_parallel_blocks_and_partial_rotary():
    from tfcli.analysis.structure import read_structure
    from tfcli.build import build_model

    s = read_structure(build_model(resolve("pythia-160m").config))
    assert s.positions == ["rotary (partial, 25%, θ=10000)"]
    assert s.placement == "pre-norm (parallel attention + FFN)"


# -- Phi, Phi-3 -----------------------------------------------------------------------------


def test_phi_shares_one_norm_between_its_parallel_branches():
    from tfcli.analysis.structure import read_structure
    from tfcli.build import build_model

    c = _load("phi-2.json")
    assert (c.rotary_fraction, c.activation, c.num_kv_heads) == (0.4, "gelu_tanh", 32)
    assert c.layout()["positions"].rotary_dim == 32  # 40% of an 80-channel head
    assert c.layout()["lm_head"].bias
    model = build_model(c.replace(num_layers=1))
    block = model.decoder.layers[0]
    assert block.parallel and block.ffn_norm is None
    s = read_structure(model)
    assert s.positions == ["rotary (partial, 40%, θ=10000)"]
    assert s.norms == ["LayerNorm"] and s.placement == "pre-norm (parallel attention + FFN)"


def test_phi_refusals_and_notes():
    with pytest.raises(SpecError, match="'qk_layernorm' = True is not modelled"):
        _load("phi-2.json", qk_layernorm=True)
    with pytest.raises(SpecError, match="'architectures' 'PhiForTokenClassification' is not modelled"):
        _load("phi-2.json", architectures=["PhiForTokenClassification"])


def test_phi3_is_the_llama_layout_under_its_own_name(run_cli, capsys):
    c = _load("phi-3-mini-4k.json")
    assert (c.family, c.num_kv_heads, c.ffn_dim, c.vocab_size, c.tie_embeddings) == ("phi3", 32, 8192, 32064, False)
    assert "sliding_window=2047: not modelled" in capsys.readouterr().err
    # Phi-3.5-mini / 128k: longrope changes the rotation, not the shapes
    longrope = _load("phi-3-mini-4k.json", max_position_embeddings=131072,
                     rope_scaling={"type": "longrope", "long_factor": [1.0] * 48, "short_factor": [1.0] * 48})
    err = capsys.readouterr().err
    assert "'longrope' RoPE scaling changes the rotation angles only" in err and "parameters and MACs unaffected" in err
    assert longrope.num_params() == 3_821_079_552
    with pytest.raises(SpecError, match="field 'rope_scaling' has rope_type 'wavy'"):  # every family: one rule
        _load("phi-3-mini-4k.json", rope_scaling={"type": "wavy"})
    with pytest.raises(SpecError, match="'attention_bias' = True is not modelled"):
        _load("phi-3-mini-4k.json", attention_bias=True)


# -- Falcon --------------------------------------------------------------------------------


def test_falcon_files_map_multi_query_groups_and_norms():
    f7 = _load("falcon-7b.json")
    assert (f7.num_kv_heads, f7.parallel, f7.shared_norm, f7.bias, f7.alibi, f7.ffn_dim) == (1, True, True, False,
                                                                                             False, 18176)
    f40 = _load("falcon-7b.json", hidden_size=8192, num_hidden_layers=60, num_attention_heads=128, num_kv_heads=8,
                new_decoder_architecture=True)
    assert (f40.num_kv_heads, f40.shared_norm, f40.num_params()) == (8, False, 41_303_293_952)
    # the old config name of the groups
    assert _load("falcon-7b.json", new_decoder_architecture=True, n_head_kv=1).num_kv_heads == 1
    rw = _load("falcon-rw-1b.json")
    assert (rw.alibi, rw.parallel, rw.bias, rw.num_kv_heads) == (True, False, True, 32)
    assert "positions" in rw.layout() and rw.layout()["positions"].num_heads == 32


def test_falcon_refusals_name_the_field():
    with pytest.raises(SpecError, match="'apply_residual_connection_post_layernorm' = True is not modelled"):
        _load("falcon-7b.json", apply_residual_connection_post_layernorm=True)
    with pytest.raises(SpecError, match="'num_ln_in_parallel_attn' = 3 is not modelled"):
        _load("falcon-7b.json", num_ln_in_parallel_attn=3)
    with pytest.raises(SpecError, match="'architectures' 'FalconModel' is not modelled"):
        _load("falcon-7b.json", architectures=["FalconModel"])


def test_alibi_is_named_and_biases_the_scores():
    from tfcli.analysis.structure import read_structure
    from tfcli.blocks import Alibi
    from tfcli.build import build_model

    model = build_model(resolve("falcon-rw-1b").config.replace(num_layers=1))
    assert read_structure(model).positions == ["ALiBi"]
    # 8 heads: slopes 1/2, 1/4 … 1/256; 12 heads take 8's, then every other one of 16's
    assert Alibi(8).slopes() == [2.0 ** -i for i in range(1, 9)]
    assert Alibi(12).slopes()[8:] == [2.0 ** -(0.5 + i) for i in range(4)]
    bias = Alibi(2)(3, 3)
    assert bias.shape == (1, 2, 3, 3) and bias[0, 0, 2, 0] == -2 * 2.0 ** -4 and bias[0, 1, 1, 1] == 0


# -- OPT -----------------------------------------------------------------------------------


def test_opt_positions_sit_two_rows_in():
    import torch

    from tfcli.build import build_model

    c = _load("opt-125m.json")
    assert c.layout()["positions"].rows == 2048 + 2
    model = build_model(c.replace(num_layers=1, d_model=16, num_heads=2, ffn_dim=32, vocab_size=50), device="cpu")
    table = model.positions
    assert (table.weight.shape[0], table.offset) == (2050, 2)
    assert torch.equal(table(3), table.weight[2:5])  # position 0 reads row 2, as OPTLearnedPositionalEmbedding


def test_opt_350m_is_post_norm_with_projections():
    from tfcli.analysis.structure import read_structure
    from tfcli.build import build_model

    c = _load("opt-350m.json")
    assert (c.pre_norm, c.embed_dim) == (False, 512)
    layout = c.layout()
    assert not layout["decoder"].has_final_norm
    assert (layout["project_in"].n_in, layout["project_out"].n_out, layout["lm_head"].d_model) == (512, 512, 512)
    model = build_model(c)
    assert model.decoder.norm is None and model.tokens.embedding_dim == 512
    assert read_structure(model).placement == "post-norm"
    # the pre-norm files keep a final LayerNorm: 2 × 768 more than without it
    assert _load("opt-125m.json").num_params() == 125_239_296


def test_opt_refusals_name_the_field():
    with pytest.raises(SpecError, match="'_remove_final_layer_norm' = True is not modelled"):
        _load("opt-125m.json", _remove_final_layer_norm=True)
    with pytest.raises(SpecError, match="'layer_norm_elementwise_affine' = False is not modelled"):
        _load("opt-125m.json", layer_norm_elementwise_affine=False)
    with pytest.raises(SpecError, match="'activation_function' 'mish' is not modelled"):
        _load("opt-125m.json", activation_function="mish")


# -- BLOOM ---------------------------------------------------------------------------------


def test_bloom_has_alibi_and_an_embedding_norm():
    from tfcli.analysis.structure import read_structure
    from tfcli.build import build_model

    c = _load("bloom-560m.json")
    assert (c.num_layers, c.num_heads, c.ffn_dim, c.activation, c.tie_embeddings) == (24, 16, 4096, "gelu_tanh",
                                                                                      True)
    layout = c.layout()
    assert layout["positions"].num_heads == 16 and layout["embed_norm"].num_params() == 2 * 1024
    model = build_model(c)
    assert model.embed_norm is not None and model.alibi is not None
    s = read_structure(model)
    assert s.positions == ["ALiBi"] and s.placement == "pre-norm"
    # transformers' own names for the layer and head counts read the same
    renamed = json.loads((DATA / "bloom-560m.json").read_text())
    renamed["num_hidden_layers"], renamed["num_attention_heads"] = renamed.pop("n_layer"), renamed.pop("n_head")
    assert config_from_hf(renamed).num_params() == 559_214_592


def test_bloom_alibi_matches_transformers_softmax():
    """Same scores after softmax as transformers' build_alibi_tensor (slope × key position):
    a row-constant shift, so the distance form (slope × (j − i)) gives equal probabilities."""
    import torch

    from tfcli.blocks import Alibi

    T, heads = 5, 6
    ours = Alibi(heads)(T, T)[0]
    slopes = torch.tensor(Alibi(heads).slopes())
    theirs = slopes[:, None, None] * torch.arange(T)[None, None, :].float().expand(heads, T, T)
    causal = torch.ones(T, T, dtype=torch.bool).triu(1)
    p = lambda b: b.masked_fill(causal, float("-inf")).softmax(-1)  # noqa: E731
    assert torch.allclose(p(ours), p(theirs), atol=1e-6)


def test_bloom_refusals_name_the_field():
    with pytest.raises(SpecError, match="'apply_residual_connection_post_layernorm' = True is not modelled"):
        _load("bloom-560m.json", apply_residual_connection_post_layernorm=True)
    with pytest.raises(SpecError, match="'architectures' 'BloomForTokenClassification' is not modelled"):
        _load("bloom-560m.json", architectures=["BloomForTokenClassification"])


# -- GPT-J ---------------------------------------------------------------------------------


def test_gptj_pairs_adjacent_channels_on_a_quarter_of_each_head():
    from tfcli.analysis.structure import read_structure
    from tfcli.build import build_model

    c = _load("gpt-j-6b.json")
    assert (c.rotary_dim, c.ffn_dim, c.activation, c.tie_embeddings) == (64, 16384, "gelu_tanh", False)
    rope, head = c.layout()["positions"], c.layout()["lm_head"]
    assert (rope.head_dim, rope.rotary_dim, rope.interleaved, head.bias) == (256, 64, True, True)
    block = c.layout()["decoder"].block
    assert (block.parallel, block.shared_norm, block.attention.qkv_bias, block.attention.has_out_bias,
            block.ffn.bias) == (True, True, False, False, True)
    model = build_model(c.replace(num_layers=1))
    assert model.decoder.layers[0].ffn_norm is None and model.lm_head.proj.bias is not None
    assert read_structure(model).positions == ["rotary (partial, 25%, θ=10000)"]
    assert _load("gpt-j-6b.json", rotary_dim=None).layout()["positions"].rotary_dim is None  # the whole head


def test_gptj_refusals_name_the_field():
    with pytest.raises(SpecError, match="'rotary_dim' \\(300\\) must be even and at most the head size 256"):
        _load("gpt-j-6b.json", rotary_dim=300)
    with pytest.raises(SpecError, match="'architectures' 'GPTJForQuestionAnswering' is not modelled"):
        _load("gpt-j-6b.json", architectures=["GPTJForQuestionAnswering"])


# -- shared pieces --------------------------------------------------------------------------


def test_partial_rotary_turns_only_the_leading_channels():
    import torch

    from tfcli.blocks.embeddings import Rotary, apply_rotary

    q, k = torch.randn(1, 2, 5, 8), torch.randn(1, 2, 5, 8)
    cos, sin, interleaved = Rotary(8, rotary_dim=4)(5)
    q2, k2 = apply_rotary(q, k, cos, sin, interleaved)
    assert torch.equal(q2[..., 4:], q[..., 4:]) and torch.equal(k2[..., 4:], k[..., 4:])
    full_cos, full_sin, _ = Rotary(4)(5)
    assert torch.allclose(q2[..., :4], apply_rotary(q[..., :4], k[..., :4], full_cos, full_sin)[0])


def test_interleaved_rotary_rotates_adjacent_pairs():
    import torch

    from tfcli.blocks.embeddings import Rotary, apply_rotary

    q = torch.randn(1, 1, 3, 4)
    cos, sin, interleaved = Rotary(4, interleaved=True)(3)
    out, _ = apply_rotary(q, q, cos, sin, interleaved)
    # GPT-J: pair (x0, x1) at position t turns by angle t·θ_i, i = the pair's index
    theta = 1.0 / 10000 ** (torch.arange(0, 4, 2).float() / 4)
    for t in range(3):
        for i in range(2):
            a = t * theta[i]
            x0, x1 = q[0, 0, t, 2 * i], q[0, 0, t, 2 * i + 1]
            expected = torch.stack((x0 * a.cos() - x1 * a.sin(), x1 * a.cos() + x0 * a.sin()))
            assert torch.allclose(out[0, 0, t, 2 * i:2 * i + 2], expected, atol=1e-6)


@pytest.mark.parametrize("name, positions, placement", [
    ("bloom-560m", "ALiBi", "pre-norm"),
    ("pythia-160m", "rotary (partial, 25%, θ=10000)", "pre-norm (parallel attention + FFN)"),
    ("opt-125m", "learned absolute (2048)", "pre-norm"),
])
def test_inspect_names_positions_and_block_placement(run_cli, name, positions, placement):
    code, out, err = run_cli("inspect", name, "--json")
    assert code == 0, err
    data = json.loads(out)
    assert (data["positions"], data["norm_placement"]) == ([positions], placement)
    code, out, err = run_cli("inspect", name)
    assert code == 0, err
    assert f"positions  {positions}" in out and f"blocks     {placement}" in out
