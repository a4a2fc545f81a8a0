"""The hostile-input property test (tests/test_hostile.py::test_random_overrides_end_cleanly)
at a larger size than CI runs: random presets, --set keys and values through the real CLI.

    python3 benchmarks/hostile_property.py [EXAMPLES]     (default 500)

Prints the examples run, the wall time and pytest's verdict; record them in RESULTS.md.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

examples = int(sys.argv[1]) if len(sys.argv) > 1 else 500
root = Path(__file__).resolve().parent.parent
start = time.monotonic()
p = subprocess.run(
    [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
     "tests/test_hostile.py::test_random_overrides_end_cleanly"],
    cwd=root, env={**os.environ, "TFCLI_HOSTILE_EXAMPLES": str(examples)}, capture_output=True, text=True,
)
seconds = time.monotonic() - start
print(f"examples: {examples}  wall: {seconds:.1f} s  ({seconds / examples * 1000:.0f} ms each)")
print(p.stdout.strip().splitlines()[-1] if p.stdout.strip() else p.stderr.strip()[-500:])
sys.exit(p.returncode)
