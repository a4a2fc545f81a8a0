"""The options the commands share, declared once and validated once.

Numbers carry no click `min=`: a bad value gets tfcli's one-line error (exit 2) from
`input_shape`/`parse_lengths`, the same wording in every command. Every option that takes a
value names it with a metavar (N, PX, KEY=VALUE), so help never shows `<int>` or
`<list[str]>`; an option with fixed values lists them ([fp32|bf16|fp16]) and the shell
completes them (`choice`).
"""

from __future__ import annotations

import enum

import typer

from tfcli.catalog import complete_names
from tfcli.gpus import GPUS

# the values of the options with fixed choices; tests/test_help.py checks them against the
# modules that read them (kept here so that `tfcli --help` imports neither)
FLOPS_METHODS = ("fvcore", "torch", "analytic", "all")  # tfcli.analysis.flops.METHODS and all
BENCH_DTYPES = ("fp32", "bf16", "fp16")  # tfcli.bench.devices.DTYPES
MEMORY_DTYPES = ("fp32", "bf16", "fp16", "fp8")  # tfcli.analysis.complexity.DTYPE_BYTES
ATTN_BACKENDS = ("auto", "math", "flash", "efficient")  # tfcli.bench.devices.ATTN_BACKENDS
DEVICES = ("cpu", "cuda", "cuda:0")  # and any cuda:N
GPU_KEYS = tuple(g.key for g in GPUS)  # tfcli.gpus (no torch)
LANGS = ("en", "zh", "zh-Hant")  # tfcli.vocab.LANGS


def completer(values):
    """Shell completion of a fixed list (typer calls it with the word typed so far)."""

    def complete(incomplete: str):
        return [v for v in values() if v.startswith(incomplete)]

    return complete


def choice(default, *names: str, choices: tuple[str, ...], help: str, metavar: str | None = None):
    """An option with fixed values: help lists them and the shell completes them. The command
    checks the value itself, so a wrong one gets tfcli's one-line error (exit 2) and aliases
    (--dtype bfloat16) still work."""
    return typer.Option(
        default, *names, help=help, metavar=metavar or "[" + "|".join(choices) + "]",
        autocompletion=completer(lambda: choices),
    )


MODEL = typer.Argument(
    ..., help="Preset name or alias (see `tfcli list`), or a .yaml/.toml/.json spec file.",
    autocompletion=complete_names, show_default=False, metavar="MODEL",
)
MODELS = typer.Argument(
    ..., help="Two or more preset names, aliases or spec/config.json files.",
    autocompletion=complete_names, show_default=False, metavar="MODEL...",
)
SET = typer.Option(None, "--set", "-s", metavar="KEY=VALUE",
                   help="Override a config field: --set num_layers=6 (repeatable; every model).")
BATCH = typer.Option(1, "--batch", "-b", metavar="N", help="Batch size.")
SEQ_LEN = typer.Option(None, "--seq-len", "-n", metavar="N", help="Tokens per sequence (default: the family's).")
TGT_LEN = typer.Option(None, "--tgt-len", metavar="N", help="Decoder tokens for encoder-decoders (default: --seq-len).")
IMAGE_SIZE = typer.Option(None, "--image-size", metavar="PX", help="Image side in pixels for vision models.")
AUDIO_SECONDS = typer.Option(
    None, "--audio-seconds", metavar="SECONDS",
    help="Seconds of audio for audio models (Whisper: default 30 s = 3000 log-mel frames).",
)
PROMPT = typer.Option(
    None, "--prompt", metavar="PROMPTS",
    help="SAM prompts per image: points=N, box, mask (comma-separated; default points=1).",
)
# the sweeping commands (bench, complexity) take lists: -n 512,1024 or -n 512 -n 1024
SEQ_LENS = typer.Option(None, "--seq-len", "-n", metavar="N[,N...]",
                        help="Lengths: 512, or a sweep 512,1024,2048 (repeatable).")
IMAGE_SIZES = typer.Option(None, "--image-size", metavar="PX[,PX...]",
                           help="Image sides in pixels: 224, or a sweep 224,448,896.")
JSON = typer.Option(False, "--json", help="Print JSON instead of tables.")
DEPTH = typer.Option(3, "--depth", "-d", metavar="N", help="Levels of the layer tree to show.")


def positive(**values: int | None) -> None:
    """--name must be a positive integer (None: not given)."""
    from tfcli.errors import UsageError

    for name, value in values.items():
        if value is not None and value <= 0:
            raise UsageError(f"--{name.replace('_', '-')} must be a positive integer, got {value}")


def at_least_zero(**values: int | None) -> None:
    from tfcli.errors import UsageError

    for name, value in values.items():
        if value is not None and value < 0:
            raise UsageError(f"--{name.replace('_', '-')} must be 0 or more, got {value}")


