#!/usr/bin/env bash
# Issue 16's GPU figures in one short run (about 3 minutes on an H100/H200): tfcli's own
# forward passes in bf16, as `tfcli bench` times them, and the share of the data-sheet
# dense peak each reaches. Prefill of llama2-7b (the size of a real serving step), and
# bert-base and vit-b16 at batches big enough not to be launch-bound.
#
#   bash benchmarks/gpu_speed.sh            # $OUT/gpu_speed.md: a table for benchmarks/RESULTS.md
#
# Installs nothing but tfcli itself (pip install -e ., no deps: a CUDA torch is expected).
set -u
cd "$(dirname "$0")/.."
OUT="${OUT:-.}"
LOG="$OUT/gpu_speed.log"
exec > >(tee "$LOG") 2>&1

python - <<'EOF'
import torch
print("torch", torch.__version__, "| cuda", torch.version.cuda, "| available:", torch.cuda.is_available())
if torch.cuda.is_available():
    print("device:", torch.cuda.get_device_name(0))
EOF
nvidia-smi --query-gpu=name,memory.total,clocks.max.sm,power.limit --format=csv 2>/dev/null || true
pip install -q --no-deps --no-build-isolation -e . 2>&1 | tail -2
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
if [ -d build/gpudeps ]; then export PYTHONPATH="$PYTHONPATH:$PWD/build/gpudeps"; fi

# name | tfcli bench arguments (bf16 on cuda, --json added)
RUNS=(
  "llama2-7b-prefill-2048|llama2-7b -n 2048 --batch 1"
  "llama2-7b-prefill-4x2048|llama2-7b -n 2048 --batch 4"
  "bert-base-32x512|bert-base -n 512 --batch 32"
  "bert-base-8x128|bert-base -n 128 --batch 8"
  "vit-b16-128x224|vit-b16 --image-size 224 --batch 128"
  "vit-b16-1x224|vit-b16 --image-size 224 --batch 1"
)
for run in "${RUNS[@]}"; do
  name="${run%%|*}"; args="${run#*|}"
  echo; echo "=== $name: tfcli bench $args --device cuda --dtype bf16 ==="
  # shellcheck disable=SC2086
  timeout 150 python -m tfcli bench $args --device cuda --dtype bf16 --min-time 2 --json > "$OUT/$name.json"
  echo "(exit $?)"
done

python - "$OUT" "${RUNS[@]}" <<'EOF'
"""One Markdown table from the JSON files (whatever nesting the bench JSON has)."""
import json, sys, time
from pathlib import Path

out, runs = Path(sys.argv[1]), [r.split("|")[0] for r in sys.argv[2:]]

def results(node):
    if isinstance(node, dict):
        if "points" in node and "settings" in node:
            yield node
        for v in node.values():
            yield from results(v)
    elif isinstance(node, list):
        for v in node:
            yield from results(v)

lines = [f"GPU figures, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} (benchmarks/gpu_speed.sh)", "",
         "| run | device | SDPA kernel | median ms | TFLOP/s | % dense peak | peak mem GiB |",
         "|---|---|---|---:|---:|---:|---:|"]
for name in runs:
    f = out / f"{name}.json"
    try:
        data = json.loads(f.read_text())
    except (OSError, ValueError) as e:
        lines.append(f"| {name} | failed ({e.__class__.__name__}; see gpu_speed.log) | | | | | |")
        continue
    for r in results(data):
        s = r["settings"]
        for p in r["points"]:
            stats = p.get("stats") or {}
            median = stats.get("median")
            rate = p.get("tflops") or p.get("tflop_per_s")
            frac = p.get("peak_fraction")
            mem = p.get("peak_memory") or p.get("peak_memory_bytes") or 0
            if p.get("status") != "ok" or not median:
                lines.append(f"| {name} | {s.get('device_name', '')} | {p.get('status')}: {p.get('message', '')} | | | | |")
                continue
            lines.append(
                f"| {name} | {s.get('device_name', '')} | {', '.join(p.get('backends') or []) or '-'} | "
                f"{median * 1e3:.2f} | {rate or 0:.1f} | {'-' if frac is None else f'{100 * frac:.1f}%'} | "
                f"{mem / 2**30:.2f} |")
text = "\n".join(lines)
print(text)
(out / "gpu_speed.md").write_text(text + "\n")
EOF
