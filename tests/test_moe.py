"""Mixtures of experts (Mixtral, DeepSeek-V2/V3) and multi-head latent attention.

Reference counts: transformers 5.24 building each fixture on the meta device
(/work/refs/hf_count.py): MixtralForCausalLM for mistralai/Mixtral-8x7B-v0.1 (46,702,792,704)
and Mixtral-8x22B-v0.1 (the 8x7B file with its sizes, 140,630,071,296), DeepseekV2ForCausalLM
for deepseek-ai/DeepSeek-V2-Lite (15,706,484,224), DeepseekV3ForCausalLM for
deepseek-ai/DeepSeek-V3 (671,026,404,352: transformers builds no MTP layer; the router's
e_score_correction_bias is a buffer, not a parameter).
"""

import json
from pathlib import Path

import pytest

from tfcli.analysis.flops import flops_report
from tfcli.catalog import resolve
from tfcli.errors import SpecError
from tfcli.hf_config import config_from_hf
from tfcli.spec import FeedForwardSpec, InputShape, MLASpec, MoESpec, Tally

DATA = Path(__file__).parent / "data" / "hf"

# preset → (parameters, active parameters per token)
COUNTS = {
    "mixtral-8x7b": (46_702_792_704, 12_879_925_248),
    "mixtral-8x22b": (140_630_071_296, 39_161_468_928),
    "deepseek-v2-lite": (15_706_484_224, 2_661_150_208),
    "deepseek-v3": (671_026_404_352, 37_552_282_624),
}


@pytest.mark.parametrize("name", sorted(COUNTS))
def test_total_and_active_parameters(name):
    config = resolve(name).config
    assert (config.num_params(), config.num_active_params()) == COUNTS[name]


def test_mixtral_by_hand():
    d, kv, f, layers, vocab = 4096, 1024, 14336, 32, 32000
    attn = 2 * d * d + 2 * d * kv
    expert = 3 * d * f
    per_layer = attn + 8 * expert + 8 * d + 2 * d  # 8 experts, the router (d → 8), two norms
    assert 2 * vocab * d + layers * per_layer + d == 46_702_792_704
    active = 2 * vocab * d + layers * (attn + 2 * expert + 8 * d + 2 * d) + d
    assert active == 12_879_925_248  # "about 12.9B active"
    # MACs at 128 tokens: each token through its 2 experts, the router, attention, norms, head
    b = resolve("mixtral-8x7b").config.macs(resolve("mixtral-8x7b").config.resolve_input(InputShape()))
    T = 128
    assert b.macs["feed_forward"] == layers * T * 2 * expert
    assert b.macs["router"] == layers * T * d * 8
    assert b.macs["attn_scores"] == layers * 32 * T * T * 128 * 2
    assert b.kv_per_token == layers * 2 * kv


def test_deepseek_v2_lite_by_hand():
    d, h, layers = 2048, 16, 27
    mla = (d * h * 192  # q_proj (no q_lora_rank)
           + d * (512 + 64) + 512  # kv_a_proj_with_mqa, kv_a_layernorm
           + 512 * h * (128 + 128)  # kv_b_proj
           + h * 128 * d)  # o_proj
    dense = 3 * d * 10944
    moe = d * 64 + 64 * 3 * d * 1408 + 3 * d * 2 * 1408  # router, 64 experts, 2 shared experts as one FFN
    total = 2 * 102400 * d + layers * (mla + 2 * d) + dense + (layers - 1) * moe + d
    assert total == 15_706_484_224
    config = resolve("deepseek-v2-lite").config
    b = config.macs(config.resolve_input(InputShape()))
    assert b.kv_per_token == layers * (512 + 64)  # the latent and the shared rotary key, not 2·h·head_dim
    T = 128
    assert b.macs["attn_scores"] == layers * h * T * T * (192 + 128)  # QKᵀ at 192 wide, AV at 128
    assert b.macs["router"] == (layers - 1) * T * d * 64
    assert b.macs["feed_forward"] == T * dense + (layers - 1) * T * (6 * 3 * d * 1408 + 3 * d * 2816)


def test_parts_alone():
    expert = FeedForwardSpec(8, 16, "silu", gated=True, bias=False)
    moe = MoESpec(expert, num_experts=4, top_k=2, shared=FeedForwardSpec(8, 32, "silu", True, False))
    assert moe.num_params() == 8 * 4 + 4 * 384 + 768
    assert moe.num_active_params() == 8 * 4 + 2 * 384 + 768
    t = Tally(batch=3)
    moe.add_macs(t, rows=5)
    assert t.macs["router"] == 3 * 5 * 8 * 4
    assert t.macs["feed_forward"] == 3 * 5 * (2 * 384 + 768)
    mla = MLASpec(64, 4, kv_lora_rank=16, qk_nope_head_dim=8, qk_rope_head_dim=4, v_head_dim=8, q_lora_rank=12)
    assert mla.kv_per_token() == 20
    assert mla.num_params() == 64 * 12 + 12 + 12 * 48 + 64 * 20 + 16 + 16 * 64 + 32 * 64


