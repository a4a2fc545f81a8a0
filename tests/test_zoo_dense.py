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
    "qwen3-0.6b.json": ("qwen3", 596_049_920),  # Qwen3ForCausalLM, tied
    "qwen3-8b.json": ("qwen3", 8_190_735_360),
    "llama3-8b.json": ("llama", 8_030_261_248),  # LlamaForCausalLM
    "llama3.1-8b.json": ("llama", 8_030_261_248),  # rope_scaling llama3: angles only
    "llama3.2-1b.json": ("llama", 1_235_814_400),  # tied
    "llama3.2-3b.json": ("llama", 3_212_749_824),  # tied
    "codellama-7b.json": ("llama", 6_738_546_688),  # vocab 32016, rope_theta 1e6
    "gemma-2b.json": ("gemma", 2_506_172_416),  # GemmaForCausalLM, tied, MQA
    "gemma-7b.json": ("gemma", 8_537_680_896),
    "gemma2-2b.json": ("gemma2", 2_614_341_888),  # Gemma2ForCausalLM
    "gemma2-9b.json": ("gemma2", 9_241_705_984),
    "gemma3-1b.json": ("gemma3", 999_885_952),  # Gemma3ForCausalLM (model_type gemma3_text), tied
    "olmo2-7b.json": ("olmo2", 7_298_617_344),  # Olmo2ForCausalLM
    "starcoder2-3b.json": ("starcoder2", 3_030_371_328),  # Starcoder2ForCausalLM, tied
    "starcoder2-7b.json": ("starcoder2", 7_173_923_840),
}

