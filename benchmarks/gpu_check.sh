#!/usr/bin/env bash
# One short check of `tfcli bench` on a CUDA machine (under ~4 minutes on an H100).
# Installs nothing but tfcli itself (pip install -e ., no deps: torch with CUDA is
# expected to be there already). Output goes to $OUT/gpu.log when $OUT is set.
#
#   bash benchmarks/gpu_check.sh
set -u
cd "$(dirname "$0")/.."
LOG="${OUT:-.}/gpu.log"
exec > >(tee "$LOG") 2>&1

step() { echo; echo "=== $* ==="; }
run() { echo "+ $*"; timeout 120 "$@"; echo "(exit $?)"; }

step "environment"
python - <<'EOF'
import torch
print("torch", torch.__version__, "| cuda available:", torch.cuda.is_available(), "| cuda", torch.version.cuda)
if torch.cuda.is_available():
    print("device:", torch.cuda.get_device_name(0), "| bf16:", torch.cuda.is_bf16_supported())
EOF
nvidia-smi --query-gpu=name,memory.total,clocks.max.sm --format=csv 2>/dev/null || true

step "install tfcli (no dependencies pulled; offline-safe)"
pip install -q --no-deps --no-build-isolation -e . 2>&1 | tail -2
# run from this checkout whatever pip did; pure-python deps copied into build/gpudeps
# (if the caller carried them) fill in only what the machine lacks
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
python - <<'EOF'
import importlib.util
missing = [m for m in ("typer", "rich", "yaml", "pytest") if importlib.util.find_spec(m) is None]
print("missing deps:", missing or "none")
EOF
if [ -d build/gpudeps ]; then export PYTHONPATH="$PYTHONPATH:$PWD/build/gpudeps"; fi

T="python -m tfcli bench"
step "gpt2, fp32 and bf16, one length"
run $T gpt2 --device cuda --dtype fp32 -n 1024 --batch 8 --min-time 2
run $T gpt2 --device cuda --dtype bf16 -n 1024 --batch 8 --min-time 2

step "bert-base bf16 sweep 512..8192 (positions wrap past 512), with a plot"
run $T bert-base --device cuda --dtype bf16 -n 512,1024,2048,4096,8192 --batch 4 --min-time 1 \
    --plot "${OUT:-.}/bert_sweep.svg"

step "each --attn backend, gpt2 bf16 at 4096 (math materialises 4096^2 scores per head)"
for a in auto math flash efficient; do
    run $T gpt2 --device cuda --dtype bf16 -n 4096 --batch 2 --attn "$a" --min-time 1
done

step "fp32 + flash must be refused (exit 2); math sweep into OOM must mark OOM, not crash"
run $T gpt2 --device cuda --dtype fp32 --attn flash -n 128
run $T gpt2 --device cuda --dtype fp16 --attn math -n 8192,32768,131072 --batch 16 --force --iters 5 --warmup 1

step "llama2-7b bf16 (real size), and --compile on a small model"
run $T llama2-7b --device cuda --dtype bf16 -n 2048 --min-time 2
run $T gpt2 --device cuda --dtype bf16 -n 1024 --batch 8 --compile --min-time 2

step "JSON output"
run $T gpt2 --device cuda --dtype bf16 -n 512 --iters 10 --json

step "CUDA tests"
python -m pytest -q tests/test_bench.py 2>&1 | tail -15
echo; echo "log written to $LOG"