# reduced variants: the fast run checks the three methods on every kind of MoE and MLA block
VARIANTS = [
    ("mixtral-8x7b", ["num_layers=2"], dict()),
    ("mixtral-8x7b", ["num_layers=1", "d_model=512", "num_heads=8", "num_kv_heads=2", "ffn_dim=256",
                      "num_experts=6", "top_k=3"], dict(batch=3, seq_len=7)),  # 63 rows over 6 experts
    ("deepseek-v2-lite", ["num_layers=3"], dict(batch=2, seq_len=37)),
    ("deepseek-v2-lite", ["num_layers=2", "q_lora_rank=256", "num_groups=4", "topk_groups=2"], dict()),
    ("deepseek-v3", ["num_layers=4", "num_experts=32"], dict(seq_len=3)),  # fewer rows than experts
    ("deepseek-v3", ["num_layers=4", "first_dense=0", "num_shared_experts=0"], dict(seq_len=16)),
]


@pytest.mark.parametrize("name, sets, shape", VARIANTS, ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(VARIANTS)])
def test_three_methods_agree_on_experts_and_latent_attention(name, sets, shape):
    report = flops_report(resolve(name, sets), InputShape(**shape), ("fvcore", "torch", "analytic"))
    analytic = report.counts["analytic"]
    assert analytic.by_category["router"] > 0 or "num_experts=0" in sets
    for method in ("fvcore", "torch"):
        c = report.counts[method]
        assert c.uncounted == {}, f"{method} left ops without a handle: {c.uncounted}"
        assert c.by_category == analytic.by_category, method


def _tiny(family_preset, sets):
    from tfcli.build import build_model

    config = resolve(family_preset, sets).config
    return config, build_model(config, device="cpu")


def test_real_routing_matches_a_token_by_token_reference():
    import torch

    from tfcli.blocks.moe import MoE

    torch.manual_seed(0)
    specs = [
        MoESpec(FeedForwardSpec(16, 24, "silu", True, False), 8, 2),  # Mixtral: softmax, top-2 renormalised
        MoESpec(FeedForwardSpec(16, 24, "gelu", False, True), 8, 3, shared=FeedForwardSpec(16, 48, "silu", True, False),
                scoring="sigmoid", score_bias=True, num_groups=4, topk_groups=2, scaling=2.5),  # V3-style
    ]
    for spec in specs:
        m = MoE(spec)
        for p in m.parameters():
            torch.nn.init.normal_(p, std=0.3)
        x = torch.randn(2, 5, 16)
        h = x.reshape(-1, 16)
        w, idx = m.route(h)
        assert torch.allclose(w.sum(-1), torch.full((10,), spec.scaling))
        e = m.experts

        def expert(i, v):
            a = v @ e.fc1[i].T + (0 if e.fc1_bias is None else e.fc1_bias[i])
            return e._hidden(a) @ e.fc2[i].T + (0 if e.fc2_bias is None else e.fc2_bias[i])

        ref = torch.stack([sum(w[t, j] * expert(idx[t, j], h[t]) for j in range(spec.top_k)) for t in range(10)])
        if m.shared is not None:
            ref = ref + m.shared(h)
        assert torch.allclose(m(x).reshape(-1, 16), ref, atol=1e-4)


def test_real_device_counts_equal_the_closed_form():
    """On CPU the experts get the tokens the router really sends them (bincount): uneven, yet
    the same N·top_k rows in all, so the same MACs as the meta count's even split."""
    import torch

    from tfcli.analysis.flops import count_torch

    config, model = _tiny("deepseek-v3", ["num_layers=2", "first_dense=1", "d_model=64", "num_heads=4",
                                          "ffn_dim=96", "moe_ffn_dim=32", "num_experts=16", "num_groups=4",
                                          "topk_groups=2", "top_k=4", "kv_lora_rank=16", "q_lora_rank=24",
                                          "qk_nope_head_dim=8", "qk_rope_head_dim=4", "v_head_dim=8",
                                          "vocab_size=100"])
    torch.manual_seed(0)
    for p in model.parameters():
        torch.nn.init.normal_(p, std=0.5)
    x = config.resolve_input(InputShape(batch=2, seq_len=9))
    inputs = model.example_inputs(x, "cpu")
    out = model(**inputs)
    assert out.shape == (2, 9, 100) and torch.isfinite(out).all()
    counted = count_torch(model, inputs)
    assert counted.uncounted == {}
    assert counted.by_category == config.macs(x).by_category()


def test_mla_caches_the_latent():
    import torch

    from tfcli.blocks.mla import MLAttention

    spec = MLASpec(32, 4, kv_lora_rank=8, qk_nope_head_dim=6, qk_rope_head_dim=4, v_head_dim=5)
    m = MLAttention(spec)
    x = torch.randn(2, 7, 32)
    from tfcli.blocks.embeddings import Rotary

    y = m(x, rope=Rotary(4)(7, x.device, x.dtype))
    assert y.shape == (2, 7, 32)
    # causal: the first token's output does not depend on later tokens
    x2 = x.clone()
    x2[:, 1:] = torch.randn(2, 6, 32)
    assert torch.allclose(m(x2, rope=Rotary(4)(7, x.device, x.dtype))[:, 0], y[:, 0], atol=1e-6)


