"""`tfcli compare`: facts read from the built models, differing rows flagged."""

import json

import pytest


@pytest.fixture(scope="module")
def bert_gpt():
    from tfcli.analysis.compare import compare
    from tfcli.registry import resolve

    return {r.key: r for r in compare([resolve("bert"), resolve("gpt2")], seq_len=128).rows}


def test_classes_positions_attention(bert_gpt):
    r = bert_gpt
    assert r["class"].raw == ["encoder-only", "decoder-only"]
    assert r["positions"].raw == ["learned absolute (512)", "learned absolute (1024)"]
    assert r["attention"].raw == ["bidirectional ×12", "causal ×12"]
    assert r["heads"].raw == ["12 × 64", "12 × 64"] and not r["heads"].differ
    assert r["norm"].raw == ["post-norm LayerNorm", "pre-norm LayerNorm"]
    assert r["ffn"].raw == ["GELU MLP 768→3072", "GELU (tanh) MLP 768→3072"]
    assert r["vocab"].raw == [30522, 50257]
    assert r["context"].raw == [512, 1024]
    assert r["objective"].raw[0].startswith("masked language modelling")


def test_exact_params_flops_cache(bert_gpt):
    r = bert_gpt
    assert r["params"].raw == [109_482_240, 124_439_808]
    assert r["params_embedding"].raw == [23_835_648, 39_383_808]  # tokens + positions (+ segments)
    assert r["params_non_embedding"].raw == [85_646_592, 85_056_000]
    # tfcli flops' MACs at batch 1 × 128 tokens (norms at numel×5), FLOPs = 2 × MACs
    assert r["flops"].raw == [2 * 11_186_503_680, 2 * 16_126_377_984]
    assert r["flops"].label == "forward FLOPs (2 × MACs)"
    assert r["attention_share"].raw == [0.3509, 0.2434]
    # GPT-2: 2 (K and V) × 12 layers × 12 heads × 64 × 2 bytes; BERT generates nothing
    assert r["kv_cache_bytes_per_token"].raw == [None, 36_864]
    assert r["class"].differ and not r["modality"].differ and not r["layers"].differ


def test_gqa_and_rope():
    from tfcli.analysis.compare import compare
    from tfcli.registry import resolve

    rows = {r.key: r for r in compare([resolve("tinyllama"), resolve("t5-small")], seq_len=64).rows}
    assert rows["heads"].raw == ["32 q / 4 kv × 64 (GQA)", "8 × 64"]
    assert rows["positions"].raw == ["rotary (RoPE, θ=10000)", "relative bias (32 buckets)"]
    assert rows["ffn"].raw == ["SwiGLU 2048→5632", "ReLU MLP 512→2048"]
    assert rows["layers"].raw == [{"decoder": 22}, {"encoder": 6, "decoder": 6}]
    assert rows["attention"].raw[1] == "bidirectional ×6, causal ×6, cross ×6"
    # TinyLlama: 2 × 22 layers × 4 kv heads × 64 × 2 bytes
    assert rows["kv_cache_bytes_per_token"].raw[0] == 22_528


def test_cli_json_markdown_table(run_cli):
    code, out, err = run_cli("compare", "bert", "gpt2", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["models"] == ["bert-base", "gpt2"]
    by_key = {r["key"]: r for r in data["rows"]}
    assert by_key["class"]["differ"] is True and by_key["modality"]["differ"] is False

    code, out, err = run_cli("compare", "bert", "gpt2", "--markdown")
    assert code == 0, err
    assert "| **class** | **encoder-only** | **decoder-only** |" in out
    assert "| modality | text | text |" in out

    code, out, err = run_cli("compare", "bert", "gpt2", "--seq-len", "64")
    assert code == 0, err
    assert "bert-base" in out and "masked language modelling" in out


def test_cli_errors(run_cli):
    code, out, err = run_cli("compare", "bert")
    assert code == 2 and "at least two models" in err
    code, out, err = run_cli("compare", "bert", "nosuchmodel")
    assert code == 2 and "unknown architecture 'nosuchmodel'" in err


def test_flops_row_is_the_flops_count_for_every_kind_of_model():
    """compare's FLOPs come from tfcli.analysis.flops' convention: 2 × the MACs `tfcli flops`
    reports (vision at the default image size, SD's 128-token prompt past its 77 positions)."""
    from tfcli.analysis.compare import compare
    from tfcli.registry import resolve

    c = compare([resolve("vit-b16"), resolve("sam-b")], seq_len=128)
    rows = {r.key: r for r in c.rows}
    assert rows["flops"].raw == [2 * 17_582_740_224, 2 * 488_254_783_232]
    assert "FLOPs = 2 × MACs" in c.notes[0] and "the closed form" in c.notes[0]
