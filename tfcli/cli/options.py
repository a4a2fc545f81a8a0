"""Options shared by the commands, declared once."""

from __future__ import annotations

import typer

from tfcli.catalog import complete_names

MODEL = typer.Argument(
    ..., help="Preset name or alias (see `tfcli list`), or a .yaml/.toml/.json spec file.",
    autocompletion=complete_names, show_default=False,
)
SET = typer.Option(None, "--set", "-s", help="Override a config field: --set num_layers=6 (repeatable).")
BATCH = typer.Option(1, "--batch", "-b", min=1, help="Batch size.")
SEQ_LEN = typer.Option(None, "--seq-len", "-n", min=1, help="Tokens per sequence (default: the family's).")
TGT_LEN = typer.Option(None, "--tgt-len", min=1, help="Decoder tokens for encoder-decoders (default: --seq-len).")
IMAGE_SIZE = typer.Option(None, "--image-size", min=1, help="Image side in pixels for vision models.")
PROMPT = typer.Option(
    None, "--prompt", help="SAM prompts per image: points=N, box, mask (comma-separated; default points=1)."
)
JSON = typer.Option(False, "--json", help="Print JSON instead of tables.")
DEPTH = typer.Option(3, "--depth", "-d", min=0, help="Levels of the layer tree to show.")


def input_shape(
    batch: int, seq_len: int | None, tgt_len: int | None, image_size: int | None, prompt: str | None = None
):
    from tfcli.spec import InputShape

    return InputShape(batch=batch, seq_len=seq_len, tgt_len=tgt_len, image_size=image_size, prompt=prompt)


def print_json(data) -> None:
    import json

    typer.echo(json.dumps(data, indent=2, default=str))