# transformers' FlopCounterMode on the same class on meta (eager attention, batch 1, 128 tokens):
# matmul MACs (FLOPs / 2; it counts no norms) = tfcli's closed form less its norms
HF_MATMUL_MACS = {
    "mistral-7b": 914_425_380_864, "qwen3-0.6b": 78_165_049_344, "qwen3-8b": 973_548_290_048,
    "llama3-8b": 964_891_246_592, "llama3.2-1b": 159_249_334_272, "llama3.2-3b": 414_028_136_448,
    "codellama-7b": 850_009_260_032, "gemma-2b": 321_988_329_472, "gemma-7b": 1_096_558_837_760,
    "gemma2-2b": 336_349_626_368, "gemma2-9b": 1_188_497_981_440, "gemma3-1b": 128_840_630_272,
    "olmo2-7b": 885_837_004_800, "starcoder2-3b": 390_774_915_072, "starcoder2-7b": 922_881_097_728,
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


@pytest.mark.parametrize("name", sorted(HF_MATMUL_MACS))
def test_matmul_macs_equal_transformers_flop_counter(name):
    config = resolve(name).config
    b = config.macs(config.resolve_input(InputShape()))
    assert b.total() - b.macs["norms"] == HF_MATMUL_MACS[name]


# -- Qwen3 -------------------------------------------------------------------------------------


def test_qwen3_norms_queries_and_keys_per_head():
    q = _load("qwen3-0.6b.json")
    assert (q.family, q.head_dim, q.d_model, q.num_heads, q.tie_embeddings) == ("qwen3", 128, 1024, 16, True)
    attn = q.layout()["decoder"].block.attention
    assert (attn.q_dim, attn.kv_out, attn.qk_norm.dim) == (2048, 1024, 128)
    assert attn.num_params() == 1024 * 2048 + 2 * 1024 * 1024 + 2048 * 1024 + 2 * 128  # no biases
    assert _three(_small("qwen3-0.6b"), seq_len=16).by_category["norms"] == 2 * 16 * (5 * 256 * 2 + 5 * (512 + 256)) + 16 * 256 * 5
    with pytest.raises(SpecError, match="field 'use_sliding_window' = true is not modelled"):
        _load("qwen3-0.6b.json", use_sliding_window=True)
    with pytest.raises(SpecError, match="field 'attention_bias' = True is not modelled"):
        _load("qwen3-0.6b.json", attention_bias=True)


def test_qwen3_module_norms_each_head():
    import torch

    from tfcli.build import build_model

    model = build_model(resolve("qwen3-0.6b", ["num_layers=1", "vocab_size=100"]).config, device="cpu")
    attn = model.decoder.layers[0].attn
    assert (attn.q_norm.normalized_shape, attn.qk_norm_per_head) == ((128,), True)
    assert model(torch.randint(0, 100, (1, 5))).shape == (1, 5, 100)


# -- Llama 3 / CodeLlama -----------------------------------------------------------------------


def test_llama3_files(capsys):
    l31 = _load("llama3.1-8b.json")
    assert (l31.vocab_size, l31.rope_theta, l31.num_kv_heads, l31.max_positions) == (128256, 500000.0, 8, 131072)
    assert "'llama3' RoPE scaling changes the rotation angles only" in capsys.readouterr().err
    small = _load("llama3.2-1b.json")
    assert (small.tie_embeddings, small.head_dim, small.head_size) == (True, None, 64)  # 2048 / 32
    code = _load("codellama-7b.json")
    assert (code.vocab_size, code.rope_theta, code.max_positions) == (32016, 1e6, 16384)
    odd = _load("llama3.2-1b.json", head_dim=128)  # decoupled head size: 32 × 128 over 2048
    assert odd.layout()["decoder"].block.attention.q_dim == 4096
    assert resolve("llama3.1-8b").config.num_params() == resolve("llama3-8b").config.num_params()


# -- Gemma / Gemma 2 ---------------------------------------------------------------------------


def test_gemma_reads_its_file():
    g = _load("gemma-2b.json")
    assert (g.activation, g.head_dim, g.num_kv_heads, g.tie_embeddings) == ("gelu_tanh", 256, 1, True)
    layout = g.layout()
    assert layout["tokens"].scale == 2048 ** 0.5
    assert layout["decoder"].block.norm.unit_offset
    assert _load("gemma-2b.json", hidden_act=None, hidden_activation="gelu_pytorch_tanh").num_params() == 2_506_172_416


def test_gemma_module_scales_embeddings_and_offsets_norms():
    import torch

    from tfcli.blocks.norms import OffsetRMSNorm
    from tfcli.build import build_model

    model = build_model(resolve("gemma-2b", ["num_layers=1", "vocab_size=100"]).config, device="cpu")
    norm = model.decoder.layers[0].attn_norm
    assert isinstance(norm, OffsetRMSNorm) and float(norm.weight.detach().abs().sum()) == 0.0  # (1 + 0) at init
    x = torch.randn(2, 2048)
    assert torch.allclose(norm(x), torch.nn.functional.rms_norm(x, (2048,), eps=1e-6), atol=1e-6)
    assert model.embed_scale == 2048 ** 0.5


def test_gemma2_alternates_sliding_and_global_layers():
    g = _load("gemma2-2b.json")
    stack = g.layout()["decoder"]
    windows = [b.attention.sliding_window for b in stack.blocks()]
    assert windows == [4096, 0] * 13  # layer 0 slides, layer 1 is global, ...
    assert stack.block.num_norms == 4 and stack.block.attention.softcap == 50.0
    assert g.layout()["lm_head"].softcap == 30.0
    assert stack.block.attention.scale == 256 ** -0.5
    b = g.macs(g.resolve_input(InputShape(seq_len=8192)))
    per_layer = 2 * 4 * 256
    assert b.kv_windows == {4096: 13 * per_layer} and b.kv_per_token == 26 * per_layer
    assert b.kv_elements(8192) == 13 * per_layer * 8192 + 13 * per_layer * 4096


def test_gemma2_small_variant_agrees_blocked_and_capped():
    spec = resolve("gemma2-2b", ["num_layers=3", "d_model=256", "ffn_dim=512", "vocab_size=1000", "sliding_window=32"])
    full, half = _three(spec), _three(spec, causal_half=True)
    per_pair = 8 * 256 * 2
    # layers 0 and 2 slide over 4 blocks of 32 × 64; layer 1 is global over 128²
    assert full.by_category["attn_scores"] == per_pair * (2 * 4 * 32 * 64 + 128 * 128)
    assert half.by_category["attn_scores"] == per_pair * (2 * band_pairs(128, 32) + 128 * 129 // 2)


def test_gemma2_file_refusals():
    with pytest.raises(SpecError, match="field 'layer_types' is not modelled"):
        _load("gemma2-2b.json", layer_types=["full_attention", "sliding_attention"] * 13)
    with pytest.raises(SpecError, match="use_bidirectional_attention"):
        _load("gemma2-2b.json", use_bidirectional_attention=True)
    assert _load("gemma2-2b.json", layer_types=["sliding_attention", "full_attention"] * 13).sliding_window_pattern == 2
    assert _load("gemma2-2b.json", attn_logit_softcapping=None).attn_softcap == 0.0


# -- Gemma 3 -----------------------------------------------------------------------------------


def test_gemma3_five_local_layers_per_global_one():
    g = _load("gemma3-1b.json")
    assert (g.family, g.sliding_window, g.sliding_window_pattern, g.attn_softcap, g.final_softcap) == \
        ("gemma3", 512, 6, 0.0, 0.0)
    assert (g.rope_theta, g.local_rope_theta) == (1e6, 1e4)
    blocks = g.layout()["decoder"].blocks()
    assert [i for i, b in enumerate(blocks) if not b.attention.sliding_window] == [5, 11, 17, 23]
    local, full = blocks[0].attention, blocks[5].attention
    assert (local.rope_theta, full.rope_theta, local.qk_norm.dim, local.qk_norm.unit_offset) == (1e4, 0.0, 256, True)
    # transformers 5's per-layer-type rope_parameters say the same
    new = _load("gemma3-1b.json", rope_theta=None, rope_local_base_freq=None, rope_parameters={
        "full_attention": {"rope_type": "default", "rope_theta": 1e6},
        "sliding_attention": {"rope_type": "default", "rope_theta": 1e4}})
    assert (new.rope_theta, new.local_rope_theta) == (1e6, 1e4)
    b = g.macs(g.resolve_input(InputShape(seq_len=32768)))
    per_layer = 2 * 256
    assert b.kv_elements(32768) == 4 * per_layer * 32768 + 22 * per_layer * 512


def test_gemma3_local_layers_rotate_with_their_own_base():
    import torch

    from tfcli.build import build_model

    model = build_model(resolve("gemma3-1b", ["num_layers=6", "vocab_size=100", "sliding_window=3", "d_model=64",
                                                      "head_dim=16", "ffn_dim=128"]).config,
                        device="cpu")
    layers = model.decoder.layers
    assert layers[0].attn.rope.base == 1e4 and layers[5].attn.rope is None and model.rope.base == 1e6
    assert hasattr(layers[0], "attn_post_norm") and hasattr(layers[0], "ffn_post_norm")
    assert torch.isfinite(model(torch.randint(0, 100, (1, 8)))).all()


# -- OLMo 2 ------------------------------------------------------------------------------------


def test_olmo2_norms_after_branches_and_whole_width_qk():
    o = _load("olmo2-7b.json")
    stack = o.layout()["decoder"]
    block = stack.block
    assert (block.pre_norm, block.branch_post_norm, block.num_norms, stack.has_final_norm) == (False, True, 2, True)
    assert [n.dim for n in block.attention.qk_norms] == [4096, 4096]
    gqa = _load("olmo2-7b.json", num_key_value_heads=8).layout()["decoder"].block.attention
    assert [n.dim for n in gqa.qk_norms] == [4096, 1024]  # K's norm spans the narrower K projection
    _three(_small("olmo2-7b"), seq_len=16)


def test_olmo2_block_adds_the_normed_branch():
    import torch

    from tfcli.build import build_model

    model = build_model(resolve("olmo2-7b", ["num_layers=1", "d_model=32", "num_heads=4", "num_kv_heads=4",
                                             "ffn_dim=64", "vocab_size=50"]).config, device="cpu")
    layer = model.decoder.layers[0]
    assert [n for n, _ in layer.named_children()] == ["attn", "attn_norm", "ffn", "ffn_norm"]  # as forward runs them
    x = torch.randn(1, 3, 32)
    with torch.no_grad():
        h = x + layer.attn_norm(layer.attn(x))
        expected = h + layer.ffn_norm(layer.ffn(h))
        assert torch.allclose(layer(x), expected)


# -- StarCoder2 --------------------------------------------------------------------------------


def test_starcoder2_biases_layernorm_and_window():
    c = _load("starcoder2-3b.json")
    assert (c.family, c.bias, c.tie_embeddings, c.sliding_window, c.activation) == ("starcoder2", True, True, 4096,
                                                                                  "gelu_tanh")
    block = c.layout()["decoder"].block
    assert (block.norm.kind, block.ffn.gated, block.ffn.bias, block.attention.qkv_bias, block.attention.has_out_bias) \
        == ("layer", False, True, True, True)
    assert _load("starcoder2-3b.json", use_bias=False).num_params() == 3_030_371_328 - 30 * (
        3072 + 2 * 256 + 3072 + 12288 + 3072)
    assert _three(_small("starcoder2-3b", "sliding_window=32"), causal_half=True).by_category["attn_scores"] == \
        4 * 64 * 2 * 2 * band_pairs(128, 32)
    with pytest.raises(SpecError, match="field 'norm_type' = 'rms_norm' is not modelled"):
        _load("starcoder2-3b.json", norm_type="rms_norm")
    with pytest.raises(SpecError, match="field 'mlp_type'"):
        _load("starcoder2-3b.json", mlp_type="gated")


# -- what the commands say ---------------------------------------------------------------------


def test_classification_names_the_sliding_layers():
    from tfcli.analysis.classify import classify
    from tfcli.build import build_model

    described = {n: classify(build_model(resolve(n).config, device="meta")).stacks[0].describe()
                 for n in ("gemma2-9b", "mistral-7b", "gemma3-1b", "qwen3-0.6b")}
    assert described == {
        "gemma2-9b": "decoder.layers: 42 × causal self-attention (sliding window 4096 on 21 of 42 layers)",
        "mistral-7b": "decoder.layers: 32 × causal self-attention (sliding window 4096 on 32 of 32 layers)",
        "gemma3-1b": "decoder.layers: 26 × causal self-attention (sliding window 512 on 22 of 26 layers)",
        "qwen3-0.6b": "decoder.layers: 28 × causal self-attention",
    }


def test_notes_on_windows_and_soft_caps():
    mistral = resolve("mistral-7b").config
    assert mistral.resolve_input(InputShape(seq_len=4096)).notes == []
    assert mistral.resolve_input(InputShape(seq_len=32768)).notes == [
        "sliding window 4096: scores of the windowed layers are computed in 8 blocks of 4096 queries × 8192 keys; "
        "their KV cache holds 4096 tokens, not 32768"]
    gemma2 = resolve("gemma2-2b").config
    assert gemma2.resolve_input(InputShape()).notes == [
        "soft-capping of attention scores (50) and output logits (30), cap·tanh(x/cap), is elementwise: not counted"]
    assert resolve("gemma3-1b").config.resolve_input(InputShape()).notes == []


def test_list_shows_the_new_families(run_cli):
    code, out, _ = run_cli("list", "--json")
    rows = {r["name"]: r for r in json.loads(out)["presets"]}
    assert code == 0
    for name, family in [("mistral-7b", "mistral"), ("qwen3-0.6b", "qwen3"), ("llama3.2-1b", "llama"),
                         ("codellama-7b", "llama"), ("gemma-2b", "gemma"), ("gemma2-9b", "gemma2"),
                         ("gemma3-1b", "gemma3"), ("olmo2-7b", "olmo2"), ("starcoder2-7b", "starcoder2")]:
        assert rows[name]["family"] == family
    assert resolve("mistralai/Mistral-7B-v0.1").name == "mistral-7b"
    assert resolve("google/gemma-3-1b-pt").name == "gemma3-1b"


def test_complexity_caps_the_kv_cache_at_the_window():
    """Mistral-7B: 32 layers × 8 kv heads × 128 × 2 (K, V) × 2 bytes = 128 KiB a token; every
    layer keeps at most 4096 tokens, so the cache stops growing at 512 MiB."""
    from tfcli.analysis.complexity import complexity_report
    from tfcli.catalog import resolve

    r = complexity_report(resolve("mistral-7b"), [2048, 4096, 32768], None)
    assert [p.kv_cache_bytes for p in r.points] == [256 * 2**20, 512 * 2**20, 512 * 2**20]
