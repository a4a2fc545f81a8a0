"""The numbers `tfcli bench` reports, pinned to values worked out by hand: throughput units,
FLOPs and TFLOP/s, the memory estimate; and that --threads does not outlive the run."""

import json

import pytest
import torch

from tfcli import bench as b
from tfcli.bench import runner
from tfcli.bench.throughput import count_items
from tfcli.build import build_model
from tfcli.catalog import resolve
from tfcli.registry import FAMILIES, PRESETS
from tfcli.spec import InputShape

FAST = ["--iters", "1", "--warmup", "1", "--threads", "1"]
TINY_GPT = ["num_layers=1", "d_model=32", "num_heads=2", "ffn_dim=64", "vocab_size=100", "max_positions=64"]


def sets(*pairs: str) -> list[str]:
    return [arg for pair in pairs for arg in ("--set", pair)]


def meta(name: str, overrides: list[str] | None = None):
    return build_model(resolve(name, overrides or []).config, device="meta")


# -- throughput units ------------------------------------------------------------------------


def _one_preset_per_family() -> list[str]:
    return [next(p.name for p in PRESETS.values() if p.family == f) for f in FAMILIES]


@pytest.mark.parametrize("name", _one_preset_per_family())
def test_every_family_counts_a_true_unit(name):
    """Text: batch × tokens (encoder + decoder ones for encoder-decoders); anything that
    takes images (ViT, DINOv2, CLIP, SAM, the VAE, the UNet's latents, SD): one per sample."""
    model = meta(name)
    x = model.config.resolve_input(InputShape(batch=3))
    count = count_items(model.example_inputs(x, "meta"), x)
    if FAMILIES[model.config.family].modality == "text":
        seq = model.config.default_input().seq_len or 128
        sides = 2 if hasattr(model.config, "num_decoder_layers") else 1
        assert (count.unit, count.items) == ("tokens", 3 * seq * sides)
    elif FAMILIES[model.config.family].modality == "audio":
        # Whisper: seconds of audio (30 each), not the decoder's token ids riding along
        assert (count.unit, count.items) == ("audio_seconds", 3 * 30)
    else:
        assert (count.unit, count.items) == ("images", 3)


def test_sam_counts_images_not_prompt_labels():
    model = meta("sam-b")
    count = count_items(model.example_inputs(InputShape(batch=2), "meta"))
    assert (count.items, count.unit) == (2, "images")  # it counted 2 "tokens" (the labels) before
    assert "input_labels" in count.note


def test_sd15_vae_reports_images_per_second(run_cli):
    vae = sets("block_out_channels=[32,32]", "norm_num_groups=8")
    code, out, err = run_cli("bench", "sd15-vae", *vae, "--image-size", "32", "--batch", "2", *FAST, "--json")
    assert code == 0, err
    p = json.loads(out)["results"][0]["points"][0]
    assert (p["images_per_pass"], p["unit"]) == (2, "images")  # it reported 0 tokens/s before
    assert p["images_per_s"] == pytest.approx(2 / (p["median_ms"] / 1e3)) and p["images_per_s"] > 0
    code, out, err = run_cli("bench", "sd15-vae", *vae, "--image-size", "32", *FAST)
    assert code == 0, err
    assert "images/s" in out and "tokens/s" not in out


def test_sam_reports_images_per_second(run_cli):
    small = sets("num_layers=1", "d_model=64", "num_heads=2", "ffn_dim=128", "image_size=128",
                 "global_attn_indexes=[0]", "embed_dim=32", "decoder_ffn_dim=64", "iou_head_hidden=32")
    code, out, err = run_cli("bench", "sam-b", *small, "--batch", "2", *FAST, "--json")
    assert code == 0, err
    p = json.loads(out)["results"][0]["points"][0]
    assert (p["images_per_pass"], p["unit"]) == (2, "images")
    assert p["images_per_s"] == pytest.approx(2 / (p["median_ms"] / 1e3))


def test_mixed_units_say_the_unit_in_each_cell():
    from tfcli.render.bench import results_table

    def result(unit):
        settings = b.Settings("cpu", "CPU", "fp32", 1, "", "auto", "flash", False, 1, 1, 1.0, None, None)
        point = b.Point(1, None, None, 224, stats=b.Stats.of([0.5]), items=2, unit=unit, throughput=4.0)
        return b.BenchResult(unit, "x", 1, settings, [point])

    table = results_table([result("tokens"), result("images")]).build(200)
    header = [c.header for c in table.columns]
    assert "throughput" in header and "tokens/s" not in header
    cells = list(table.columns[header.index("throughput")].cells)
    assert cells == ["4 tokens/s", "4 images/s"]


# -- FLOPs: closed-form MACs, and TFLOP/s = 2·MACs / median ---------------------------------------


