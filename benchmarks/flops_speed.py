"""How long `tfcli flops` takes: whole commands (a fresh process each, imports included)
and, in process, the steps of one count (build on meta, fvcore, torch, closed form).

    python benchmarks/flops_speed.py            # prints a Markdown table
    python benchmarks/flops_speed.py --repeat 3

Presets not registered on this checkout (e.g. vit-b16 before the vision families land)
are reported as skipped.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

COMMANDS = [
    ["flops", "vit-b16"],
    ["flops", "bert-base"],
    ["flops", "gpt2"],
    ["flops", "gpt3-175b", "--seq-len", "2048"],
    ["flops", "gpt3-175b", "--seq-len", "2048", "--method", "all"],
    ["flops", "llama2-70b", "--seq-len", "4096"],
    ["complexity", "gpt3-175b"],
]
STEPS = [("bert-base", 128), ("gpt3-175b", 2048), ("llama2-70b", 4096)]


def registered(name: str) -> bool:
    from tfcli.catalog import presets

    return name in presets()


def time_command(args: list[str], repeat: int) -> tuple[float, float, int]:
    times, code = [], 0
    for _ in range(repeat):
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "tfcli", *args], capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        code = proc.returncode
    return statistics.median(times), min(times), code


def time_steps(name: str, seq_len: int) -> dict[str, float]:
    from tfcli.analysis.analytic import count_analytic
    from tfcli.analysis.flops import count_fvcore, count_torch
    from tfcli.build import build_model
    from tfcli.catalog import resolve
    from tfcli.spec import InputShape

    out = {}
    config = resolve(name).config
    start = time.perf_counter()
    model = build_model(config, device="meta")
    out["build (meta)"] = time.perf_counter() - start
    inputs = model.example_inputs(InputShape(seq_len=seq_len), "meta")
    c = count_fvcore(model, inputs)
    out["fvcore"] = c.seconds
    t = count_torch(model, inputs)
    out["torch"] = t.seconds
    start = time.perf_counter()
    count_analytic(config, InputShape(seq_len=seq_len))
    out["analytic"] = time.perf_counter() - start
    out["macs"] = c.total
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("COLUMNS", "160")
    print(f"cores: {os.cpu_count()}, python {sys.version.split()[0]}")
    print()
    print("| command | median s | best s |")
    print("|---|---:|---:|")
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "tfcli", "--help"], capture_output=True)
    print(f"| `tfcli --help` | {time.perf_counter() - start:.2f} | |")
    for cmd in COMMANDS:
        label = "`tfcli " + " ".join(cmd) + "`"
        if not registered(cmd[1]):
            print(f"| {label} | skipped: no such preset | |")
            continue
        median, best, code = time_command(cmd, args.repeat)
        status = "" if code == 0 else f" (exit {code})"
        print(f"| {label} | {median:.2f}{status} | {best:.2f} |")
    print()
    print("| in process | build (meta) s | fvcore s | torch s | analytic s | MACs |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, n in STEPS:
        s = time_steps(name, n)
        print(f"| {name} @ {n} | {s['build (meta)']:.2f} | {s['fvcore']:.2f} | {s['torch']:.2f} | "
              f"{s['analytic']:.4f} | {s['macs']:,} |")


if __name__ == "__main__":
    main()
