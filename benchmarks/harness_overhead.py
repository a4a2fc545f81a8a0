"""Does `tfcli bench`'s harness add time over a bare timed loop? Target: under 3%.

    python benchmarks/harness_overhead.py [--model bert-base] [--seq-len 128] [--threads 1]

Same model object, same inputs, same thread count. "bare" is the loop anyone would
write (inference_mode, perf_counter around each call); "tfcli" is tfcli.bench.measure,
the function `tfcli bench` times with (SDPA-kernel probe on the first warm-up pass,
peak-memory bookkeeping, per-pass timing). The two alternate for --rounds rounds so
drift and background load hit both; the overhead is reported as the ratio of the medians
of per-round medians, and as the median of per-round ratios, minus one.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="bert-base")
    ap.add_argument("--set", action="append", default=["num_layers=2"])
    ap.add_argument("--seq-len", type=int, default=128)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--iters", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=30)
    args = ap.parse_args()

    import torch

    from tfcli import bench as b
    from tfcli.build import build_model
    from tfcli.catalog import resolve
    from tfcli.spec import InputShape

    torch.set_num_threads(args.threads)
    spec = resolve(args.model, args.set)
    model = build_model(spec.config, device="cpu", dtype=torch.float32)
    inputs = model.example_inputs(InputShape(batch=1, seq_len=args.seq_len), "cpu")

    def fn():
        with torch.inference_mode():
            return model(**inputs)

    def bare() -> float:
        for _ in range(opts.warmup):
            fn()
        times = []
        for _ in range(args.iters):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        return statistics.median(times)

    opts = b.BenchOptions(device="cpu", warmup=3, iters=args.iters)

    def harness() -> float:
        stats, *_ = b.measure(fn, "cpu", opts)
        return stats.median

    bare_m, tfcli_m = [], []
    for i in range(args.rounds):  # alternate which goes first, so drift favours neither
        if i % 2 == 0:
            bare_m.append(bare())
            tfcli_m.append(harness())
        else:
            tfcli_m.append(harness())
            bare_m.append(bare())
    mb, mt = statistics.median(bare_m), statistics.median(tfcli_m)
    per_round = statistics.median(t / b_ for t, b_ in zip(tfcli_m, bare_m)) - 1
    print(f"{spec.name}, seq {args.seq_len}, {args.threads} threads, {args.rounds} rounds × {args.iters} passes")
    print(f"bare loop median of medians   {mb * 1e3:9.2f} ms   (rounds {min(bare_m) * 1e3:.1f}–{max(bare_m) * 1e3:.1f})")
    print(f"tfcli.bench.measure           {mt * 1e3:9.2f} ms   (rounds {min(tfcli_m) * 1e3:.1f}–{max(tfcli_m) * 1e3:.1f})")
    overhead = mt / mb - 1
    print(f"harness overhead              {100 * overhead:+.2f}% (ratio of medians), "
          f"{100 * per_round:+.2f}% (median of per-round ratios)   "
          f"{'PASS' if per_round < 0.03 else 'FAIL'}: target < 3% on the median of per-round ratios")

    # the harness's own per-pass cost, with a model that does nothing: an upper bound
    # on what it can add to any real pass
    noop_opts = b.BenchOptions(device="cpu", warmup=1, iters=10_000)
    stats, *_ = b.measure(lambda: None, "cpu", noop_opts)
    print(f"per-pass cost of the loop itself: {stats.median * 1e9:.0f} ns (median, empty pass)")


if __name__ == "__main__":
    main()
