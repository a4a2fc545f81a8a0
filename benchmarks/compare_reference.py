"""tfcli's forward pass against the reference implementations, same config, same harness.

    python benchmarks/compare_reference.py [--threads 2] [--batch 1] [--seq-len 128,512]

Pairs: tfcli bert-base vs transformers BertModel, tfcli gpt2 vs transformers
GPT2LMHeadModel, tfcli vit-b16 vs timm vit_base_patch16_224 (when tfcli has ViT).
Both sides run in the reference's own venv (so both use the same torch build), in
separate subprocesses, alternating tfcli/reference for --rounds rounds so that load
from other processes hits both alike. Each subprocess: fp32, CPU, the same thread
count, inputs built once, warm-up passes, then --iters passes timed with
time.perf_counter under torch.inference_mode() by the *same* loop (bare_loop below).

Reported per pair: median of the per-round medians, min over all passes, and the
ratio tfcli / reference for both (target: ≤ 1.0). Worker mode (--worker) is internal.
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


def bare_loop(fn, warmup: int, iters: int) -> list[float]:
    import time

    for _ in range(warmup):
        fn()
    times = []
    for _ in range(iters):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times


def build_tfcli(preset: str, batch: int, seq_len: int, image_size: int):
    import torch

    from tfcli.build import build_model
    from tfcli.registry import lookup
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
    if args.worker == "tfcli":
        model, inputs = build_tfcli(args.preset, args.batch, args.seq_len, args.image_size)
    else:
        model, inputs = build_reference(args.worker, args.batch, args.seq_len, args.image_size)
    model.eval()

    def fn():
        with torch.inference_mode():
            return model(**inputs)

    times = bare_loop(fn, args.warmup, args.iters)
    print(json.dumps({
        "median": statistics.median(times), "min": min(times), "n": len(times),
        "threads": torch.get_num_threads(), "torch": torch.__version__,
        "params": sum(p.numel() for p in model.parameters()),
    }))


# -- driver ---------------------------------------------------------------------------------


def run_side(python: Path, side: str, preset: str, args, seq_len: int) -> dict:
    cmd = [str(python), __file__, "--worker", side, "--preset", preset, "--batch", str(args.batch),
           "--seq-len-one", str(seq_len), "--image-size", str(args.image_size), "--threads", str(args.threads),
           "--warmup", str(args.warmup), "--iters", str(args.iters)]
    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS=str(args.threads))
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=str(ROOT))
    if out.returncode != 0:
        last = (out.stderr.strip().splitlines() or ["no output"])[-1]
        return {"error": last}
    return json.loads(out.stdout.strip().splitlines()[-1])


def tfcli_has(preset: str) -> bool:
    sys.path.insert(0, str(ROOT))
    from tfcli.registry import presets

    return preset in presets()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models", default=",".join(PAIRS))
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--seq-len", default="128,512", help="text models; comma list")
    ap.add_argument("--image-size", type=int, default=224)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--iters", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=3)
    # worker mode
    ap.add_argument("--worker")
    ap.add_argument("--preset")
    ap.add_argument("--seq-len-one", dest="seq_len_one", type=int)
    args = ap.parse_args()
    if args.worker:
        args.seq_len = args.seq_len_one
        return worker(args)

    print(f"fp32, CPU, batch {args.batch}, {args.threads} threads, {args.warmup} warm-up + {args.iters} "
          f"timed passes per run, {args.rounds} alternating rounds per side")
    header = f"{'model':<10} {'input':>8} {'tfcli ms':>9} {'ref ms':>9} {'ratio':>6} {'tfcli min':>10} {'ref min':>9} {'ratio':>6}  reference"
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
            ours, theirs = [], []
            for _ in range(args.rounds):  # alternate, so background load hits both sides alike
                ours.append(run_side(python, "tfcli", preset, args, n))
                theirs.append(run_side(python, side, preset, args, n))
            errors = [r["error"] for r in ours + theirs if "error" in r]
            if errors:
                print(f"{name:<10} {n:>8} failed: {errors[0]}")
                continue
            t_med = statistics.median(r["median"] for r in ours)
            r_med = statistics.median(r["median"] for r in theirs)
            t_min = min(r["min"] for r in ours)
            r_min = min(r["min"] for r in theirs)
            label = f"{n} tok" if modality == "text" else f"{n}px"
            print(f"{name:<10} {label:>8} {t_med * 1e3:>9.2f} {r_med * 1e3:>9.2f} {t_med / r_med:>6.3f} "
                  f"{t_min * 1e3:>10.2f} {r_min * 1e3:>9.2f} {t_min / r_min:>6.3f}  "
                  f"{side} (torch {theirs[0]['torch']}, {theirs[0]['params']:,} vs {ours[0]['params']:,} params)")


if __name__ == "__main__":
    main()
