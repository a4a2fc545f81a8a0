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
    assert r["kind"].raw == ["encoder-only", "decoder-only"]
    assert r["positions"].values == ["learned absolute (512)", "learned absolute (1024)"]
    assert r["attention"].values == ["bidirectional ×12", "causal ×12"]
    assert r["attention"].raw == [{"bidirectional": 12}, {"causal": 12}]
    assert r["heads"].values == ["12 × 64", "12 × 64"] and not r["heads"].differ
    assert r["heads"].raw[0] == [{"heads": 12, "kv_heads": 12, "head_dim": 64, "latent_cached_per_token": None}]
    assert r["norm"].values == ["post-norm LayerNorm", "pre-norm LayerNorm"]
    assert r["norm"].raw[0] == {"placement": "post-norm", "kinds": ["LayerNorm"]}
    assert r["feed_forward"].values == ["GELU MLP 768→3072", "GELU (tanh) MLP 768→3072"]
    assert r["feed_forward"].raw[1] == [{"activation": "gelu_tanh", "gated": False, "d_model": 768, "hidden": 3072,
                                         "experts": None, "top_k": None, "shared": None}]
    assert r["vocab"].raw == [30522, 50257]
    assert r["context_length"].raw == [512, 1024]
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
    assert r["kind"].differ and not r["modality"].differ and not r["layers"].differ


def test_gqa_and_rope():
    from tfcli.analysis.compare import compare
    from tfcli.catalog import resolve

    rows = {r.key: r for r in compare([resolve("tinyllama"), resolve("t5-small")], InputShape(seq_len=64)).rows}
    assert rows["heads"].values == ["32 q / 4 kv × 64 (GQA)", "8 × 64"]
    assert [(h["heads"], h["kv_heads"], h["head_dim"]) for h in rows["heads"].raw[0]] == [(32, 4, 64)]
    assert rows["positions"].values == ["rotary (RoPE, θ=10000)", "relative bias (32 buckets)"]
    assert rows["feed_forward"].values == ["SwiGLU 2048→5632", "ReLU MLP 512→2048"]
    assert rows["layers"].raw == [{"decoder": 22}, {"encoder": 6, "decoder": 6}]
    assert rows["attention"].values[1] == "bidirectional ×6, causal ×6, cross ×6"
    # TinyLlama: 2 × 22 layers × 4 kv heads × 64 × 2 bytes
    assert rows["kv_cache_bytes_per_token"].raw[0] == 22_528


