"""The activations a training forward keeps for backward: tfcli's closed form (`tfcli memory`)
against autograd's saved tensors on a tiny real config of every family (tests/test_memory.py's),
and the estimate at the presets' real sizes, with how long the closed form takes.

    python benchmarks/memory_estimate.py
"""

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from test_memory import EXPLAINED, TINY  # noqa: E402

from tfcli.analysis.inputs import resolve_input  # noqa: E402
from tfcli.bench.saved import measure_saved  # noqa: E402
from tfcli.catalog import resolve  # noqa: E402
from tfcli.humanize import human_bytes  # noqa: E402
from tfcli.spec import InputShape  # noqa: E402


def main() -> None:
    print(f"{'preset (tiny)':18s} {'measured':>12s} {'estimate':>12s} {'diff B':>8s}  explained")
    exact = 0
    for name in sorted(TINY):
        spec = resolve(name, TINY[name])
        x = resolve_input(spec, InputShape())
        measured = measure_saved(spec, x, "cpu", "fp32").total_bytes
        estimate = spec.config.saved(x).total_bytes(4)
        exact += estimate == measured
        why = EXPLAINED.get(name, (0, ""))[1]
        print(f"{name:18s} {measured:>12,} {estimate:>12,} {estimate - measured:>8,}  {why}")
    print(f"{exact} of {len(TINY)} equal to the byte")
    print()
    for name, seq in (("llama2-7b", 4096), ("gpt3-175b", 2048), ("deepseek-v3", 4096), ("sd15-unet", None)):
        spec = resolve(name, [])
        start = time.perf_counter()
        x = spec.config.resolve_input(InputShape(seq_len=seq))
        saved = spec.config.saved(x).total_bytes(2)
        took = time.perf_counter() - start
        print(f"{name:12s} bf16 batch 1{'' if seq is None else f' at {seq} tokens'}: {human_bytes(saved)} kept "
              f"for backward (closed form, {took * 1e3:.1f} ms)")


if __name__ == "__main__":
    main()
