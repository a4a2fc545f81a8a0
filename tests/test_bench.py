"""`tfcli bench`: statistics, a tiny-model sweep, and every fault path, on CPU.

CUDA tests at the bottom skip without a GPU.
"""

import json

import pytest
import torch

from tfcli import bench as b
from tfcli.bench import devices, runner

# a 1-layer GPT small enough to time in milliseconds
TINY = [
    "--set", "num_layers=1", "--set", "d_model=32", "--set", "num_heads=2",
    "--set", "ffn_dim=64", "--set", "vocab_size=100", "--set", "max_positions=64",
]
FAST = ["--iters", "3", "--warmup", "1", "--threads", "1"]
cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


def latency_rows(out: str) -> list[str]:
    """The rows of the latency table (the roofline table under it repeats the lengths)."""
    table = out.split("roofline: compute")[0]
    return [line for line in table.splitlines() if line.startswith("│")]


def bench_json(run_cli, *args):
    code, out, err = run_cli("bench", *args, "--json")
    assert code == 0, err
    return json.loads(out)


# -- statistics ----------------------------------------------------------------------


def test_stats_on_known_samples():
    s = b.Stats.of([float(x) for x in range(10, 0, -1)])  # 10..1, unsorted on purpose
    assert (s.median, s.min, s.mean, s.n) == (5.5, 1.0, 5.5, 10)
    assert s.p10 == pytest.approx(1.9)  # numpy.percentile(range(1, 11), 10)
    assert s.p90 == pytest.approx(9.1)
    one = b.Stats.of([0.25])
    assert (one.median, one.p10, one.p90, one.min) == (0.25, 0.25, 0.25, 0.25)
    assert b.percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5


def test_loglog_slope_recovers_exponents():
    xs = [128, 256, 512, 1024]
    assert b.loglog_slope(xs, [3 * x**2 for x in xs]) == pytest.approx(2.0)
    assert b.loglog_slope(xs, [0.1 * x for x in xs]) == pytest.approx(1.0)
    assert b.loglog_slope([128], [1.0]) is None
    assert b.loglog_slope([128, 128], [1.0, 2.0]) is None


def test_parse_bytes_and_lengths():
    from tfcli.cli.options import parse_lengths
    from tfcli.errors import UsageError

    assert b.parse_bytes("512MB") == 512_000_000
    assert b.parse_bytes("2GiB") == 2 * 1024**3
    assert b.parse_bytes("1e9") == 10**9
    with pytest.raises(UsageError):
        b.parse_bytes("lots")
    assert parse_lengths(["1024,256", "512", "256"]) == [256, 512, 1024]
    assert parse_lengths(None) is None
    with pytest.raises(UsageError):
        parse_lengths(["12x"])