@pytest.mark.parametrize(
    "name, macs",
    [
        # 12·(128·768·2304 + 128·768·768 + 2·128·768·3072 + 2·128²·768) + 128·768·50257 + 25 LayerNorms
        ("gpt2", 16_126_377_984),
        ("bert-base", 11_186_503_680),
        ("vit-b16", 17_582_740_224),  # 197 tokens at 224 px
    ],
)
def test_bench_flops_are_the_closed_form(name, macs, monkeypatch):
    median = 0.125
    monkeypatch.setattr(runner, "measure", lambda fn, device, opts: (b.Stats.of([median]), [], 1, 1))
    spec = resolve(name, [])
    shape = spec.config.resolve_input(InputShape(batch=1))
    (p,) = b.bench_model(spec, [shape], b.BenchOptions(iters=1, warmup=1, force=True)).points
    assert p.flops == 2 * macs
    assert p.tflops == pytest.approx(2 * macs / median / 1e12, rel=1e-12)


def test_gpt2_layer_macs_by_hand():
    # the comment above, spelled out, so the pinned gpt2 number is checkable by hand
    d, t, v, ffn = 768, 128, 50257, 3072
    layer = t * d * 3 * d + t * d * d + 2 * t * d * ffn + 2 * t * t * d
    norms = 25 * t * d * 5  # 2 per layer + the final one, numel × 5
    assert 12 * layer + t * d * v + norms == 16_126_377_984


# -- memory estimate: the gated FFN comes from the built module ------------------------------------


def estimate(name, shape, dtype, sets=()):
    model = meta(name, list(sets))
    return b.estimate_memory(model, model.config.resolve_input(shape), dtype, "auto")


def test_llama_estimate_includes_the_gated_ffn():
    # d 4096, 32 heads × 128, FFN 11008 gated: fc1 makes 2·11008; bf16, 128 tokens, batch 1
    per_token = 4 * 4096 + 4 * 4096 + 2 * (2 * 11008)
    logits = 128 * 32000 * 2
    e = estimate("llama2-7b", InputShape(seq_len=128), "bf16")
    assert e.activations == 128 * per_token * 2 + logits == 27_852_800  # 22,216,704 when gating was missed
    assert e.weights == 6_738_415_616 * 2 and e.attention == 0


def test_dinov2_giant_estimate_includes_the_swiglu_ffn():
    # d 1536, 24 heads; SwiGLU hidden 4096 (2/3 of 4·1536, to 8), fc1 makes 2·4096;
    # 37² patches + [CLS] = 1370 tokens at 518 px, fp32, no logits
    per_token = 4 * 1536 + 4 * 1536 + 2 * (2 * 4096)
    e = estimate("dinov2-g14", InputShape(), "fp32")
    assert e.activations == 1370 * per_token * 4 == 157_122_560  # 112,230,400 when gating was missed


def test_plain_ffn_estimate_is_unchanged():
    # the tiny gpt2: d 32, 2 heads, FFN 64 not gated; 16 tokens, fp32; logits 16·100
    e = estimate("gpt2", InputShape(seq_len=16), "fp32", TINY_GPT)
    assert e.activations == 16 * (4 * 32 + 4 * 32 + 2 * 64) * 4 + 16 * 100 * 4


# -- --threads is restored on every exit path ------------------------------------------------------


@pytest.fixture
def two_threads():
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(before)


def tiny_run(**opts):
    spec = resolve("gpt2", TINY_GPT)
    return b.bench_model(spec, [spec.config.resolve_input(InputShape(seq_len=8))],
                         b.BenchOptions(iters=1, warmup=1, threads=1, **opts))


def test_threads_restored_after_a_run(two_threads):
    result = tiny_run()
    assert result.settings.threads == 1  # the run itself used --threads
    assert torch.get_num_threads() == 2


def test_threads_restored_after_an_error(two_threads, monkeypatch):
    def fail(fn, device, opts):
        raise RuntimeError("shape mismatch")

    monkeypatch.setattr(runner, "measure", fail)
    with pytest.raises(RuntimeError):
        tiny_run()
    assert torch.get_num_threads() == 2


def test_threads_restored_after_ctrl_c(two_threads, monkeypatch):
    import tfcli.build

    def interrupt(fn, device, opts):
        raise KeyboardInterrupt

    monkeypatch.setattr(runner, "measure", interrupt)
    assert tiny_run().interrupted  # caught inside the sweep
    assert torch.get_num_threads() == 2

    def interrupt_build(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(tfcli.build, "build_model", interrupt_build)
    with pytest.raises(KeyboardInterrupt):  # while building: it escapes bench_model
        tiny_run()
    assert torch.get_num_threads() == 2
