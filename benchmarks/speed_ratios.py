"""Issue 16's table in one run: each command as a ratio to `python -c "import torch"`, and
tfcli's BERT forward as a ratio to transformers' BertModel.

    python benchmarks/speed_ratios.py                 # every row
    python benchmarks/speed_ratios.py --rounds 15     # more pairs (a busier machine wants more)
    python benchmarks/speed_ratios.py --no-bert       # the command rows only
    python benchmarks/speed_ratios.py --tree /tmp/main --no-bert   # another checkout (git archive main)

Command rows: the .pyc caches are written first (compileall), one warm-up run of each
command, then `rounds` pairs run interleaved, (import torch, command) and (command,
import torch) alternately, each a fresh process timed wall-clock. On a shared machine the
load swings between seconds, not within a pair, so the figure is the median over pairs
of command / import torch (the ratio of the medians beside it).

BERT row: benchmarks/compare_reference.py's worker in the reference venv (transformers;
never imported by tfcli), both models in one process, same torch and threads, passes
interleaved; the figure is the median per-pass-pair ratio tfcli / transformers.
"""

from __future__ import annotations

import argparse
import compileall
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

IMPORT_TORCH = [sys.executable, "-c", "import torch"]
# (command, goal as a multiple of import torch)
ROWS = [
    (["inspect", "vit-b16"], 1.3),
    (["inspect", "gpt3-175b"], 1.5),
    (["flops", "gpt3-175b", "--seq-len", "2048"], 2.0),
    (["flops", "llama2-70b", "--seq-len", "4096"], 2.0),
]
REFERENCE_VENVS = [Path("/work/refvenv/bin/python"), Path("/work/refs/venv-hf/bin/python")]


TREE = ROOT  # the checkout whose tfcli is timed (--tree)


def wall(cmd: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=TREE,
                          env=dict(os.environ, PYTHONPATH=str(TREE)))
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed: {done.stderr.decode().strip().splitlines()[-1:]}")
    return seconds


def paired(cmd: list[str], rounds: int) -> tuple[list[float], list[float]]:
    """(import torch times, command times), run A B, B A, A B ... so neither always goes first."""
    floor, mine = [], []
    for i in range(rounds):
        if i % 2 == 0:
            floor.append(wall(IMPORT_TORCH))
            mine.append(wall(cmd))
        else:
            mine.append(wall(cmd))
            floor.append(wall(IMPORT_TORCH))
    return floor, mine


def command_rows(rounds: int) -> list[str]:
    compileall.compile_dir(str(TREE / "tfcli"), quiet=1)  # .pyc caches warm, as an installed tool has
    lines = ["| command | goal | median of pair ratios | ratio of medians | median s | import torch s | pairs |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for args, goal in ROWS:
        cmd = [sys.executable, "-m", "tfcli", *args]
        wall(cmd)  # warm-up: file caches
        floor, mine = paired(cmd, rounds)
        ratio = statistics.median(m / f for m, f in zip(mine, floor))
        of_medians = statistics.median(mine) / statistics.median(floor)
        verdict = "meets" if ratio <= goal else "misses"
        lines.append(f"| `tfcli {' '.join(args)}` | ≤ {goal:g}× | **{ratio:.2f}×** ({verdict}) | {of_medians:.2f}× | "
                     f"{statistics.median(mine):.2f} | {statistics.median(floor):.2f} | {rounds} |")
        print(lines[-1], flush=True)
    return lines


def bert_rows(threads: int, lengths: list[int], iters: int, rounds: int) -> list[str]:
    import compare_reference as ref

    python = next((p for p in REFERENCE_VENVS if p.exists()), None)
    if python is None:
        return [f"BERT: no reference venv ({', '.join(map(str, REFERENCE_VENVS))})"]
    args = argparse.Namespace(batch=1, image_size=224, threads=threads, warmup=3, iters=iters)
    lines = ["| bert-base forward | goal | median of pair ratios (per round) | tfcli ms | transformers ms |",
             "|---|---:|---:|---:|---:|"]
    for n in lengths:
        results = [ref.run_pair(python, "hf-bert", "bert-base", args, n) for _ in range(rounds)]
        bad = [r["error"] for r in results if "error" in r]
        if bad:
            lines.append(f"| {n} tokens, {threads} threads | ≤ 1.0 | failed: {bad[0]} | | |")
            continue
        ratios = [r["pair_ratio"] for r in results]
        ratio = statistics.median(ratios)
        lines.append(
            f"| {n} tokens, {threads} threads | ≤ 1.0 | **{ratio:.3f}** ({'meets' if ratio <= 1.0 else 'misses'}; "
            f"{', '.join(f'{x:.3f}' for x in ratios)}) | {statistics.median(r['tfcli']['median'] for r in results) * 1e3:.1f} | "
            f"{statistics.median(r['ref']['median'] for r in results) * 1e3:.1f} |")
        print(lines[-1], flush=True)
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=9, help="pairs per command row")
    ap.add_argument("--tree", type=Path, default=ROOT, help="the checkout to time (default: this one)")
    ap.add_argument("--no-bert", action="store_true")
    ap.add_argument("--no-commands", action="store_true")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seq-len", default="128,256,512")
    ap.add_argument("--bert-iters", type=int, default=20, help="timed passes per side per round")
    ap.add_argument("--bert-rounds", type=int, default=3, help="fresh processes per length")
    args = ap.parse_args()
    global TREE
    TREE = args.tree.resolve()
    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f}, timing {TREE}", flush=True)
    if not args.no_commands:
        command_rows(args.rounds)
    if not args.no_bert:
        bert_rows(args.threads, [int(n) for n in args.seq_len.split(",")], args.bert_iters, args.bert_rounds)


if __name__ == "__main__":
    main()
