"""Rich rendering of an Inspection: header, layer tree, parameter breakdown."""

from __future__ import annotations

from rich.console import Console, Group
from rich.markup import escape
from rich.table import Table
from rich.tree import Tree

from tfcli.analysis.inspect import Inspection
from tfcli.analysis.tree import TreeNode
from tfcli.render.fmt import human, human_bytes, percent, shape_str


def _value(v) -> str:
    """A config value with no space inside, so the line wraps between fields, never inside one:
    block_out_channels=(320,640,1280,1280)."""
    if isinstance(v, (tuple, list)):
        inner = ",".join(repr(x) if isinstance(x, str) else _value(x) for x in v)
        return f"({inner})" if isinstance(v, tuple) else f"[{inner}]"
    return str(v).replace(" ", "")


def header(ins: Inspection) -> Table:
    t = Table.grid(padding=(0, 2))
    t.add_column(style="bold")
    t.add_column()
    t.add_row("model", f"{ins.name}  [dim]({ins.source})[/]")
    t.add_row("family", f"{ins.family} — {ins.family_description}")
    c = ins.classification
    t.add_row("class", f"[bold cyan]{c.kind}[/]: {c.summary}")
    for s in c.stacks:
        t.add_row("", f"[dim]{s.describe()}[/]")
    if ins.positions:
        t.add_row("positions", ", ".join(ins.positions))
    if ins.placement:
        t.add_row("blocks", ins.placement)
    hp = ", ".join(f"{k}={_value(v)}" for k, v in ins.config.items() if k != "family" and not isinstance(v, dict))
    rows = [hp] if hp else []
    for part, sub in ins.config.items():  # nested parts (Stable Diffusion's text/unet/vae)
        if isinstance(sub, dict):
            # shown as the part name --set takes: --set text.num_layers=6
            rows.append(f"[bold]{part}.[/] " + ", ".join(f"{k}={_value(v)}" for k, v in sub.items()))
    for i, row in enumerate(rows):
        t.add_row("config" if i == 0 else "", row)
    t.add_row("input", ", ".join(f"{k} {shape_str(v)}" for k, v in ins.inputs.items()))
    for line in ins.input_notes:
        t.add_row("", escape(line))  # "[CLS]" is text, not markup
    t.add_row("params", f"{ins.params.total:,} ({human(ins.params.total)})")
    if ins.params.sparse:
        n = ins.params.active_params
        t.add_row("active", f"{n:,} ({human(n)}) per token: the routed top-k experts, not all of them")
    for note in ins.notes:
        t.add_row("note", f"[yellow]{note}[/]")
    return t


def _label(node: TreeNode) -> str:
    params = ""
    if node.params or node.tied:
        params = human(node.params) if node.params else "0"
        if node.repeat > 1 and not node.shared:
            params = f"{params} × {node.repeat} = {human(node.params * node.repeat)}"
        if node.tied:
            params += " [magenta](tied)[/]"
    rep = f" [bold]× {node.repeat}[/]" if node.repeat > 1 else ""
    if node.shared:  # one module run repeat times: its parameters once
        rep = f" [bold]shared × {node.repeat}[/]"
    return (
        f"[bold]{node.name}[/]{rep} [dim]{node.type}[/]  [green]{params}[/]  "
        f"[blue]{shape_str(node.output_shape)}[/]"
    )


def layer_tree(root: TreeNode, depth: int) -> Tree:
    """Node params cover the node's whole subtree, for one copy of a repeated block."""
    tree = Tree(_label(root))

    def add(parent: Tree, node: TreeNode, level: int) -> None:
        branch = parent.add(_label(node))
        if level < depth:
            for child in node.children:
                add(branch, child, level + 1)

    for child in root.children:
        add(tree, child, 1)
    return tree


def _share_table(title: str, rows: dict[str, int], total: int) -> Table:
    t = Table(title=title, title_justify="left", show_footer=True)
    t.add_column("part", footer="total")
    t.add_column("parameters", justify="right", footer=f"{total:,}")
    t.add_column("share", justify="right", footer="100.0%")
    from tfcli.spec import LABELS

    for name, n in rows.items():
        if n:
            t.add_row(LABELS.get(name, name), f"{n:,}", percent(n, total))  # categories by their label
    return t


def breakdown(ins: Inspection) -> list[Table]:
    """By kind of layer, and (for models with parts) by component."""
    p = ins.params
    tables = [_share_table("parameters by kind", p.by_category, p.total)]
    if p.by_component:
        tables.append(_share_table("parameters by component", p.by_component, p.total))
    return tables


def memory(ins: Inspection) -> Table:
    p = ins.params
    t = Table.grid(padding=(0, 2))
    t.add_column(style="bold")
    t.add_column()
    t.add_row("trainable", f"{p.trainable:,}")
    t.add_row("weights", f"fp32 {human_bytes(p.bytes(4))}   bf16/fp16 {human_bytes(p.bytes(2))}")
    for tie in p.tied:
        t.add_row("tied", f"{tie} (counted once)")
    return t


def render_inspection(ins: Inspection, console: Console, depth: int) -> None:
    console.print(header(ins))
    console.print()
    console.print(layer_tree(ins.tree, depth))
    console.print()
    console.print(Group(*breakdown(ins), memory(ins)))