def input_shape(
    batch: int = 1, seq_len: int | None = None, tgt_len: int | None = None, image_size: int | None = None,
    prompt: str | None = None, audio_seconds: float | None = None,
):
    """The input options as given (None: the family's default), each checked here once."""
    import math

    from tfcli.errors import UsageError
    from tfcli.spec import InputShape

    positive(batch=batch, seq_len=seq_len, tgt_len=tgt_len, image_size=image_size)
    if audio_seconds is not None and not (math.isfinite(audio_seconds) and audio_seconds > 0):
        raise UsageError(f"--audio-seconds must be a positive number of seconds, got {audio_seconds:g}")
    return InputShape(batch=batch, seq_len=seq_len, tgt_len=tgt_len, image_size=image_size, prompt=prompt,
                      audio_seconds=audio_seconds)


def parse_lengths(values: str | list[str] | None, option: str = "--seq-len") -> list[int] | None:
    """'128,256,512' or repeats of it → sorted distinct positive integers; None when not given."""
    from tfcli.errors import UsageError

    if not values:
        return None
    texts = [values] if isinstance(values, str) else list(values)
    out: set[int] = set()
    for text in texts:
        for item in (t.strip() for t in str(text).split(",")):
            try:
                value = int(item)
            except ValueError:
                raise UsageError(
                    f"{option} expects comma-separated positive integers such as 128,256,512; got '{text}'"
                ) from None
            if value <= 0:
                raise UsageError(f"{option} values must be positive; got {value} in '{text}'")
            out.add(value)
    return sorted(out)


def csv_option(rows: str):
    """--csv FILE; `rows` says what one row is (the commands differ only in that)."""
    return typer.Option(None, "--csv", metavar="FILE.csv",
                        help=f"Also write a CSV file, one row per {rows} (the --json keys as columns).",
                        show_default=False)


def check_csv(path):
    """The --csv path, refused in one line (exit 2) before anything is built, counted or timed."""
    if path is None:
        return None
    from tfcli.outputs import check_output_path

    return check_output_path(path, "--csv", (".csv",))


def print_json(data: dict, command: str) -> None:
    """The command's --json document: {"schema_version", "command", ...data} (docs/json.md)."""
    from tfcli.outputs import json_document, json_text

    typer.echo(json_text(json_document(command, data)))


def invoked_options(ctx: typer.Context) -> dict:
    """The command's arguments and options as given (defaults filled in), keyed by option
    name in snake_case (--seq-len → seq_len): what reruns it."""
    import enum
    from pathlib import Path

    def plain(v):
        if isinstance(v, (list, tuple)):
            return [plain(x) for x in v]
        if isinstance(v, Path):
            return str(v)
        return v.value if isinstance(v, enum.Enum) else v

    out = {}
    for param in ctx.command.params:
        longs = [x for x in param.opts if x.startswith("--")] or [param.name]
        out[longs[0].lstrip("-").replace("-", "_")] = plain(ctx.params.get(param.name))
    return out


def write_csv(path, rows: list[dict]) -> None:
    """Write --csv's rows (when a path was given) and say where, on stderr: stdout may be JSON."""
    if path is None:
        return
    from tfcli.outputs import write_csv as write

    write(path, rows)
    typer.echo(f"CSV written to {path}", err=True)


# training: flops and bench --train run these (tfcli.analysis.flops.train.OPTIMIZER_FLOPS's keys);
# memory models 8-bit AdamW's states too (tfcli.analysis.memory.OPTIMIZERS's keys). Written out
# here so that --help imports nothing of the analysis.
TRAIN_OPTIMIZERS = ("adamw", "sgd")
STATE_OPTIMIZERS = ("adamw", "adamw-8bit", "sgd")
TRAIN = typer.Option(False, "--train", help="A training step: forward, backward and the optimizer step.")
OPTIMIZER = choice(None, "--optimizer", choices=TRAIN_OPTIMIZERS, help="The optimizer of a --train step (default adamw).")


def one_of(option: str, value: str, choices: tuple[str, ...]) -> str:
    """A fixed-choice option's value, or tfcli's one-line error (exit 2) naming the choices."""
    from tfcli.errors import UsageError

    key = value.strip().lower()
    if key not in choices:
        raise UsageError(f"unknown {option} '{value}'; use one of {', '.join(choices)}")
    return key


def optimizer_name(optimizer: str | None, train: bool) -> str:
    """--optimizer's value (adamw when not given); refused without --train."""
    from tfcli.errors import UsageError

    if optimizer is not None and not train:
        raise UsageError("--optimizer is the optimizer of a training step; add --train")
    return one_of("--optimizer", optimizer or "adamw", TRAIN_OPTIMIZERS)
