"""`tfcli examples`: the spec files shipped with tfcli, and where they are installed. No torch."""

from __future__ import annotations

from pathlib import Path

import typer

from tfcli.cli import options as o
from tfcli.cli.app import app

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"  # package data (pyproject.toml)


def _example_names() -> list[str]:
    return sorted(p.name for p in EXAMPLES.iterdir() if p.suffix in (".yaml", ".toml", ".json"))


@app.command()
def examples(
    name: str = typer.Argument(None, metavar="[NAME]", show_default=False,
                               autocompletion=o.completer(_example_names),
                               help="Print only this example's path (tiny-gpt or tiny-gpt.yaml)."),
) -> None:
    """List the example spec files that ship with tfcli, with their paths.

    Use one as a model: tfcli inspect "$(tfcli examples tiny-gpt)"."""
    from tfcli.errors import UsageError

    names = _example_names()
    if name is not None:
        match = [n for n in names if n == name or Path(n).stem == name]
        if not match:
            raise UsageError(f"no example '{name}'; choose from {', '.join(Path(n).stem for n in names)}")
        typer.echo(EXAMPLES / match[0])
        return
    for n in names:
        first = (EXAMPLES / n).read_text(encoding="utf-8").splitlines()[0]
        about = first.lstrip("#/ ").strip() if first.lstrip().startswith(("#", "//")) else ""
        typer.echo(f"{EXAMPLES / n}" + (f"\n    {about}" if about else ""))
