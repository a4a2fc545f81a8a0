"""Every command's text output at 80 and 120 columns, against tests/golden/<case>.<width>.txt.

A new user's terminal is 80×24: no number, name or unit may be cut ("…") or split, and no
line may run past the width. `UPDATE_GOLDEN=1 python3 -m pytest tests/test_golden.py`
rewrites the files after an intended change (read the diff before committing it).
bench's timings are not reproducible, so its layout is checked on fixed results.
"""

import io
import os
from pathlib import Path

import pytest

GOLDEN = Path(__file__).parent / "golden"
WIDTHS = (80, 120)

CASES = {
    "list-llama": ["list", "--family", "llama"],
    "list-mixtral": ["list", "--family", "mixtral"],
    "inspect-vit-b16": ["inspect", "vit-b16", "--depth", "2"],
    "inspect-t5-small": ["inspect", "t5-small", "--depth", "1"],
    "flops-gpt2": ["flops", "gpt2", "--depth", "2"],
    "flops-bert-analytic": ["flops", "bert-base", "--method", "analytic"],
    "complexity-bert-base": ["complexity", "bert-base"],
    "complexity-vit-b16": ["complexity", "vit-b16"],
    "complexity-llama3-8b": ["complexity", "llama3-8b", "--max", "8192"],
    "compare-2": ["compare", "bert", "gpt2"],
    "compare-4": ["compare", "bert", "gpt2", "t5-small", "vit-b16"],
    "families": ["families"],
    "families-zh": ["families", "--lang", "zh"],
    "families-zh-Hant": ["families", "--lang", "zh-Hant"],
    "graph-gpt2": ["graph", "gpt2", "-o", "{tmp}/gpt2.dot"],
    "memory-llama2-7b": ["memory", "llama2-7b", "--gpu", "h100-80g"],
    "memory-mixtral": ["memory", "mixtral-8x7b", "--seq-len", "2048", "--memory", "24GiB", "--zero", "3", "--dp", "8"],
    "flops-gpt2-train": ["flops", "gpt2", "--train", "--method", "analytic"],
}


def check(text: str, case: str, width: int) -> None:
    long = [line for line in text.splitlines() if len(line.rstrip()) > width]
    assert not long, f"{case} at {width}: lines past the width:\n" + "\n".join(long)
    assert "…" not in text, f"{case} at {width}: something was cut:\n{text}"
    golden = GOLDEN / f"{case}.{width}.txt"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(text, encoding="utf-8")
    assert golden.exists(), f"no {golden.name}; run UPDATE_GOLDEN=1 python3 -m pytest {__file__}"
    assert text == golden.read_text(encoding="utf-8"), f"{case} at {width} differs from {golden}"


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("case", list(CASES))
def test_command(case, width, run_cli, monkeypatch, tmp_path):
    monkeypatch.setenv("COLUMNS", str(width))
    args = [a.replace("{tmp}", str(tmp_path)) for a in CASES[case]]
    code, out, err = run_cli(*args)
    assert code == 0, err
    check(out.replace(str(tmp_path), "TMP"), case, width)


def _bench_results():
    from tfcli import bench as b

    def settings(peak):
        return b.Settings("cuda:0" if peak else "cpu", "NVIDIA H100 80GB HBM3" if peak else "Intel Xeon (16 cores)",
                          "bf16" if peak else "fp32", 16, "2.13.0", "auto", "flash", False, 3, None, 1.0,
                          989.0 if peak else None, None if peak else "AVX512")

    def point(n, ms, unit="tokens", status="ok"):
        if status != "ok":
            return b.Point(1, n, None, None, status=status, unit=unit, message="estimated 96.00 GiB, 80.00 GiB free")
        return b.Point(1, n, None, None, stats=b.Stats.of([ms * 1e-3, ms * 0.98e-3, ms * 1.05e-3, ms * 1.2e-3]),
                       items=n, unit=unit, throughput=n / (ms * 1e-3), flops=int(n * 2.5e10), tflops=n * 2.5e10 / (ms * 1e9),
                       peak_fraction=n * 2.5e10 / (ms * 1e9) / 989.0, peak_memory=int(13.7e9 + n * 2e5),
                       memory_growth=int(n * 1.2e5))

    sweep = b.BenchResult("llama2-7b", "llama", 6_738_415_616, settings(True),
                          [point(512, 14.21), point(1024, 27.93), point(2048, 55.69), point(4096, 118.4),
                           point(8192, 0, status="oom")])
    cpu = b.BenchResult("gpt2", "gpt", 124_439_808, settings(False), [point(128, 4792.3)])
    image = point(1, 30.2, unit="images")
    image.seq_len, image.image_size = None, 224
    vit = b.BenchResult("vit-b16", "vit", 86_567_656, settings(False), [image])
    return {"bench-sweep": [sweep], "bench-cpu": [cpu], "bench-mixed-units": [cpu, vit]}


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("case", ["bench-sweep", "bench-cpu", "bench-mixed-units"])
def test_bench_layout(case, width):
    from rich.console import Console

    from tfcli.render.bench import render_results

    buffer = io.StringIO()
    render_results(_bench_results()[case], Console(file=buffer, width=width, highlight=False, color_system=None))
    check(buffer.getvalue(), case, width)
