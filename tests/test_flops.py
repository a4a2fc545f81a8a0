"""MACs by three methods: fvcore, torch's FlopCounterMode and the closed form.

The pinned totals are MACs at each preset's default input (batch 1, 128 tokens; encoder-
decoders 128 source + 128 target tokens; CLIP text 77 tokens; images at the preset's size;
SAM with one click), causal scores counted in full, norms at numel×5. Every family has a
closed form and all three methods agree exactly, category by category.
fvcore on transformers' own eager models agrees where it was run: BertModel (with pooler)
11,186,503,680 and GPT2LMHeadModel 16,126,377,984 at 128 tokens.
"""

import json

import pytest

from tfcli.analysis.analytic import count_analytic
from tfcli.analysis.flops import AGREEMENT, count_fvcore, count_torch, flops_report
from tfcli.build import build_model
from tfcli.catalog import families, presets, resolve
from tfcli.spec import InputShape

MACS = {name: p.macs for name, p in presets().items()}  # the records' pins
SLOW = {name for name, p in presets().items() if p.slow}


def _params(names):
    return [pytest.param(n, marks=pytest.mark.slow) if n in SLOW else n for n in sorted(names)]


@pytest.mark.parametrize("name", _params(MACS))
def test_three_methods_agree_on_the_pinned_count(name):
    report = flops_report(resolve(name), InputShape(), ("fvcore", "torch", "analytic"))
    totals = {m: c.total for m, c in report.counts.items()}
    assert totals == {"fvcore": MACS[name], "torch": MACS[name], "analytic": MACS[name]}
    assert report.spread() <= AGREEMENT
    for method in ("fvcore", "torch"):
        c = report.counts[method]
        assert c.uncounted == {}, f"{method} left ops without a handle: {c.uncounted}"
        # category by category, not only the sum
        assert c.by_category == report.counts["analytic"].by_category


def test_vit_b16_meets_the_published_figure():
    """timm vit_base_patch16_224 under fvcore (unfused attention, so its matmuls are seen):
    17,582,740,224 = 17.58 GMACs (/work/refs/flops.json); convs traced on meta included."""
    report = flops_report(resolve("vit-b16"), InputShape(), ("fvcore",))
    assert report.primary.total == 17_582_740_224
    assert report.primary.by_category["embeddings"] == 115_605_504  # the 16×16 patch conv


def test_every_family_has_a_closed_form():
    for name, fam in families().items():
        config = fam.presets[0].config()
        assert list(config.layout()), name
        assert config.macs(config.resolve_input(InputShape())).total() > 0, name


# independent copies of a few records' MAC pins (a record edited by mistake cannot move them)
KNOWN = {"bert-base": 11_186_503_680, "gpt2": 16_126_377_984, "vit-b16": 17_582_740_224,
         "t5-small": 8_055_160_832, "sam-b": 488_254_783_232, "sd15-unet": 402_035_261_440,
         "qwen2.5-0.5b": 63_959_777_280}


@pytest.mark.parametrize("name", sorted(KNOWN))
def test_records_keep_the_mac_references(name):
    assert MACS[name] == KNOWN[name]


