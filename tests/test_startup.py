"""`tfcli --help`, `list`, `memory` (closed forms only) and completion never import torch (checked in a fresh interpreter)."""

import json
import os
import subprocess
import sys

import pytest

PROBE = """
import sys
from tfcli.cli.app import main
try:
    main({args!r})
except SystemExit:
    pass
print("TORCH_LOADED" if "torch" in sys.modules else "NO_TORCH", file=sys.stderr)
"""


@pytest.mark.parametrize("args", [["--help"], ["list"], ["list", "--json"], ["inspect", "--help"],
                                  ["memory", "deepseek-v3", "--gpu", "h100-80g"], ["memory", "sd15", "--json"]])
def test_no_torch_import(args):
    r = subprocess.run([sys.executable, "-c", PROBE.format(args=args)], capture_output=True, text=True)
    assert "NO_TORCH" in r.stderr, r.stderr


def test_completion_lists_presets_without_torch():
    env = {**os.environ, "_TFCLI_COMPLETE": "complete_bash", "COMP_WORDS": "tfcli inspect ber", "COMP_CWORD": "2"}
    code = "import sys\nfrom tfcli.cli.app import main\ntry:\n    main()\nexcept SystemExit:\n    pass\nprint(json.dumps('torch' in sys.modules), file=sys.stderr)"
    r = subprocess.run([sys.executable, "-c", "import json\n" + code], capture_output=True, text=True, env=env)
    assert "bert-base" in r.stdout and "bert-large" in r.stdout, r.stdout + r.stderr
    assert json.loads(r.stderr.strip().splitlines()[-1]) is False


def test_python_dash_m():
    r = subprocess.run([sys.executable, "-m", "tfcli", "--version"], capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.startswith("tfcli ")
