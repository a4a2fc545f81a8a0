"""Wall time and peak memory of the commands that must be fast (issue: foundation).

Each command runs 5 times in a fresh process; prints the median wall time and the peak
resident memory of the slowest run. Usage: python benchmarks/cli_speed.py
"""

import resource
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
]


def run(args: list[str]) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "tfcli", *args], check=True, capture_output=True)
    wall = time.perf_counter() - start
    # ru_maxrss of children is the max over all children so far: report it in MiB
    return wall, max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024


def main() -> None:
    print(f"{'command':32} {'median s':>9} {'peak RSS MiB':>13}")
    for args in COMMANDS:
        runs = [run(args) for _ in range(5)]
        median = statistics.median(w for w, _ in runs)
        peak = max(m for _, m in runs)
        print(f"{'tfcli ' + ' '.join(args):32} {median:9.2f} {peak:13.0f}")


if __name__ == "__main__":
    main()
