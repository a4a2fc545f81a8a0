"""tfcli's forward pass against the reference implementations, same config, same harness.

    python benchmarks/compare_reference.py [--threads 1] [--batch 1] [--seq-len 128,256]

Pairs: tfcli bert-base vs transformers BertModel, tfcli gpt2 vs transformers
GPT2LMHeadModel, tfcli vit-b16 vs timm vit_base_patch16_224 (when tfcli has ViT).

Both models are built in ONE subprocess run by the reference's own venv (so both use
the same torch build and thread count), fp32 on CPU, inputs built once, warm-up passes
for each, then passes interleaved A B B A A B ... each timed with time.perf_counter
under torch.inference_mode() by the same code (timed_pass below). Interleaving pass by
pass means load from other processes on a shared machine hits both sides alike; the
headline number is the median over pass pairs of (tfcli time / reference time), beside
the ratio of medians and of minimums. Target: ≤ 1.0. --rounds repeats the whole thing in
fresh processes and reports each round.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV_HF = Path("/work/refs/venv-hf/bin/python")
VENV_TIMM = Path("/work/refs/venv-timm/bin/python")

# name → (tfcli preset, reference side, reference venv, modality)
PAIRS = {
    "bert-base": ("bert-base", "hf-bert", VENV_HF, "text"),
    "gpt2": ("gpt2", "hf-gpt2", VENV_HF, "text"),
    "vit-b16": ("vit-b16", "timm-vit_base_patch16_224", VENV_TIMM, "vision"),
}


# -- worker: build one model, time it, print JSON ---------------------------------------


def timed_pass(fn) -> float:
    import time

    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def build_tfcli(preset: str, batch: int, seq_len: int, image_size: int):
    import torch

    from tfcli.build import build_model
    from tfcli.catalog import lookup
    from tfcli.spec import InputShape

    model = build_model(lookup(preset).config(), device="cpu", dtype=torch.float32)
    inputs = model.example_inputs(InputShape(batch=batch, seq_len=seq_len, image_size=image_size), "cpu")
    return model, inputs


def build_reference(side: str, batch: int, seq_len: int, image_size: int):
    import torch

    if side.startswith("hf-"):
        import transformers as tr

        if side == "hf-bert":
            # BertConfig() is bert-base-uncased; BertModel keeps the pooler, as tfcli's bert-base
            model = tr.BertModel(tr.BertConfig(attn_implementation="sdpa"))
            vocab = model.config.vocab_size
        else:
            # GPT2Config() is gpt2 (124M); no KV cache, since tfcli's forward returns none
            model = tr.GPT2LMHeadModel(tr.GPT2Config(attn_implementation="sdpa", use_cache=False))
            vocab = model.config.vocab_size
        ids = torch.randint(0, vocab, (batch, seq_len))
        return model.eval(), {"input_ids": ids}
    import timm

    model = timm.create_model(side.removeprefix("timm-"), pretrained=False, img_size=image_size)
    return model.eval(), {"x": torch.randn(batch, 3, image_size, image_size)}


def worker(args) -> None:
    import torch

    torch.manual_seed(0)
    torch.set_num_threads(args.threads)
    sides = {
        "tfcli": build_tfcli(args.preset, args.batch, args.seq_len, args.image_size),
        "ref": build_reference(args.worker, args.batch, args.seq_len, args.image_size),
    }
    fns = {}
    for key, (model, inputs) in sides.items():
        model.eval()

        def fn(model=model, inputs=inputs):
            with torch.inference_mode():
                return model(**inputs)

        fns[key] = fn
    for _ in range(args.warmup):
        for fn in fns.values():
            fn()
    times: dict[str, list[float]] = {"tfcli": [], "ref": []}
    for i in range(args.iters):
        order = ("tfcli", "ref") if i % 2 == 0 else ("ref", "tfcli")  # ABBA: neither always goes first
        for key in order:
            times[key].append(timed_pass(fns[key]))
    ratios = [a / b for a, b in zip(times["tfcli"], times["ref"])]
    print(json.dumps({
        "tfcli": {"median": statistics.median(times["tfcli"]), "min": min(times["tfcli"])},
        "ref": {"median": statistics.median(times["ref"]), "min": min(times["ref"])},
        "pair_ratio": statistics.median(ratios), "n": args.iters,
        "threads": torch.get_num_threads(), "torch": torch.__version__,
        "params": {k: sum(p.numel() for p in m.parameters()) for k, (m, _) in sides.items()},
    }))


# -- driver ---------------------------------------------------------------------------------


def run_pair(python: Path, side: str, preset: str, args, n: int) -> dict:
    cmd = [str(python), __file__, "--worker", side, "--preset", preset, "--batch", str(args.batch),
           "--seq-len-one", str(n), "--image-size", str(n if side.startswith("timm") else args.image_size),
           "--threads", str(args.threads), "--warmup", str(args.warmup), "--iters", str(args.iters)]
    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS=str(args.threads))
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=str(ROOT))
    if out.returncode != 0:
        last = (out.stderr.strip().splitlines() or ["no output"])[-1]
        return {"error": last}
    return json.loads(out.stdout.strip().splitlines()[-1])


def tfcli_has(preset: str) -> bool:
    sys.path.insert(0, str(ROOT))
    from tfcli.catalog import presets

    return preset in presets()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models", default=",".join(PAIRS))
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--seq-len", default="128,256", help="text models; comma list")
    ap.add_argument("--image-size", type=int, default=224)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--iters", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=2)
    # worker mode
    ap.add_argument("--worker")
    ap.add_argument("--preset")
    ap.add_argument("--seq-len-one", dest="seq_len_one", type=int)
    args = ap.parse_args()
    if args.worker:
        args.seq_len = args.seq_len_one
        return worker(args)

    print(f"fp32, CPU, batch {args.batch}, {args.threads} threads, {args.warmup} warm-up + {args.iters} "
          f"interleaved timed passes per side per round, {args.rounds} round(s)")
    header = (f"{'model':<10} {'input':>8} {'round':>5} {'tfcli ms':>9} {'ref ms':>9} {'ratio':>6} "
              f"{'tfcli min':>10} {'ref min':>9} {'ratio':>6} {'pair ratio':>10}  reference")
    print(header)
    print("-" * len(header))
    for name in args.models.split(","):
        preset, side, python, modality = PAIRS[name]
        if not tfcli_has(preset):
            print(f"{name:<10} {'':>8} skipped: no '{preset}' preset in this tfcli yet")
            continue
        if not python.exists():
            print(f"{name:<10} {'':>8} skipped: {python} missing")
            continue
        lengths = [int(n) for n in args.seq_len.split(",")] if modality == "text" else [args.image_size]
        for n in lengths:
            label = f"{n} tok" if modality == "text" else f"{n}px"
            for k in range(args.rounds):
                r = run_pair(python, side, preset, args, n)
                if "error" in r:
                    print(f"{name:<10} {label:>8} failed: {r['error']}")
                    break
                t, ref = r["tfcli"], r["ref"]
                print(f"{name:<10} {label:>8} {k + 1:>5} {t['median'] * 1e3:>9.2f} {ref['median'] * 1e3:>9.2f} "
                      f"{t['median'] / ref['median']:>6.3f} {t['min'] * 1e3:>10.2f} {ref['min'] * 1e3:>9.2f} "
                      f"{t['min'] / ref['min']:>6.3f} {r['pair_ratio']:>10.3f}  "
                      f"{side} (torch {r['torch']}; params {r['params']['tfcli']:,} vs {r['params']['ref']:,})",
                      flush=True)


if __name__ == "__main__":
    main()