def test_is_oom_recognises_cpu_and_cuda_messages():
    assert b.is_oom(torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB"))
    assert b.is_oom(RuntimeError("DefaultCPUAllocator: not enough memory: you tried to allocate 1 bytes"))
    assert not b.is_oom(RuntimeError("shape mismatch"))


def test_peak_table_matches_gpu_names():
    assert b.peak_tflops("NVIDIA H100 80GB HBM3", "bf16") == 989.4
    assert b.peak_tflops("NVIDIA H100 PCIe", "bf16") == 756.0
    assert b.peak_tflops("NVIDIA A100-SXM4-80GB", "fp32") == 19.5
    assert b.peak_tflops("Tesla T4", "bf16") is None
    assert b.peak_tflops("Some Future GPU", "fp16") is None


# -- runs ----------------------------------------------------------------------------


def test_sweep_reports_every_length(run_cli):
    data = bench_json(run_cli, "gpt2", *TINY, "-n", "16,32,64", *FAST)
    (r,) = data["results"]
    assert data["interrupted"] is False
    assert [p["seq_len"] for p in r["points"]] == [16, 32, 64]
    assert all(p["status"] == "ok" for p in r["points"])
    p16 = r["points"][0]
    assert p16["timed_passes"] == 3
    assert p16["min_ms"] <= p16["p10_ms"] <= p16["median_ms"] <= p16["p90_ms"]
    assert p16["tokens_per_pass"] == 16 and p16["unit"] == "tokens" and "throughput" not in p16
    assert p16["tokens_per_s"] == pytest.approx(16 / (p16["median_ms"] / 1e3))
    # by hand, MACs at 16 tokens: qkv 16·32·96 + out 16·32·32 + FFN 2·16·32·64 + SDPA 2·16·16·32
    # + head 16·32·100 + three LayerNorms 3·16·32·5
    assert p16["flops"] == 2 * (49_152 + 16_384 + 65_536 + 16_384 + 51_200 + 7_680)
    assert p16["achieved_tflop_per_s"] == pytest.approx(p16["flops"] / (p16["median_ms"] / 1e3) / 1e12)
    assert p16["peak_memory_bytes"] > 0
    assert r["time_exponent"] is not None
    s = r["settings"]
    assert (s["device"], s["dtype"], s["threads"], s["torch_version"]) == ("cpu", "fp32", 1, torch.__version__)
    assert s["attn_used"] == "flash"  # the fused CPU kernel SDPA picks by itself


def test_table_and_plot(run_cli, tmp_path):
    plot = tmp_path / "sweep.svg"
    code, out, err = run_cli("bench", "gpt2", *TINY, "-n", "16,32", *FAST, "--plot", str(plot))
    assert code == 0, err
    assert "forward passes (latency in ms)" in out and "time ∝ length^" in out and "slope" in out
    assert "--attn auto → SDPA kernel: flash" in out
    svg = plot.read_text()
    assert svg.startswith("<svg") and "median latency (ms)" in svg and svg.count("<circle") >= 2


def test_default_model_is_named(run_cli):
    code, out, err = run_cli(
        "bench", "--set", "num_layers=1", "--set", "num_decoder_layers=1", "--set", "d_model=32",
        "--set", "num_heads=2", "--set", "ffn_dim=64", "--set", "vocab_size=100", "-n", "8", *FAST,
    )
    assert code == 0, err
    assert "no model named; benchmarking transformer-base" in err
    assert "transformer-base (modified)" in out


def test_encoder_decoder_takes_tgt_len(run_cli):
    t5 = ["--set", "num_layers=1", "--set", "num_decoder_layers=1", "--set", "d_model=32", "--set", "num_heads=2",
          "--set", "head_dim=16", "--set", "ffn_dim=64", "--set", "vocab_size=100"]
    (r,) = bench_json(run_cli, "t5-small", *t5, "-n", "16", "--tgt-len", "8", *FAST)["results"]
    p = r["points"][0]
    assert (p["seq_len"], p["tgt_len"], p["tokens_per_pass"]) == (16, 8, 24)  # tokens through encoder + decoder
    assert "tokens/s counts encoder and decoder tokens together (input_ids + decoder_input_ids)" in r["notes"]


def test_attn_backend_is_applied(run_cli):
    (r,) = bench_json(run_cli, "gpt2", *TINY, "-n", "16", *FAST, "--attn", "math")["results"]
    assert r["settings"]["attn_used"] == "math"


def test_position_table_note(run_cli):
    code, out, err = run_cli("bench", "gpt2", *TINY, "--set", "max_positions=16", "-n", "32", *FAST)
    assert code == 0, err
    assert "sequence length 32 exceeds the learned position table (16)" in out  # every command's words


# -- faults: one line, the right exit code, nothing built -------------------------------------


@pytest.fixture
def no_build(monkeypatch):
    """Fail loudly if a fault path gets as far as allocating weights (a meta build, which
    the memory estimate reads, allocates none)."""
    import tfcli.build

    real = tfcli.build.build_model

    def meta_only(config, device="meta", dtype=None):
        if str(device) != "meta":
            raise AssertionError("a model was built")
        return real(config, device=device, dtype=dtype)

    monkeypatch.setattr(tfcli.build, "build_model", meta_only)


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_without_cuda(run_cli, no_build):
    code, out, err = run_cli("bench", "gpt2", "--device", "cuda")
    assert code == 2
    assert "--device cuda: CUDA is not available" in err and "use --device cpu" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("device", ["tpu", "cpu:1", "cuda:x"])
def test_unknown_device(run_cli, no_build, device):
    code, out, err = run_cli("bench", "gpt2", "--device", device)
    assert code == 2
    assert f"unknown device '{device}'; use cpu, cuda or cuda:N" in err


def test_unknown_dtype_and_attn(run_cli, no_build):
    code, _, err = run_cli("bench", "gpt2", "--dtype", "int8")
    assert code == 2 and "unknown --dtype 'int8'" in err
    code, _, err = run_cli("bench", "gpt2", "--attn", "sparse")
    assert code == 2 and "unknown --attn 'sparse'" in err
    code, _, err = run_cli("bench", "gpt2", "--attn", "efficient")
    assert code == 2 and "--attn efficient has no CPU kernel" in err


def test_dtype_the_device_cannot_run(run_cli, no_build, monkeypatch):
    def unsupported(device, dtype):
        raise RuntimeError('"addmm_impl_cpu_" not implemented for \'Half\'')

    monkeypatch.setattr(devices, "_probe_dtype", unsupported)
    code, out, err = run_cli("bench", "gpt2", "--dtype", "fp16")
    assert code == 2
    assert "fp16 is not supported on cpu" in err and "use --dtype fp32" in err


def test_memory_refusal_with_estimate(run_cli, no_build):
    code, out, err = run_cli("bench", "gpt2", *TINY, "-n", "64", "--max-memory", "100KB")
    assert code == 3
    assert "gpt2 (modified) needs about" in err and "the --max-memory limit" in err and "--force" in err
    assert "97.66 KiB" in err  # the limit, as given


def test_force_runs_past_the_estimate(run_cli):
    (r,) = bench_json(run_cli, "gpt2", *TINY, "-n", "16", "--max-memory", "100KB", "--force", *FAST)["results"]
    assert r["points"][0]["status"] == "ok"


def test_sweep_skips_lengths_estimated_not_to_fit(run_cli):
    from tfcli.build import build_model
    from tfcli.catalog import resolve
    from tfcli.spec import InputShape

    model = build_model(resolve("gpt2", TINY[1::2]).config, device="meta")
    small, big = (b.estimate_memory(model, model.config.resolve_input(InputShape(seq_len=n)), "fp32", "math").total
                  for n in (16, 64))
    limit = str((small + big) // 2)
    (r,) = bench_json(run_cli, "gpt2", *TINY, "-n", "16,64", "--attn", "math", "--max-memory", limit, *FAST)["results"]
    assert [p["status"] for p in r["points"]] == ["ok", "skipped"]
    assert r["points"][1]["message"].startswith("needs ~")


def test_oom_marks_the_length_and_the_sweep_goes_on(run_cli, monkeypatch):
    real = b.measure
    freed = []

    def measure(fn, device, opts):
        if len(calls) == 1:
            calls.append(1)
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 8.00 GiB")
        calls.append(1)
        return real(fn, device, opts)

    calls: list = []
    monkeypatch.setattr(runner, "measure", measure)
    monkeypatch.setattr(runner, "free_memory", lambda device: freed.append(device))
    code, out, err = run_cli("bench", "gpt2", *TINY, "-n", "16,32,64", *FAST)
    assert code == 0, err
    assert "OOM" in out and "Traceback" not in out + err
    rows = latency_rows(out)
    assert [row.split("│")[1].strip() for row in rows] == ["16", "32", "64"]
    assert "OOM" in rows[1] and "OOM" not in rows[0] + rows[2]
    assert freed[0] == "cpu"


def test_every_length_oom_is_exit_3(run_cli, monkeypatch):
    def measure(fn, device, opts):
        raise RuntimeError("DefaultCPUAllocator: not enough memory: you tried to allocate 1 bytes")

    monkeypatch.setattr(runner, "measure", measure)
    code, out, err = run_cli("bench", "gpt2", *TINY, "-n", "16,32", *FAST)
    assert code == 3 and "every run ran out of memory" in err


def test_ctrl_c_prints_results_so_far(run_cli, monkeypatch):
    real = b.measure
    calls = []

    def measure(fn, device, opts):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(fn, device, opts)

    monkeypatch.setattr(runner, "measure", measure)
    code, out, err = run_cli("bench", "gpt2", *TINY, "-n", "16,32,64", *FAST)
    assert code == 130
    rows = latency_rows(out)
    assert len(rows) == 1 and rows[0].split("│")[1].strip() == "16"
    assert "interrupted: results so far" in out and "Traceback" not in out + err


def test_ctrl_c_json(run_cli, monkeypatch):
    def measure(fn, device, opts):
        raise KeyboardInterrupt

    monkeypatch.setattr(runner, "measure", measure)
    code, out, err = run_cli("bench", "gpt2", *TINY, "-n", "16", *FAST, "--json")
    assert code == 130
    data = json.loads(out)
    assert data["interrupted"] is True and data["results"][0]["points"] == []


# -- CUDA ------------------------------------------------------------------------------------


@cuda
@pytest.mark.parametrize("dtype", ["fp32", "bf16"])
def test_cuda_sweep(run_cli, dtype):
    (r,) = bench_json(run_cli, "gpt2", *TINY, "--device", "cuda", "--dtype", dtype, "-n", "64,128", *FAST)["results"]
    assert r["settings"]["device"] == "cuda:0"
    assert r["settings"]["device_name"] == torch.cuda.get_device_name(0)
    for p in r["points"]:
        assert p["status"] == "ok" and p["peak_memory_bytes"] > 0 and p["median_ms"] > 0


@cuda
@pytest.mark.parametrize("attn", ["math", "flash", "efficient"])
def test_cuda_attn_backends(run_cli, attn):
    (r,) = bench_json(run_cli, "gpt2", *TINY, "--device", "cuda", "--dtype", "bf16", "-n", "128",
                      "--attn", attn, *FAST)["results"]
    assert r["settings"]["attn_used"] == attn


@cuda
def test_cuda_bad_index(run_cli):
    code, _, err = run_cli("bench", "gpt2", "--device", f"cuda:{torch.cuda.device_count()}")
    assert code == 2 and "no such GPU" in err


def test_image_size_on_a_text_model(run_cli, no_build):
    code, _, err = run_cli("bench", "gpt2", "--image-size", "224")
    assert code == 2 and "gpt2 is a text model: --image-size does not apply" in err


def test_vision_model_reports_images_per_second(run_cli):
    vit = ["--set", "num_layers=1", "--set", "d_model=32", "--set", "num_heads=2", "--set", "ffn_dim=64"]
    (r,) = bench_json(run_cli, "vit-b16", *vit, "--image-size", "64", "--batch", "2", *FAST)["results"]
    p = r["points"][0]
    assert (p["image_size"], p["images_per_pass"], p["unit"]) == (64, 2, "images")
    assert p["images_per_s"] == pytest.approx(2 / (p["median_ms"] / 1e3))
    code, _, err = run_cli("bench", "vit-b16", "--seq-len", "128")
    assert code == 2 and "vision model: --seq-len does not apply" in err


def test_gpu_table_keys_and_cuda_names():
    from tfcli.errors import UsageError
    from tfcli.gpus import gpu_by_cuda_name, gpu_by_key

    h100 = gpu_by_key("H100-80G")
    assert (h100.memory, h100.bandwidth, h100.peak("bf16")) == (80 * 10**9, 3.35e12, 989.4)
    assert gpu_by_key("a100").key == "a100-80g"
    assert gpu_by_cuda_name("NVIDIA A100-SXM4-40GB").key == "a100-40g"
    assert gpu_by_cuda_name("NVIDIA GH200 480GB").key == "gh200"
    assert gpu_by_cuda_name("NVIDIA A10G").key == "a10g"
    assert gpu_by_cuda_name("NVIDIA L40S").key == "l40s"
    assert gpu_by_cuda_name("Some Future GPU") is None
    with pytest.raises(UsageError, match="unknown --gpu 'h100-8g'; did you mean h100-80g?"):
        gpu_by_key("h100-8g")