# variants the presets do not cover: other sizes and batches, --set changes, SAM's prompt kinds
VARIANTS = [
    ("vit-s16", [], dict(batch=2, image_size=384)),  # the position table resampled
    ("vit-b32", ["num_classes=0"], dict(image_size=160)),
    ("dinov2-g14-reg", ["num_layers=2"], dict(image_size=224, batch=3)),  # SwiGLU, registers
    ("clip-b16", [], dict(batch=2, seq_len=20, image_size=320)),  # 2×2 logits
    ("sd15-text", [], dict(seq_len=16, batch=2)),
    ("sam-b", ["num_layers=3", "global_attn_indexes=[1]"], dict(batch=2)),  # image PE once per batch
    ("sam-b", ["num_layers=2", "global_attn_indexes=[1]"], dict(prompt="points=3")),
    ("sam-b", ["num_layers=2", "global_attn_indexes=[0]"], dict(prompt="box")),
    ("sam-b", ["num_layers=2", "global_attn_indexes=[0]"], dict(prompt="points=2,box,mask")),
    ("sam-b", ["num_layers=2", "global_attn_indexes=[0]", "window_size=16"], dict(prompt="mask")),
    ("sam-b", ["num_layers=2", "global_attn_indexes=[1]", "image_size=512", "iou_head_depth=2"], {}),
    ("sd15-unet", ["layers_per_block=1", "transformer_layers_per_block=2"], dict(batch=2, seq_len=10, image_size=256)),
    ("sd15-unet", ["block_out_channels=[64,128,256]", "down_block_types=[plain,cross,cross]",
                   "up_block_types=[cross,cross,plain]", "num_heads=4"], dict(image_size=128)),
    ("sd15-vae", ["block_out_channels=[32,64]", "layers_per_block=1"], dict(image_size=64, batch=2)),
    ("sd15", ["unet.layers_per_block=1", "vae.layers_per_block=1", "text.num_layers=2"],
     dict(image_size=256, seq_len=12)),  # the sd family in the fast run (sd15 itself is slow)
]


@pytest.mark.parametrize("name, sets, shape", VARIANTS, ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(VARIANTS)])
def test_closed_forms_follow_the_config_and_the_input(name, sets, shape):
    report = flops_report(resolve(name, sets), InputShape(**shape), ("fvcore", "torch", "analytic"))
    analytic = report.counts["analytic"]
    for method in ("fvcore", "torch"):
        c = report.counts[method]
        assert c.uncounted == {}, f"{method} left ops without a handle: {c.uncounted}"
        assert c.by_category == analytic.by_category, method


def test_vision_closed_forms_by_hand():
    """The families' own formulas (matmuls and convs only) plus fvcore's norms."""
    def macs(name):
        b = count_analytic(resolve(name).config, InputShape())
        return b.total() - b.macs["norms"], b

    # ViT-B/16: N = 197, patch conv 196·16²·3·768, 12 × (4Nd² + 2N²d + 2N·d·4d), head on [CLS]
    n, d = 197, 768
    vit, _ = macs("vit-b16")
    assert vit == 196 * 768 * 768 + 12 * (4 * n * d * d + 2 * n * n * d + 8 * n * d * d) + d * 1000
    assert vit == 17_563_828_224
    clip, _ = macs("clip-b32")
    assert clip == 7_388_582_400
    # SAM-B: 4 global layers over T = 4096, 8 windowed over 25 windows of 14² (T_w = 4900)
    sam, b = macs("sam-b")
    assert sam == 487_851_018_752
    T, Tw = 4096, 4900
    assert b.windowed_scores == 8 * (2 * Tw * 196 * d + 2 * Tw * 14 * d)
    global_scores = 4 * (2 * T * T * d + 2 * T * 64 * d)
    decoder_scores = 2 * 2 * 7 * 7 * 256 + 5 * 2 * 7 * T * 128
    assert b.macs["attn_scores"] == b.windowed_scores + global_scores + decoder_scores
    unet, _ = macs("sd15-unet")
    assert unet == 401_636_720_640


def test_windowed_scores_grow_linearly_global_ones_quadratically():
    config = resolve("sam-b").config
    small, big = (count_analytic(config, InputShape(image_size=s)) for s in (1024, 2048))
    # 64² → 128² tokens: windows 5² → 10² (×4, linear); global scores ×16
    assert big.windowed_scores == 4 * small.windowed_scores
    assert big.attn_matrix == 16 * small.attn_matrix  # B·heads·T² of a global layer


