"""Wall time and peak memory of the commands that must be fast (no-model commands, meta-device inspect).

Each command runs 5 times in a fresh process; prints the median wall time, the ratio to
`python -c "import torch"` (the floor of any torch command, measured the same way) and the
peak resident memory of the slowest run. Usage: python benchmarks/cli_speed.py
"""

import compileall
import os
import statistics
import subprocess
import sys
import time

COMMANDS = [
    ["--help"],
    ["list"],
    ["inspect", "bert-base"],
    ["inspect", "gpt3-175b"],
    ["inspect", "llama2-70b"],
    ["inspect", "sam-h"],
    ["inspect", "sd15"],
    ["inspect", "vit-b16"],
    ["inspect", "mixtral-8x7b"],
    ["inspect", "deepseek-v3"],
]
IMPORT_TORCH = ["-c", "import torch"]


def run(args: list[str]) -> tuple[float, float]:
    """Wall seconds and this child's own peak resident memory in MiB (os.wait4's rusage)."""
    start = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, *(args if args == IMPORT_TORCH else ["-m", "tfcli", *args])],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"tfcli {' '.join(args)} failed")
    return wall, usage.ru_maxrss / 1024


def main() -> None:
    # .pyc caches written first (this environment may set PYTHONDONTWRITEBYTECODE): an
    # installed tool runs from them, and compiling 100 modules would be timed otherwise
    compileall.compile_dir(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tfcli"), quiet=1)
    floor = statistics.median(run(IMPORT_TORCH)[0] for _ in range(5))
    print(f"{'command':32} {'median s':>9} {'× import torch':>15} {'peak RSS MiB':>13}")
    label = 'python -c "import torch"'
    print(f"{label:32} {floor:9.2f} {1.0:15.2f}")
    for args in COMMANDS:
        runs = [run(args) for _ in range(5)]
        median = statistics.median(w for w, _ in runs)
        peak = max(m for _, m in runs)
        print(f"{'tfcli ' + ' '.join(args):32} {median:9.2f} {median / floor:15.2f} {peak:13.0f}")


if __name__ == "__main__":
    main()
