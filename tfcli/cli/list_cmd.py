"""`tfcli list`: every preset with its family, class and parameter count. No torch."""

from __future__ import annotations

import typer

from tfcli.cli import options as o
from tfcli.cli.app import app


@app.command("list")
def list_presets(
    family: str = typer.Option(None, "--family", "-f", help="Only this family (e.g. bert, gpt, vit)."),
    kind: str = typer.Option(None, "--kind", "-k", help="Only this class (encoder-only, decoder-only, encoder-decoder, ...)."),
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
    from rich.table import Table

    from tfcli.render.fmt import human, make_console

    t = Table(title=f"{len(rows)} presets", title_justify="left")
    for col, just in (("name", "left"), ("family", "left"), ("class", "left"), ("params", "right"), ("", "right"),
                      ("active", "right"), ("aliases", "left")):
        t.add_column(col, justify=just)
    for r in rows:
        active = human(r["params_active"]) if r["params_active"] != r["params"] else ""
        t.add_row(r["name"], r["family"], r["kind"], f"{r['params']:,}", human(r["params"]), active,
                  ", ".join(r["aliases"]))
    make_console().print(t)
