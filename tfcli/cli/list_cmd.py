"""`tfcli list`: every preset with its family, class and parameter count. No torch."""

from __future__ import annotations

import typer

from tfcli.cli import options as o
from tfcli.cli.app import app


def _family_names() -> list[str]:
    from tfcli.catalog import families

    return list(families())


def _class_names() -> list[str]:
    from tfcli.catalog import families

    return sorted({f.kind for f in families().values()})


@app.command("list")
def list_presets(
    family: str = typer.Option(None, "--family", "-f", metavar="FAMILY", autocompletion=o.completer(_family_names),
                               help="Only this family (bert, gpt, vit, ...; completed by the shell)."),
    kind: str = typer.Option(None, "--kind", "-k", metavar="CLASS", autocompletion=o.completer(_class_names),
                             help="Only this class (encoder-only, decoder-only, encoder-decoder, ...; completed)."),
    json_: bool = o.JSON,
) -> None:
    """List the built-in presets."""
    from tfcli.errors import UsageError
    from tfcli.catalog import families, presets

    fams = families()
    if family is not None and family not in fams:
        raise UsageError(f"unknown family '{family}'; choose from {', '.join(fams)}")
    kinds = sorted({f.kind for f in fams.values()})
    if kind is not None and kind not in kinds:
        raise UsageError(f"unknown class '{kind}'; choose from {', '.join(kinds)}")
    rows = []
    for p in presets().values():
        fam = fams[p.family]
        if (family and p.family != family) or (kind and fam.kind != kind):
            continue
        config = p.config()
        rows.append(
            {
                "name": p.name,
                "family": p.family,
                "kind": fam.kind,
                "modality": fam.modality,
                "params": config.num_params(),
                "params_active": config.num_active_params(),  # per token: < params for a mixture of experts
                "aliases": list(p.aliases),
                "reference": p.reference,
            }
        )
    if json_:
        o.print_json({"presets": rows}, "list")
        return
    from tfcli.render.fmt import make_console
    from tfcli.render.presets import presets_table

    console = make_console()
    presets_table(rows, one_family=family is not None).print(console)
