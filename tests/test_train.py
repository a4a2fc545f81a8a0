"""Training: `flops --train` (FlopCounterMode on a real backward on meta, and the closed
form), `bench --train` (a timed step, MFU) and the roofline beside every bench row.

The pinned numbers are MACs at each preset's default input (batch 1, 128 tokens; t5-small
128 + 128; vit-b16 one 224² image), AdamW at 14 FLOPs per parameter.
"""

import json

import pytest
import torch

from tfcli.analysis.flops.train import OPTIMIZER_FLOPS, train_report
from tfcli.catalog import resolve
from tfcli.spec import InputShape

TINY = [
    "--set", "num_layers=1", "--set", "d_model=32", "--set", "num_heads=2",
    "--set", "ffn_dim=64", "--set", "vocab_size=100", "--set", "max_positions=64",
]
FAST = ["--iters", "2", "--warmup", "1", "--threads", "1", "-n", "16"]
cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")

# name → (forward, backward MACs, trainable parameters)
PINS = {
    "gpt2": (16_126_377_984, 32_252_755_968, 124_439_808),
    "vit-b16": (17_582_740_224, 35_049_874_944, 86_567_656),
    "t5-small": (8_055_160_832, 16_110_321_664, 60_506_624),
}


@pytest.fixture(scope="module")
def reports():
    return {name: train_report(resolve(name), InputShape()) for name in PINS}


@pytest.mark.parametrize("name", sorted(PINS))
def test_measured_and_closed_form_agree_exactly(reports, name):
    r = reports[name]
    forward, backward, params = PINS[name]
    for method in ("torch", "analytic"):
        c = r.counts[method]
        assert (c.phase_total("forward"), c.phase_total("backward")) == (forward, backward), method
        assert c.optimizer_flops == 14 * params
        assert c.total_flops == 2 * (forward + backward) + 14 * params
    torch_count, analytic = r.counts["torch"], r.counts["analytic"]
    assert torch_count.phases == analytic.phases  # category by category, phase by phase
    assert torch_count.uncounted == {}
    assert torch_count.measured_optimizer_flops == 0  # AdamW's updates are elementwise: FlopCounterMode sees none
    assert r.spread() == 0


def test_gpt2_backward_is_twice_the_forward_in_every_category(reports):
    c = reports["gpt2"].counts["torch"]
    for cat, fwd in c.phases["forward"].items():
        assert c.phases["backward"][cat] == 2 * fwd, cat
    assert reports["gpt2"].counts["torch"].total_flops == 98_500_425_216


def test_the_patch_conv_on_pixels_pays_only_its_weight_gradient(reports):
    c = reports["vit-b16"].counts["torch"]
    conv = 115_605_504  # the 16×16 patch conv's forward
    assert c.phases["forward"]["embeddings"] == c.phases["backward"]["embeddings"] == conv
    assert c.phase_total("backward") == 2 * c.phase_total("forward") - conv


