"""The Llama-like decoder zoo (issue 11): Mistral, Qwen3, Llama 3, CodeLlama, Gemma 1/2/3, OLMo 2, StarCoder2.

Reference counts: transformers 5.24, the class `architectures` names, built on the meta device from
each fixture (the checkpoints' published config.json) by /work/refs/hf_count.py; unique parameters.
Sliding-window scores follow tfcli.spec.tally's band convention; the counters measure the same
band because the attention module computes exactly it (tests/test_flops.py checks every preset).
"""

import json
from pathlib import Path

import pytest

from tfcli.analysis.flops import flops_report
from tfcli.catalog import resolve
from tfcli.errors import SpecError
from tfcli.hf_config import config_from_hf
from tfcli.spec import InputShape
from tfcli.spec.tally import band_blocks, band_pairs

DATA = Path(__file__).parent / "data" / "hf"

# fixture → (family, transformers' parameter count)
REFERENCE = {
    "mistral.json": ("mistral", 7_241_732_096),  # MistralForCausalLM
}


def _load(name, **changes):
    data = json.loads((DATA / name).read_text())
    data.update(changes)
    return config_from_hf(data, name)


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_config_json_round_trips_to_the_reference(name):
    family, expected = REFERENCE[name]
    spec = resolve(str(DATA / name))
    assert (spec.source, spec.config.family, spec.config.num_params()) == ("hf-config", family, expected)


def _small(name, *sets):
    return resolve(name, ["num_layers=2", "d_model=256", "num_heads=4", "num_kv_heads=2", "ffn_dim=512",
                          "vocab_size=1000", *sets])


def _three(spec, causal_half=False, **shape):
    report = flops_report(spec, InputShape(**shape), ("fvcore", "torch", "analytic"), causal_half=causal_half)
    for method in ("fvcore", "torch"):
        assert report.counts[method].uncounted == {}, method
        assert report.counts[method].by_category == report.counts["analytic"].by_category, method
    return report.counts["analytic"]


# -- sliding-window attention --------------------------------------------------------------


def test_band_convention():
    assert band_blocks(128, 4096) == (1, 128, 128)  # inside the window: plain causal
    assert band_blocks(128, 100) == (1, 128, 128)  # one dense call is smaller than 2 blocks of 100×200
    assert band_blocks(128, 32) == (4, 32, 64)  # 4 blocks of 32 queries × 64 keys
    assert band_blocks(100, 33) == (4, 33, 66)  # the last block padded
    assert band_blocks(32768, 4096) == (8, 4096, 8192)
    assert band_pairs(128, 4096) == 128 * 129 // 2
    assert band_pairs(128, 32) == 32 * 33 // 2 + 96 * 32


@pytest.mark.parametrize("window, tokens", [(32, 128), (100, 128), (33, 100), (4096, 128)])
def test_sliding_window_counts_agree_full_and_half(window, tokens):
    spec = _small("mistral-7b", f"sliding_window={window}")
    blocks, tq, tk = band_blocks(tokens, window)
    per_pair = 4 * 64 * 2 * 2  # heads × head_dim × (QKᵀ + AV) × 2 layers
    assert _three(spec, seq_len=tokens).by_category["attn_scores"] == per_pair * blocks * tq * tk
    half = _three(spec, causal_half=True, seq_len=tokens)
    assert half.by_category["attn_scores"] == per_pair * band_pairs(tokens, window)


def test_sliding_window_module_equals_the_masked_dense_attention():
    import torch
    import torch.nn.functional as F

    from tfcli.blocks.attention import Attention
    from tfcli.spec import AttentionSpec

    torch.manual_seed(0)
    for tokens, window in [(10, 4), (33, 8), (9, 7), (12, 5)]:
        m = Attention.from_spec(AttentionSpec(32, 4, 2, causal=True, qkv_bias=False, sliding_window=window))
        x = torch.randn(2, tokens, 32)
        q, k, v = m.qkv(x).split([32, 16, 16], -1)
        q = q.view(2, tokens, 4, 8).transpose(1, 2)
        k, v = (t.view(2, tokens, 2, 8).transpose(1, 2).repeat_interleave(2, 1) for t in (k, v))
        i = torch.arange(tokens)
        band = (i[None, :] <= i[:, None]) & (i[None, :] > i[:, None] - window)
        ref = m.out(F.scaled_dot_product_attention(q, k, v, attn_mask=band).transpose(1, 2).reshape(2, tokens, 32))
        assert torch.allclose(m(x), ref, atol=1e-5)
        m.softcap = 1e4  # the soft-capped path (explicit matmuls) computes the same band
        assert torch.allclose(m(x), ref, atol=1e-4)


def test_mistral_kv_cache_stops_at_the_window():
    config = resolve("mistral-7b").config
    b = config.macs(config.resolve_input(InputShape(seq_len=128)))
    per_token = 32 * 2 * 8 * 128  # layers × K,V × kv heads × head_dim
    assert (b.kv_per_token, b.kv_windows) == (per_token, {4096: per_token})
    assert b.kv_elements(2048) == 2048 * per_token
    assert b.kv_elements(32768) == 4096 * per_token
    long = config.macs(config.resolve_input(InputShape(seq_len=32768)))
    # 8 blocks of 4096 × 8192 per head and layer, instead of 32768²
    assert long.macs["attn_scores"] == 32 * 32 * 8 * 4096 * 8192 * 128 * 2


def test_mistral_mac_pin_by_hand():
    d, T, kv, ffn, V = 4096, 128, 1024, 14336, 32000
    linear = 32 * T * (d * (d + 2 * kv) + d * d + 3 * d * ffn)
    scores = 32 * 2 * T * T * d
    norms = (2 * 32 + 1) * T * d * 5
    assert resolve("mistral-7b").config.macs(resolve("mistral-7b").config.resolve_input(InputShape())).total() \
        == linear + scores + norms + T * d * V == 914_595_774_464


def test_mistral_file_maps_the_window():
    m = _load("mistral.json")
    assert (m.family, m.sliding_window, m.num_kv_heads, m.ffn_dim) == ("mistral", 4096, 8, 14336)
    assert _load("mistral.json", sliding_window=None).sliding_window == 0  # v0.2+: dense
    with pytest.raises(SpecError, match="'LlamaForCausalLM' is not modelled; tfcli builds MistralForCausalLM"):
        _load("mistral.json", architectures=["LlamaForCausalLM"])


def test_unknown_rope_type_is_refused_known_is_noted(capsys):
    with pytest.raises(SpecError, match="field 'rope_scaling' has rope_type 'wavy'"):
        _load("mistral.json", rope_scaling={"rope_type": "wavy", "factor": 2.0})
    _load("mistral.json", rope_scaling={"type": "linear", "factor": 2.0})
    assert "'linear' RoPE scaling changes the rotation angles only" in capsys.readouterr().err
