"""Attention's cost against sequence length: exact points, the crossover, memory, bad input."""

import json

import pytest

from tfcli.analysis.complexity import complexity_report
from tfcli.catalog import resolve


def test_bert_base_crossover_is_4608():
    # scores 2·n²·d per layer against n·(4d² + 2·d·4d) of linear layers: n = 6d = 4608
    r = complexity_report(resolve("bert-base"), None, None)
    assert r.crossover.tokens == 4608
    assert r.crossover.exact == 4608.0


def test_bare_dims_crossover_is_six_d():
    r = complexity_report(None, [128], None, bare=dict(d_model=768, heads=12, ffn=3072))
    assert r.crossover.tokens == 4608
    r = complexity_report(None, [128], None, bare=dict(d_model=1024, heads=16, ffn=4096, layers=24))
    assert r.crossover.tokens == 6 * 1024


def test_crossover_is_computed_for_the_model_not_assumed():
    # Llama 2 70B: GQA narrows K/V (8 of 64 heads), SwiGLU widens the FFN:
    # n = (d + 2·kv + d + 3·ffn) / 2 = (8192 + 2048 + 8192 + 3·28672) / 2
    r = complexity_report(resolve("llama2-70b"), [128], None)
    assert r.crossover.tokens == 52224
    # causal half: scores n(n+1)·d against n·(linear): n + 1 = 2·52224
    r = complexity_report(resolve("llama2-70b"), [128], None, causal_half=True)
    assert r.crossover.tokens == 2 * 52224 - 1


def test_points_are_exact_and_params_constant():
    r = complexity_report(resolve("bert-base"), [128, 256], None, dtype="fp32")
    p128, p256 = r.points
    assert p128.scores == 12 * 2 * 128**2 * 768
    assert p256.scores == 4 * p128.scores  # quadratic
    assert p256.proj == 2 * p128.proj and p256.ffn == 2 * p128.ffn  # linear
    assert p128.attn_matrix_bytes == 12 * 128 * 128 * 4  # one layer, B·heads·n²·fp32
    assert p128.fused_bytes == 12 * 128 * 4  # O(n): a log-sum-exp per row
    assert r.params == 109_482_240
    assert not r.has_kv_cache


def test_kv_cache_for_decoders():
    r = complexity_report(resolve("llama2-7b"), [4096], None, dtype="fp16")
    # 2 (K, V) × 32 layers × 4096 tokens × 4096 wide × 2 bytes = 2 GiB
    assert r.points[0].kv_cache_bytes == 2 * 32 * 4096 * 4096 * 2
    gqa = complexity_report(resolve("llama2-70b"), [4096], None, dtype="fp16")
    assert gqa.points[0].kv_cache_bytes == 2 * 80 * 4096 * 1024 * 2  # 8 KV heads × 128


def test_default_sweep_spans_the_crossover():
    r = complexity_report(resolve("gpt3-175b"), None, None)
    assert r.crossover.tokens == 6 * 12288
    assert [p.x for p in r.points][0] == 128
    assert max(p.x for p in r.points) >= r.crossover.tokens
    assert complexity_report(resolve("bert-base"), None, 1024).points[-1].x == 1024


def test_cli_table_chart_and_plot(run_cli, tmp_path):
    svg = tmp_path / "c.svg"
    code, out, err = run_cli("complexity", "bert-base", "--seq-len", "128,1024,8192", "--plot", str(svg))
    assert code == 0, err
    assert "n = 4608 tokens" in out
    assert "at every length" in out
    assert "share of MACs by length" in out
    assert "extended" in out  # 8192 > 512 positions
    text = svg.read_text()
    assert text.startswith("<svg") and "crossover 4608" in text