def test_gpt2_backward_equals_plain_flop_counter_mode():
    """torch's FlopCounterMode alone on a real backward (no tfcli tracker): its global total
    is tfcli's forward + backward; without tfcli's norm handles it counts the matmuls only."""
    from torch.utils.flop_counter import FlopCounterMode

    from tfcli.analysis.flops.handles import torch_handles
    from tfcli.analysis.flops.train import training_loss
    from tfcli.build import build_model

    spec = resolve("gpt2")
    model = build_model(spec.config, "meta").train()
    inputs = model.example_inputs(spec.config.resolve_input(InputShape()), "meta")
    totals = []
    for mapping in (torch_handles(), {}):
        with FlopCounterMode(display=False, custom_mapping=mapping) as counter:
            training_loss(model(**inputs)).backward()
        totals.append(counter.get_total_flops() // 2)
        model.zero_grad(set_to_none=True)
    norms = 3 * 12_288_000  # the layer norms' forward, and their backward at twice it
    assert totals == [16_126_377_984 + 32_252_755_968, 16_126_377_984 + 32_252_755_968 - norms]


def test_checkpointing_recomputes_one_forward_of_the_blocks():
    r = train_report(resolve("gpt2"), InputShape(), checkpointing=True)
    torch_count, analytic = r.counts["torch"], r.counts["analytic"]
    assert torch_count.phases == analytic.phases
    # the forward less what is not in a block: the LM head and the final norm
    blocks = 16_126_377_984 - 4_940_464_128 - 128 * 768 * 5
    assert torch_count.phase_total("recompute") == blocks == 11_185_422_336
    assert r.to_dict()["recompute_macs"] == blocks
    assert r.per_token_flops(True) == 2 * (16_126_377_984 + 32_252_755_968 + blocks) / 128


def test_sgd_and_the_six_n_rows(run_cli):
    code, out, err = run_cli("flops", "gpt2", "--train", "--optimizer", "sgd", "--method", "analytic", "--json")
    assert code == 0, err
    d = json.loads(out)
    assert (d["schema_version"], d["command"], d["train"]) == (1, "flops", True)
    assert d["optimizer_flops"] == OPTIMIZER_FLOPS["sgd"] * 124_439_808 == 2 * 124_439_808
    assert d["flops_per_token"] == 2 * (16_126_377_984 + 32_252_755_968) / 128
    assert d["six_n_flops_per_token"] == 6 * 124_439_808
    assert d["six_n_non_embedding_flops_per_token"] == 6 * 85_056_000  # less wte and wpe
    assert d["fused_attention_recompute_macs"] == 301_989_888 // 2  # QKᵀ of every layer
    assert list(d["methods"]) == ["analytic"]


def test_text_output_names_the_convention(run_cli):
    code, out, err = run_cli("flops", "gpt2", *TINY, "--train", "-n", "16")
    assert code == 0, err
    for text in ("training step", "torch (measured)", "analytic", "backward ÷ forward", "6·N",
                 "AdamW, 14 FLOPs/param", "FlopCounterMode counted 0 FLOPs", "FLOPs = 2 × MACs"):
        assert text in out, text


@pytest.mark.parametrize("args, message", [
    (["--checkpointing"], "--checkpointing counts a training step; add --train"),
    (["--optimizer", "sgd"], "--optimizer is the optimizer of a training step; add --train"),
    (["--train", "--causal-half"], "drop --causal-half"),
    (["--train", "--method", "fvcore"], "fvcore traces the forward only"),
])
def test_train_option_errors(run_cli, args, message):
    code, _, err = run_cli("flops", "gpt2", *args)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1


def test_checkpointing_needs_tfcli_stacks(run_cli):
    code, _, err = run_cli("flops", "swin-t", "--train", "--checkpointing", "--method", "analytic")
    assert code == 2 and "swin-t builds its own" in err


def test_a_family_without_parts_has_no_closed_form(run_cli):
    code, _, err = run_cli("flops", "sd15-vae", "--train", "--method", "analytic", "--image-size", "64")
    assert code == 2 and "no closed-form training count" in err


def test_options_list_every_optimizer():
    from tfcli.analysis.memory import OPTIMIZERS
    from tfcli.cli.options import STATE_OPTIMIZERS, TRAIN_OPTIMIZERS

    assert list(TRAIN_OPTIMIZERS) == list(OPTIMIZER_FLOPS)
    assert list(STATE_OPTIMIZERS) == list(OPTIMIZERS)


# -- bench --train --------------------------------------------------------------------


def bench_json(run_cli, *args):
    code, out, err = run_cli("bench", *args, "--json")
    assert code == 0, err
    return json.loads(out)["results"][0]


def test_bench_train_on_cpu(run_cli):
    r = bench_json(run_cli, "gpt2", *TINY, "--train", *FAST)
    s, p = r["settings"], r["points"][0]
    assert (s["train"], s["optimizer"]) == (True, "adamw")
    assert s["peak_source"] == "measured: 1024² fp32 GEMM" and s["peak_tflop_per_s"] > 0
    assert s["bandwidth_source"].startswith("measured:") and s["bandwidth_bytes_per_s"] > 0
    # the FLOPs it divides by are flops --train's at the same input
    code, out, err = run_cli("flops", "gpt2", *TINY, "-n", "16", "--train", "--method", "torch", "--json")
    assert code == 0, err
    assert p["flops"] == json.loads(out)["total_flops"]
    assert p["status"] == "ok" and p["tokens_per_s"] == pytest.approx(16 / (p["median_ms"] / 1e3))
    assert p["peak_fraction"] == pytest.approx(p["achieved_tflop_per_s"] / s["peak_tflop_per_s"])  # MFU
    assert p["compute_bound_s"] == pytest.approx(p["flops"] / (s["peak_tflop_per_s"] * 1e12))
    assert p["memory_bound_s"] == pytest.approx(p["traffic_bytes"] / s["bandwidth_bytes_per_s"])
    larger = max(p["compute_bound_s"], p["memory_bound_s"])
    assert p["roofline_fraction"] == pytest.approx(larger / (p["median_ms"] / 1e3))


def test_bench_train_table(run_cli):
    code, out, err = run_cli("bench", "gpt2", *TINY, "--train", "--optimizer", "sgd", *FAST)
    assert code == 0, err
    for text in ("training steps (latency in ms)", "MFU", "SGD.step()", "roofline: compute", "% roofline",
                 "training-step FLOPs"):
        assert text in out, text


def test_bench_train_without_a_trainable_forward(run_cli, monkeypatch):
    import tfcli.analysis.flops.train as train

    monkeypatch.setattr(train, "training_loss", lambda outputs: None)
    code, _, err = run_cli("bench", "gpt2", *TINY, "--train", *FAST)
    assert code == 2 and "has no trainable forward: none of its outputs depends on a parameter" in err and len(err.strip().splitlines()) == 1


@cuda
def test_bench_train_on_cuda(run_cli):
    r = bench_json(run_cli, "gpt2", *TINY, "--train", "--device", "cuda", "--dtype", "bf16", *FAST)
    p = r["points"][0]
    assert p["status"] == "ok" and p["peak_memory_bytes"] > 0 and p["roofline_fraction"] is not None


# -- the roofline ------------------------------------------------------------------------


def test_traffic_of_one_linear():
    from tfcli.bench.roofline import traffic_bytes

    class One(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = torch.nn.Linear(4, 8, bias=False, device="meta")

        def forward(self, x):
            return self.fc(x)

    x = {"x": torch.empty(2, 4, device="meta")}
    # weights 4·8·4 B read once + the input 2·4·4 B once + the output 2·8·4 B written and read
    assert traffic_bytes(One(), x) == 128 + 32 + 2 * 64


def test_roofline_picks_the_larger_bound():
    from tfcli.bench.roofline import DeviceLimits, roofline

    limits = DeviceLimits(1.0, "data sheet", 1e9, "data sheet")  # 1 TFLOP/s, 1 GB/s
    line = roofline(2 * 10**12, 5 * 10**8, 4.0, limits)
    assert (line.compute_s, line.memory_s, line.bound, line.fraction) == (2.0, 0.5, "compute", 0.5)
    line = roofline(10**9, 3 * 10**9, 6.0, limits)
    assert (line.bound, line.fraction) == ("memory", 0.5)


def test_known_gpus_read_the_data_sheet_and_probes_run_once(monkeypatch):
    from tfcli.bench import roofline as rl

    h100 = rl.device_limits("cuda:0", "NVIDIA H100 80GB HBM3", "bf16", 989.4)
    assert (h100.peak_tflops, h100.bandwidth, h100.peak_source, h100.bandwidth_source) == (
        989.4, 3.35e12, "data sheet", "data sheet")
    first = rl.gemm_peak("cpu", "fp32")
    monkeypatch.setattr(rl, "PROBE_REPEATS", 0)  # a second measurement would fail: it must not run
    assert rl.gemm_peak("cpu", "fp32") == first


# -- every family (slow: a meta forward and backward each) ------------------------------------


def _presets():
    """The first fast preset of every family: each family's modules once (their sizes do not
    change which ops run)."""
    from tfcli.catalog import presets

    first: dict[str, str] = {}
    for name, p in sorted(presets().items()):
        if not p.slow:
            first.setdefault(p.config().family, name)
    return sorted(first.values())


@pytest.mark.slow
@pytest.mark.parametrize("name", _presets())
def test_every_preset_trains_with_every_op_handled(name):
    r = train_report(resolve(name), InputShape())
    measured = r.counts["torch"]
    assert measured.uncounted == {}
    if "analytic" in r.counts:  # families whose closed form is their parts
        assert measured.phases == r.counts["analytic"].phases
    else:
        assert "analytic" in r.missing