def test_bert_base_by_hand():
    # 12 layers × 128 tokens × (4·768² + 2·768·3072) + scores 12 × 2·128²·768
    # + pooler 768² + 25 LayerNorms × 128·768 × 5
    linear = 12 * 128 * (4 * 768**2 + 2 * 768 * 3072)
    scores = 12 * 2 * 128**2 * 768
    assert MACS["bert-base"] == linear + scores + 768**2 + 25 * 128 * 768 * 5
    b = count_analytic(resolve("bert-base").config, InputShape())
    assert b.macs["attn_scores"] == scores


def test_sdpa_is_counted_not_skipped():
    """fvcore has no handle of its own for aten::scaled_dot_product_attention: tfcli's is used."""
    model = build_model(resolve("gpt2").config)
    c = count_fvcore(model, model.example_inputs(InputShape(seq_len=128), "meta"))
    assert c.by_operator["scaled_dot_product_attention"] == 12 * 2 * 128 * 128 * 768
    assert "scaled_dot_product_attention" not in c.uncounted


def test_cpu_flash_kernel_is_counted_by_torch():
    """On real CPU tensors SDPA dispatches to _scaled_dot_product_flash_attention_for_cpu,
    which FlopCounterMode alone counts as 0."""
    spec = resolve("gpt2", ["num_layers=2", "d_model=64", "num_heads=4", "ffn_dim=256", "vocab_size=100"])
    counts = {}
    for device in ("meta", "cpu"):
        model = build_model(spec.config, device=device)
        c = count_torch(model, model.example_inputs(InputShape(seq_len=16), device))
        counts[device] = c
    assert counts["cpu"].by_operator["_scaled_dot_product_flash_attention_for_cpu"] == 2 * 2 * 16 * 16 * 64
    assert counts["cpu"].total == counts["meta"].total == 1_766_400


def test_gqa_scores_count_every_query_head():
    config = resolve("tinyllama-1.1b").config  # 32 query heads, 4 key/value heads
    b = count_analytic(config, InputShape(seq_len=128))
    assert b.macs["attn_scores"] == 22 * 2 * 128 * 128 * 2048
    # K and V projections at the narrow width: 2048 → 2048 + 2·256
    assert b.macs["attn_proj"] == 22 * 128 * (2048 * (2048 + 2 * 256) + 2048 * 2048)