def test_cli_json_markdown_table(run_cli):
    code, out, err = run_cli("compare", "bert", "gpt2", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert [m["name"] for m in data["models"]] == ["bert-base", "gpt2"]
    by_key = {r["key"]: r for r in data["rows"]}
    assert by_key["kind"]["differ"] is True and by_key["modality"]["differ"] is False

    code, out, err = run_cli("compare", "bert", "gpt2", "--markdown")
    assert code == 0, err
    assert "| **class** | **encoder-only** | **decoder-only** |" in out
    assert "| modality | text | text |" in out

    code, out, err = run_cli("compare", "bert", "gpt2", "--seq-len", "64")
    assert code == 0, err
    assert "bert-base" in out and "masked language modelling" in out
    # off a terminal there is no colour: the mark is text, and the legend says so
    assert "│ ≠ class " in out and "│   modality " in out
    assert "≠ marks the rows that differ; the others are the same for all" in out
    assert "yellow" not in out


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
    assert r["kind"].raw == ["encoder-only", "dual-encoder", "encoder + conditioned decoder", "conv-denoiser"]
    assert r["modality"].raw == ["vision", "image+text", "image+prompts", "image latents + text"]
    assert r["inputs"].values == [
        "image 3×224×224 → patches",
        "tokens 64 (input_ids), image 3×224×224 → patches (pixel_values)",
        "image 3×1024×1024 → patches (pixel_values), points 1×1×2 (input_points), point labels 1×1 (input_labels)",
        "latents 4×64×64 (sample), timestep, text states 64×768 (encoder_hidden_states)",
    ]
    assert r["positions"].values == [
        "learned absolute (197)",  # [CLS] + 14×14 patches
        "learned absolute (77), learned absolute (50)",  # text table, vision table
        "learned absolute (64×64 grid), random Fourier features, relative (decomposed, learned)",
        "none",
    ]
    # SAM: 12 encoder layers (8 of them in 14×14 windows) + 2 two-way decoder self-attentions;
    # cross: 2 layers × (token→image, image→token) + the final token→image
    assert r["attention"].values == [
        "bidirectional ×12", "causal ×12, bidirectional ×12", "bidirectional ×14 (8 windowed), cross ×5",
        "bidirectional ×16, cross ×16",
    ]
    assert r["heads"].values[2] == "12 × 64, 8 × 32, 8 × 16"  # decoder cross-attention at 256 / 2
    assert r["vocab"].raw == [None, 49408, None, None]  # SAM's 4 mask tokens are not a vocabulary
    assert r["context_length"].raw == [None, 77, None, None]
    # a vision model's positions are a patch grid, not a length limit (it said "any length" before)
    assert r["context_length"].values[0] == "— (reads images)"
    assert r["params"].raw == [86_567_656, 151_277_313, 93_735_728, 859_520_964]
    assert r["flops"].raw[0] == 2 * 17_582_740_224  # FLOPs = 2 × the MACs fvcore gives timm's ViT-B/16
    assert r["layers"].raw[2] == {"image_encoder": 12, "mask_decoder": 2}


def test_vit_dinov2_compare_runs(run_cli):
    # used to crash: VisionPositions returned its Parameter, which FlopCounterMode's module
    # tracker cannot hook under inference mode
    code, out, err = run_cli("compare", "vit-b16", "dinov2-b14", "--json")
    assert code == 0, err
    models = json.loads(out)["models"]
    assert [m["positions"] for m in models] == [["learned absolute (197)"], ["learned absolute (1370)"]]


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


# -- each model at its own input; --json and --csv (issue 15) -------------------------------


CLIP_B32_MACS = 7_398_314_240  # `tfcli flops clip-b32`: 77 tokens + a 224-pixel image


def test_clip_is_counted_at_its_77_tokens_as_flops_counts_it(run_cli):
    """compare used to count CLIP at 128 tokens, past its 77 positions; inspect and flops use 77."""
    code, out, err = run_cli("flops", "clip-b32", "--method", "analytic", "--json")
    assert code == 0, err
    flops = json.loads(out)
    assert flops["macs"] == CLIP_B32_MACS and flops["input"]["seq_len"] == 77
    for extra in ([], ["--seq-len", "128"]):  # the default, and a longer length capped at the table
        code, out, err = run_cli("compare", "clip-b32", "bert-base", *extra, "--json")
        assert code == 0, err
        clip, bert = json.loads(out)["models"]
        assert clip["macs"] == flops["macs"] and clip["flops"] == flops["flops"] == 2 * CLIP_B32_MACS
        assert clip["inputs"] == flops["inputs"] == {"input_ids": [1, 77], "pixel_values": [1, 3, 224, 224]}
        assert clip["input"]["seq_len"] == 77 and bert["input"]["seq_len"] == 128  # BERT: its own 128, or the given
    assert clip["notes"] == ["--seq-len 128 is past its 77 learned positions; counted at 77"]
    assert "clip-b32: --seq-len 128 is past its 77 learned positions; counted at 77" in json.loads(out)["notes"]


def test_a_length_past_the_table_is_capped_with_a_note():
    from tfcli.analysis.compare import compare
    from tfcli.catalog import resolve

    c = compare([resolve("bart-base"), resolve("t5-small")], InputShape(seq_len=4096, tgt_len=2048))
    bart, t5 = c.models
    assert (bart["input"]["seq_len"], bart["input"]["tgt_len"]) == (1024, 1024)  # BART's 1024 positions
    assert (t5["input"]["seq_len"], t5["input"]["tgt_len"]) == (4096, 2048)  # relative bias: no table
    assert bart["notes"] == ["--seq-len 4096 is past its 1024 learned positions; counted at 1024",
                             "--tgt-len 2048 is past its 1024 learned positions; counted at 1024"]
    assert t5["notes"] == []


COMPARE_KEYS = [
    "name", "family", "kind", "modality", "input", "inputs", "positions", "attention", "windowed_attention",
    "heads", "norm", "feed_forward", "layers", "widths", "vocab", "context_length", "params",
    "params_embedding", "params_non_embedding", "params_active", "macs", "flops", "attention_flops",
    "attention_share", "kv_cache_bytes_per_token", "objective", "notes",
]


def test_json_keys_and_numbers(run_cli):
    code, out, err = run_cli("compare", "gpt2", "tinyllama", "--seq-len", "64", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert list(data) == ["schema_version", "command", "input", "models", "rows", "notes"]
    assert (data["schema_version"], data["command"]) == (1, "compare")
    assert data["input"] == {"batch": 1, "seq_len": 64, "tgt_len": None, "image_size": None,
                             "audio_seconds": None, "prompt": None}
    gpt2, llama = data["models"]
    assert list(gpt2) == COMPARE_KEYS
    assert llama["heads"] == [{"heads": 32, "kv_heads": 4, "head_dim": 64, "latent_cached_per_token": None}]
    assert llama["feed_forward"] == [{"activation": "silu", "gated": True, "d_model": 2048, "hidden": 5632,
                                      "experts": None, "top_k": None, "shared": None}]
    assert llama["norm"] == {"placement": "pre-norm", "kinds": ["RMSNorm"]}
    assert (gpt2["attention"], gpt2["layers"], gpt2["widths"]) == ({"causal": 12}, {"decoder": 12}, [768])
    assert gpt2["params"] == 124_439_808 and gpt2["flops"] == 2 * gpt2["macs"]
    assert gpt2["kv_cache_bytes_per_token"] == 36_864 and llama["kv_cache_bytes_per_token"] == 22_528
    assert [r["key"] for r in data["rows"]] == [k for k in COMPARE_KEYS if k in {
        "kind", "modality", "inputs", "positions", "attention", "heads", "norm", "feed_forward", "layers",
        "widths", "vocab", "context_length", "params", "params_embedding", "params_non_embedding", "flops",
        "attention_share", "kv_cache_bytes_per_token", "objective"}]
    heads = next(r for r in data["rows"] if r["key"] == "heads")
    assert heads == {"key": "heads", "label": "heads × head dim", "shown": ["12 × 64", "32 q / 4 kv × 64 (GQA)"],
                     "differ": True}
    for m in data["models"]:  # numbers are numbers, never "12 × 64"
        for key in ("params", "macs", "flops", "vocab", "context_length", "windowed_attention"):
            assert isinstance(m[key], int) or m[key] is None


def test_csv_one_row_per_model(run_cli, tmp_path):
    import csv

    path = tmp_path / "cmp.csv"
    code, out, err = run_cli("compare", "gpt2", "vit-b16", "--csv", str(path))
    assert code == 0, err
    assert f"CSV written to {path}" in err
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    assert [r["name"] for r in rows] == ["gpt2", "vit-b16"]
    gpt2, vit = rows
    assert list(gpt2)[:9] == ["name", "family", "input.batch", "input.seq_len", "input.tgt_len", "input.image_size",
                              "input.audio_seconds", "input.prompt", "kind"]
    assert (gpt2["input.seq_len"], vit["input.seq_len"], vit["input.image_size"]) == ("128", "", "224")
    assert (gpt2["params"], gpt2["flops"], gpt2["vocab"], gpt2["context_length"]) == (
        "124439808", str(2 * 16_126_377_984), "50257", "1024")
    assert (vit["vocab"], vit["context_length"], vit["kv_cache_bytes_per_token"]) == ("", "", "")
    assert (gpt2["heads"], vit["inputs"]) == ("12 × 64", "image 3×224×224 → patches")  # the table's text


@pytest.mark.parametrize(
    "path, message",
    [
        ("out.txt", "--csv writes .csv; give a file ending in one of them, not 'out.txt'"),
        ("missing/out.csv", "directory missing does not exist"),
        (".", "--csv writes .csv"),
    ],
)
def test_bad_csv_path_fails_in_one_line_before_building(run_cli, tmp_path, monkeypatch, path, message):
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli("compare", "gpt2", "bert", "--csv", path)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1
    assert out == "" and list(tmp_path.iterdir()) == []  # nothing written, not even a temporary file


def test_csv_into_a_directory_is_refused(run_cli, tmp_path):
    (tmp_path / "d.csv").mkdir()
    code, out, err = run_cli("compare", "gpt2", "bert", "--csv", str(tmp_path / "d.csv"))
    assert code == 2 and "it is a directory" in err


@pytest.mark.parametrize("colour, legend", [
    ("standard", "≠ marks the rows that differ (in yellow); the others are the same for all"),
    (None, "≠ marks the rows that differ; the others are the same for all"),  # a pipe, NO_COLOR
])
def test_differing_rows_are_marked_in_text_with_or_without_colour(colour, legend):
    import io

    from rich.console import Console
    from rich.text import Text

    from tfcli.analysis.compare import compare
    from tfcli.catalog import resolve
    from tfcli.render.compare import render_compare

    buffer = io.StringIO()
    console = Console(file=buffer, width=200, force_terminal=colour is not None, color_system=colour)
    render_compare(compare([resolve("bert-base"), resolve("roberta-base")]), console)
    text = Text.from_ansi(buffer.getvalue()).plain
    assert ("\x1b[" in buffer.getvalue()) == (colour is not None)
    assert legend in text
    assert "│ ≠ vocabulary " in text and "│   attention kinds " in text  # differ / the same