def test_module_active_count_matches_the_spec():
    from tfcli.analysis.params import count_params
    from tfcli.build import build_model

    for name, sets in (("mixtral-8x7b", ["num_layers=2"]), ("deepseek-v3", ["num_layers=5"])):
        config = resolve(name, sets).config
        report = count_params(build_model(config))
        assert (report.total, report.active_params) == (config.num_params(), config.num_active_params())
        assert report.sparse and report.by_category["router"] > 0


# -- config.json -------------------------------------------------------------------------

FIXTURES = {
    "mixtral-8x7b.json": ("mixtral", 46_702_792_704),
    "deepseek-v2-lite.json": ("deepseek_v2", 15_706_484_224),
    "deepseek-v3.json": ("deepseek_v3", 671_026_404_352),
}


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_round_trip_counts(name):
    family, expected = FIXTURES[name]
    spec = resolve(str(DATA / name))
    assert (spec.source, spec.config.family, spec.config.num_params()) == ("hf-config", family, expected)


def test_fixtures_equal_the_presets():
    for file, preset in (("mixtral-8x7b.json", "mixtral-8x7b"), ("deepseek-v2-lite.json", "deepseek-v2-lite"),
                         ("deepseek-v3.json", "deepseek-v3")):
        assert resolve(str(DATA / file)).config == resolve(preset).config, file


def _load(name, **changes):
    data = json.loads((DATA / name).read_text())
    data.update(changes)
    return config_from_hf(data, name)


@pytest.mark.parametrize(
    "name, changes, message",
    [
        ("mixtral-8x7b.json", {"architectures": ["MixtralForSequenceClassification"]},
         "'MixtralForSequenceClassification' is not modelled; tfcli builds MixtralForCausalLM"),
        ("mixtral-8x7b.json", {"num_experts_per_tok": 9}, "'num_experts_per_tok' (9) cannot exceed 'num_local_experts' (8)"),
        ("mixtral-8x7b.json", {"head_dim": 256}, "field 'head_dim' = 256 is not modelled"),
        ("deepseek-v2-lite.json", {"num_key_value_heads": 4}, "field 'num_key_value_heads' = 4 is not modelled"),
        ("deepseek-v2-lite.json", {"mlp_bias": True}, "field 'mlp_bias' = True is not modelled"),
        ("deepseek-v2-lite.json", {"topk_method": "noaux_tc"}, "field 'topk_method' = 'noaux_tc' is not modelled"),
        ("deepseek-v2-lite.json", {"first_k_dense_replace": 30}, "'first_k_dense_replace' (30) cannot exceed 'num_hidden_layers' (27)"),
        ("deepseek-v3.json", {"scoring_func": "softmax"}, "field 'scoring_func' = 'softmax' is not modelled"),
        ("deepseek-v3.json", {"n_group": 7}, "'n_routed_experts' (256) must be divisible by 'n_group' (7)"),
    ],
)
def test_refusals_name_the_field(name, changes, message):
    with pytest.raises(SpecError) as e:
        _load(name, **changes)
    assert message in str(e.value)


def test_behaviour_only_fields_are_noted(run_cli):
    code, out, err = run_cli("inspect", str(DATA / "deepseek-v3.json"), "--json")
    assert code == 0, err
    assert "num_nextn_predict_layers=1: the multi-token-prediction layers are not built" in err
    assert "rope scaling (yarn)" in err
    got = json.loads(out)
    assert (got["params"], got["params_active"]) == COUNTS["deepseek-v3"]


# -- what the commands show -----------------------------------------------------------------


def test_inspect_shows_active_parameters_and_collapses_experts(run_cli):
    code, out, err = run_cli("inspect", "mixtral-8x7b", "--set", "num_layers=2", "--depth", "4")
    assert code == 0, err
    assert "active" in out and "per token" in out
    assert "experts 0–7 × 8" in out
    code, out, err = run_cli("inspect", "mixtral-8x7b", "--json")
    data = json.loads(out)
    assert (data["params"], data["params_active"]) == COUNTS["mixtral-8x7b"]
    assert data["params_by_category"]["router"] == 32 * 4096 * 8
    code, out, err = run_cli("inspect", "gpt2", "--json")
    data = json.loads(out)
    assert data["params_active"] == data["params"]


def test_list_shows_active_parameters(run_cli):
    code, out, err = run_cli("list", "--family", "deepseek_v3", "--json")
    assert code == 0, err
    (row,) = json.loads(out)["presets"]
    assert (row["params"], row["params_active"]) == COUNTS["deepseek-v3"]
    code, out, err = run_cli("list", "--family", "mixtral")
    assert "12.88B" in out


def test_flops_has_a_router_row(run_cli):
    code, out, err = run_cli("flops", "mixtral-8x7b", "--set", "num_layers=1")
    assert code == 0, err
    assert "MoE router" in out