def test_causal_half_counts_the_lower_triangle():
    full = flops_report(resolve("gpt2"), InputShape(), ("fvcore", "torch", "analytic"))
    half = flops_report(resolve("gpt2"), InputShape(), ("fvcore", "torch", "analytic"), causal_half=True)
    scores_full = 12 * 2 * 128 * 128 * 768
    scores_half = 12 * 2 * (128 * 129 // 2) * 768
    for m in ("fvcore", "torch", "analytic"):
        assert full.counts[m].by_category["attn_scores"] == scores_full
        assert half.counts[m].by_category["attn_scores"] == scores_half
        assert full.counts[m].total - half.counts[m].total == scores_full - scores_half


def test_causal_half_leaves_bidirectional_and_cross_attention_alone():
    full = flops_report(resolve("t5-small"), InputShape(), ("fvcore", "analytic"))
    half = flops_report(resolve("t5-small"), InputShape(), ("fvcore", "analytic"), causal_half=True)
    saved = 6 * 8 * (128 * 128 - 128 * 129 // 2) * 64 * 2  # decoder self-attention only
    for m in ("fvcore", "analytic"):
        assert full.counts[m].total - half.counts[m].total == saved
    bert = flops_report(resolve("bert-base"), InputShape(), ("fvcore",), causal_half=True)
    assert bert.primary.total == MACS["bert-base"]


def test_tied_head_counts_once_in_params_and_per_use_in_macs():
    report = flops_report(resolve("gpt2"), InputShape(), ("fvcore",))
    assert report.params == 124_439_808
    assert report.primary.by_category["heads"] == 128 * 768 * 50257
    assert any("lm_head.proj.weight = tokens.weight" in t for t in report.tied)


def test_batch_and_lengths_scale_the_count():
    one = flops_report(resolve("bert-base"), InputShape(), ("analytic",)).primary.total
    four = flops_report(resolve("bert-base"), InputShape(batch=4), ("analytic",)).primary.total
    assert four == 4 * one
    b = count_analytic(resolve("t5-small").config, InputShape(seq_len=64, tgt_len=32))
    m = build_model(resolve("t5-small").config)
    measured = count_fvcore(m, m.example_inputs(InputShape(seq_len=64, tgt_len=32), "meta"))
    assert measured.total == b.total()


def test_cli_shows_convention_and_units(run_cli):
    code, out, err = run_cli("flops", "gpt2")
    assert code == 0, err
    assert "16.13 GMACs = 32.25 GFLOPs" in out
    assert "16,126,377,984 MACs" in out
    assert "FLOPs = 2 × MACs" in out
    assert "full n×n score matrix" in out
    assert "decoder.layers.*" in out and "12" in out
    assert "elementwise, not counted by convention" in out


def test_cli_all_methods_side_by_side(run_cli):
    code, out, err = run_cli("flops", "bert-base", "--method", "all", "--depth", "0")
    assert code == 0, err
    for word in ("fvcore", "torch", "analytic", "max diff", "11,186,503,680"):
        assert word in out


def test_cli_json(run_cli):
    code, out, err = run_cli("flops", "t5-small", "--json", "--method", "all", "--seq-len", "64", "--tgt-len", "32")
    assert code == 0, err
    data = json.loads(out)
    assert data["inputs"] == {"input_ids": [1, 64], "decoder_input_ids": [1, 32]}
    assert data["flops"] == 2 * data["macs"]
    assert data["max_relative_difference"] == 0
    assert set(data["methods"]) == {"fvcore", "torch", "analytic"}


def test_cli_past_the_position_table_is_counted_and_said(run_cli):
    code, out, err = run_cli("flops", "bert-base", "--seq-len", "1024", "--depth", "0")
    assert code == 0, err
    assert "exceeds the learned position table (512)" in out
    assert "extended" in out


@pytest.mark.parametrize(
    "args, message",
    [
        (("--seq-len", "0"), "--seq-len must be a positive integer, got 0"),
        (("--seq-len", "-5"), "--seq-len must be a positive integer, got -5"),
        (("--batch", "0"), "--batch must be a positive integer, got 0"),
        (("--tgt-len", "-1"), "--tgt-len must be a positive integer, got -1"),
        (("--method", "flop"), "--method must be one of fvcore, torch, analytic, all"),
    ],
)
def test_cli_bad_input(run_cli, args, message):
    code, out, err = run_cli("flops", "bert-base", *args)
    assert code == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1


def test_help_does_not_import_torch():
    import subprocess
    import sys

    code = "import sys; from tfcli.cli.app import app; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_causal_half_on_an_encoder_says_it_changes_nothing(run_cli):
    code, out, err = run_cli("flops", "bert-base", "--causal-half", "--depth", "0")
    assert code == 0, err
    text = " ".join(out.split())
    assert "11,186,503,680 MACs" in text  # the same count as without the flag
    assert "the masked half" not in text
    assert "no causal attention in bert-base, so --causal-half changes nothing" in text
    code, out, err = run_cli("flops", "gpt2", "--causal-half", "--depth", "0")
    assert "causal attention: the masked half, Tq(Tq+1)/2 pairs" in " ".join(out.split())


def test_analysis_never_imports_render():
    """Data flows one way: analysis returns dataclasses, render draws them (lazy imports too)."""
    import ast
    from pathlib import Path

    import tfcli

    root = Path(tfcli.__file__).parent
    found = []
    for path in sorted((root / "analysis").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            found += [f"{path.relative_to(root)}: {n}" for n in names if n.startswith("tfcli.render")]
    assert found == []
