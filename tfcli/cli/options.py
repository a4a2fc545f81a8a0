"""The options the commands share, declared once and validated once.

Numbers carry no click `min=`: a bad value gets tfcli's one-line error (exit 2) from
`input_shape`/`parse_lengths`, the same wording in every command. Every option that takes a
value names it with a metavar (N, PX, KEY=VALUE), so help never shows `<int>` or
`<list[str]>`; an option with fixed values lists them ([fp32|bf16|fp16]) and the shell
completes them (`choice`).
"""

from __future__ import annotations

import typer

from tfcli.catalog import complete_names

# the values of the options with fixed choices; tests/test_help.py checks them against the
# modules that read them (kept here so that `tfcli --help` imports neither)
FLOPS_METHODS = ("fvcore", "torch", "analytic", "all")  # tfcli.analysis.flops.METHODS and all
BENCH_DTYPES = ("fp32", "bf16", "fp16")  # tfcli.bench.devices.DTYPES
MEMORY_DTYPES = ("fp32", "bf16", "fp16", "fp8")  # tfcli.analysis.complexity.DTYPE_BYTES
ATTN_BACKENDS = ("auto", "math", "flash", "efficient")  # tfcli.bench.devices.ATTN_BACKENDS
DEVICES = ("cpu", "cuda", "cuda:0")  # and any cuda:N
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


def print_json(data) -> None:
    import json

    typer.echo(json.dumps(data, indent=2, default=str))
