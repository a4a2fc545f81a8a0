"""`tfcli compare`: facts read from the built models, differing rows flagged."""

import json

import pytest

from tfcli.spec import InputShape


@pytest.fixture(scope="module")
def bert_gpt():
    from tfcli.analysis.compare import compare
    from tfcli.catalog import resolve

    return {r.key: r for r in compare([resolve("bert"), resolve("gpt2")], InputShape(seq_len=128)).rows}


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
    from tfcli.catalog import resolve

    rows = {r.key: r for r in compare([resolve("tinyllama"), resolve("t5-small")], InputShape(seq_len=64)).rows}
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


@pytest.fixture(scope="module")
def vision():
    from tfcli.analysis.compare import compare
    from tfcli.catalog import resolve

    names = ("vit-b16", "clip-b32", "sam-b", "sd15-unet")
    return {r.key: r for r in compare([resolve(n) for n in names], InputShape(seq_len=64)).rows}


def test_vision_rows(vision):
    r = vision
    assert r["class"].raw == ["encoder-only", "dual-encoder", "encoder + conditioned decoder", "conv-denoiser"]
    assert r["modality"].raw == ["vision", "image+text", "image+prompts", "image latents + text"]
    assert r["input"].raw == [
        "image 3×224×224 → patches",
        "tokens 64 (input_ids), image 3×224×224 → patches (pixel_values)",
        "image 3×1024×1024 → patches (pixel_values), points 1×1×2 (input_points), point labels 1×1 (input_labels)",
        "latents 4×64×64 (sample), timestep, text states 64×768 (encoder_hidden_states)",
    ]
    assert r["positions"].raw == [
        "learned absolute (197)",  # [CLS] + 14×14 patches
        "learned absolute (77), learned absolute (50)",  # text table, vision table
        "learned absolute (64×64 grid), random Fourier features, relative (decomposed, learned)",
        "none",
    ]
    # SAM: 12 encoder layers (8 of them in 14×14 windows) + 2 two-way decoder self-attentions;
    # cross: 2 layers × (token→image, image→token) + the final token→image
    assert r["attention"].raw == [
        "bidirectional ×12", "causal ×12, bidirectional ×12", "bidirectional ×14 (8 windowed), cross ×5",
        "bidirectional ×16, cross ×16",
    ]
    assert r["heads"].raw[2] == "12 × 64, 8 × 32, 8 × 16"  # decoder cross-attention at 256 / 2
    assert r["vocab"].raw == [None, 49408, None, None]  # SAM's 4 mask tokens are not a vocabulary
    assert r["context"].raw == [None, 77, None, None]
    assert r["params"].raw == [86_567_656, 151_277_313, 93_735_728, 859_520_964]
    assert r["flops"].raw[0] == 2 * 17_582_740_224  # FLOPs = 2 × the MACs fvcore gives timm's ViT-B/16
    assert r["layers"].raw[2] == {"image_encoder": 12, "mask_decoder": 2}


def test_vit_dinov2_compare_runs(run_cli):
    # used to crash: VisionPositions returned its Parameter, which FlopCounterMode's module
    # tracker cannot hook under inference mode
    code, out, err = run_cli("compare", "vit-b16", "dinov2-b14", "--json")
    assert code == 0, err
    rows = {r["key"]: r for r in json.loads(out)["rows"]}
    assert rows["positions"]["values"] == ["learned absolute (197)", "learned absolute (1370)"]


def test_flops_row_is_the_flops_count_for_every_kind_of_model():
    """compare's FLOPs come from tfcli.analysis.flops' convention: 2 × the MACs `tfcli flops`
    reports (vision at the default image size, SD's 128-token prompt past its 77 positions)."""
    from tfcli.analysis.compare import compare
    from tfcli.catalog import resolve

    c = compare([resolve("vit-b16"), resolve("sam-b")], InputShape(seq_len=128))
    rows = {r.key: r for r in c.rows}
    assert rows["flops"].raw == [2 * 17_582_740_224, 2 * 488_254_783_232]
    assert "FLOPs = 2 × MACs" in c.notes[0] and "closed form" in c.notes[0]


def test_active_parameters_row_for_a_mixture_of_experts():
    from tfcli.analysis.compare import compare
    from tfcli.catalog import resolve

    one = ["num_layers=1"]
    rows = {r.key: r for r in compare([resolve("mixtral-8x7b", one), resolve("llama2-7b", one)]).rows}
    # Mixtral: 8 experts of 3·4096·14336 each, 2 routed per token; Llama 2: dense, all active
    expert = 3 * 4096 * 14336
    assert rows["params"].raw[0] - rows["params_active"].raw[0] == 6 * expert
    assert rows["params_active"].raw[1] == rows["params"].raw[1]