def test_cli_png_plot(run_cli, tmp_path):
    pytest.importorskip("PIL")
    png = tmp_path / "c.png"
    code, out, err = run_cli("complexity", "--d-model", "512", "--heads", "8", "--max", "4096", "--plot", str(png))
    assert code == 0, err
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cli_json(run_cli):
    code, out, err = run_cli("complexity", "gpt2", "--max", "2048", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert [p["seq_len"] for p in data["points"]] == [128, 256, 512, 1024, 2048]
    assert data["crossover_tokens"] == 6 * 768
    assert data["points"][0]["kv_cache_bytes"] == 2 * 12 * 128 * 768 * 2
    assert data["params"] == 124_439_808


@pytest.mark.parametrize(
    "args, message",
    [
        (("bert-base", "--seq-len", "0"), "--seq-len values must be positive; got 0"),
        (("bert-base", "--seq-len", "-128,256"), "--seq-len values must be positive"),
        (("bert-base", "--seq-len", "128,,256"), "--seq-len expects comma-separated positive integers"),
        (("bert-base", "--seq-len", "128;256"), "--seq-len expects comma-separated positive integers"),
        (("bert-base", "--max", "0"), "--max must be a positive integer, got 0"),
        (("bert-base", "--seq-len", "128", "--max", "512"), "not both"),
        (("bert-base", "--image-size", "224"), "sweep --seq-len, not --image-size"),
        (("bert-base", "--plot", "out.pdf"), "--plot writes .svg, .png"),
        (("--d-model", "100", "--heads", "12"), "must be divisible by --heads"),
        ((), "give a model"),
        (("bert-base", "--dtype", "int3"), "--dtype must be one of"),
    ],
)
def test_cli_bad_input(run_cli, args, message):
    code, out, err = run_cli("complexity", *args)
    assert code == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1


def test_vision_mode_sweeps_image_sides():
    """A ViT's tokens grow with the image area; the sweep runs over image sides.
    vit-b16 has BERT-base's blocks (d 768, 12 heads, ffn 3072), so the crossover is BERT's 4608."""
    r = complexity_report(resolve("vit-b16"), None, 896)
    assert r.mode == "image"
    assert [p.x for p in r.points] == [224, 448, 896]
    assert [p.tokens for p in r.points] == [197, 785, 3137]
    # tokens ≈ side², scores ≈ side⁴
    assert 15 < r.points[1].scores / r.points[0].scores < 16
    # first side past the crossover: (s//16)² + 1 ≥ 4608 needs 68 patches a side → s = 1088
    assert r.crossover.image_size == 1088 and r.crossover.tokens == 4625
    assert any("fourth power" in n for n in r.notes)


@pytest.mark.parametrize("name, step", [("vit-b16", 16), ("sam-b", 16), ("sd15-unet", 64), ("sd15", 64), ("sd15-vae", 8)])
def test_vision_families_sweep_with_their_closed_form(name, step):
    """No fvcore trace per point: the closed form, image sides in steps the model accepts."""
    r = complexity_report(resolve(name), None, None)
    assert r.method == "analytic"
    assert resolve(name).config.image_step() == step
    assert r.crossover.image_size and r.crossover.image_size % step == 0
    assert all(p.x % step == 0 for p in r.points)


def test_sam_sweep_reports_its_windowed_scores():
    r = complexity_report(resolve("sam-b"), [1024, 2048], None)
    assert [p.tokens for p in r.points] == [4096, 16384]
    # 8 windowed layers: 5² → 10² windows of 14² tokens (+ the decomposed rel-pos terms)
    assert r.points[0].windowed == 8 * (2 * 4900 * 196 * 768 + 2 * 4900 * 14 * 768)
    assert r.points[1].windowed == 4 * r.points[0].windowed
    assert r.crossover.image_size == 1888


def test_encoder_that_never_generates_has_no_kv_cache(run_cli):
    """CLIP's text tower is causally masked but has no LM head: nothing is generated, so
    there is no cache to size (it showed a column of 0 B)."""
    r = complexity_report(resolve("sd15-text"), [77], None)
    assert not r.has_kv_cache
    assert r.to_dict()["points"][0]["kv_cache_bytes"] is None
    code, out, err = run_cli("complexity", "sd15-text", "--seq-len", "77")
    assert code == 0, err
    assert "KV cache" not in out and " 0 B" not in out
    code, out, err = run_cli("complexity", "sd15-text", "--seq-len", "77", "--json")
    assert json.loads(out)["points"][0]["kv_cache_bytes"] is None
    assert complexity_report(resolve("gpt2"), [128], None).has_kv_cache  # a decoder still has one


def test_bare_dims_say_what_they_count(run_cli):
    """Parameters: the four attention and two FFN matrices; MACs add the two norms per block."""
    r = complexity_report(None, [128], None, bare=dict(d_model=768, heads=12, ffn=3072))
    assert r.params == 4 * 768 * 768 + 2 * 768 * 3072 == 7_077_888
    assert r.points[0].other == 2 * 128 * 768 * 5 == 983_040  # two norms at numel × 5, as fvcore
    code, out, err = run_cli("complexity", "--d-model", "768", "--heads", "12", "--ffn", "3072", "--seq-len", "128")
    assert code == 0, err
    assert ("note: bare dimensions: parameters are the weight matrices only (no biases, norms or "
            "embeddings); MACs also count two norms per block (numel × 5 each, as fvcore)") in " ".join(out.split())
    assert "no biases, norms or embeddings)\n" not in out


def test_causal_half_on_an_encoder_says_it_changes_nothing(run_cli):
    full = complexity_report(resolve("bert-base"), [128], None)
    half = complexity_report(resolve("bert-base"), [128], None, causal_half=True)
    assert half.points[0].scores == full.points[0].scores == 12 * 2 * 128**2 * 768
    assert not half.has_causal and half.to_dict()["has_causal_attention"] is False
    code, out, err = run_cli("complexity", "bert-base", "--seq-len", "128", "--causal-half")
    assert code == 0, err
    text = " ".join(out.split())
    assert "the masked half" not in text
    assert "no causal attention in bert-base, so --causal-half changes nothing" in text
    code, out, err = run_cli("complexity", "gpt2", "--seq-len", "128", "--causal-half")
    assert "causal attention: the masked half" in " ".join(out.split())


def test_encoder_decoder_kv_cache_holds_the_cross_attention_keys_and_values():
    """t5-small at 128 + 128 tokens: 6 decoder layers cache self K/V (2·512 per token) and,
    once per sequence, the cross-attention K/V of the 128 encoder tokens (2·512 each)."""
    r = complexity_report(resolve("t5-small"), [128], None)
    self_kv = 6 * 2 * 512 * 128
    cross_kv = 6 * 2 * 512 * 128
    assert r.points[0].kv_cache_bytes == (self_kv + cross_kv) * 2  # bf16
