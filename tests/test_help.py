"""Help reads clean (no <bool>, <int>, <list[str]>), fixed choices are listed and completed."""

import os
import subprocess
import sys

import pytest

COMMANDS = ["list", "inspect", "flops", "complexity", "bench", "compare", "families", "graph", "examples", "memory"]


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_help_names_values_by_metavar(run_cli, command):
    code, out, err = run_cli(*([command] if command else []), "--help")
    assert code == 0, err
    for typed in ("<bool>", "<int", "<str>", "<list", "<float", "<path>", "range>", "{model"):
        assert typed not in out, f"{command} --help shows {typed}:\n{out}"


@pytest.mark.parametrize("command, listed", [
    ("flops", "--method [fvcore|torch|analytic|all]"),
    ("bench", "--dtype [fp32|bf16|fp16]"),
    ("bench", "--device [cpu|cuda|cuda:N]"),
    ("bench", "--attn [auto|math|flash|efficient]"),
    ("complexity", "--dtype [fp32|bf16|fp16|fp8]"),
    ("families", "--lang [en|zh|zh-Hant]"),
    ("memory", "--optimizer [adamw|adamw-8bit|sgd]"),
    ("memory", "--gpu KEY                       A known accelerator"),
    ("bench", "--optimizer [adamw|sgd]"),
    ("inspect", "Usage: tfcli inspect [OPTIONS] MODEL"),
    ("compare", "Usage: tfcli compare [OPTIONS] MODEL..."),
    ("bench", "Usage: tfcli bench [OPTIONS] [MODEL]..."),
])
def test_help_lists_choices(run_cli, command, listed):
    code, out, err = run_cli(command, "--help")
    assert code == 0 and listed in out, out


def test_choices_are_what_the_commands_accept():
    from tfcli.analysis.complexity import DTYPE_BYTES
    from tfcli.analysis.flops import METHODS
    from tfcli.bench.devices import ATTN_BACKENDS, DTYPES
    from tfcli.cli import options as o
    from tfcli.vocab import LANGS

    assert o.FLOPS_METHODS == (*METHODS, "all")
    assert o.BENCH_DTYPES == tuple(DTYPES) and o.ATTN_BACKENDS == tuple(ATTN_BACKENDS)
    assert o.MEMORY_DTYPES == tuple(DTYPE_BYTES) and o.LANGS == LANGS


def _complete(words: str) -> list[str]:
    cword = len(words.split()) - (0 if words.endswith(" ") else 1)
    env = {**os.environ, "_TFCLI_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": str(cword)}
    code = "from tfcli.cli.app import main\ntry:\n    main()\nexcept SystemExit:\n    pass"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    return r.stdout.split()


@pytest.mark.parametrize("words, expected", [
    ("tfcli bench gpt2 --dtype ", ["fp32", "bf16", "fp16"]),
    ("tfcli bench --attn f", ["flash"]),
    ("tfcli bench --device cu", ["cuda", "cuda:0"]),
    ("tfcli flops gpt2 --method a", ["analytic", "all"]),
    ("tfcli complexity --dtype fp", ["fp32", "fp16", "fp8"]),
    ("tfcli families --lang zh", ["zh", "zh-Hant"]),
    ("tfcli list --family mix", ["mixtral"]),
    ("tfcli list --kind enc", ["encoder + conditioned decoder", "encoder-decoder", "encoder-only"]),
    ("tfcli examples tiny", ["tiny-gpt.yaml"]),
])
def test_shell_completes_choices(words, expected):
    got = _complete(words)
    assert all(e.split()[0] in got for e in expected), got


def test_wrong_choice_is_one_line(run_cli):
    code, out, err = run_cli("flops", "gpt2", "--method", "flop")
    assert code == 2 and err.count("\n") == 1 and "--method must be one of" in err
