"""Rendering `tfcli flops`: totals with their unit named, categories, modules, what was left out."""

from __future__ import annotations

import re
from collections import OrderedDict

from tfcli.analysis.analytic import CATEGORIES, LABELS
from tfcli.analysis.flops import AGREEMENT, FlopsReport
from tfcli.render.fmt import human, percent
from tfcli.render.layout import Col, FitTable


def si(n: float) -> str:
    """16126377984 → '16.13 G': the prefixes MACs and FLOPs are quoted with (GMACs, TFLOPs)."""
    for value, prefix in ((1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "K")):
        if abs(n) >= value:
            return f"{n / value:.2f} {prefix}"
    return f"{n:g} "


def macs_and_flops(macs: int) -> str:
    return f"{si(macs)}MACs = {si(2 * macs)}FLOPs"


def input_line(r: FlopsReport) -> str:
    shapes = ", ".join(f"{k} {tuple(v)}" for k, v in r.inputs.items())
    s = r.shape
    parts = [f"batch {s.batch}"]
    if "input_ids" in r.inputs and s.seq_len:
        parts.append(f"seq-len {s.seq_len}")
    if "decoder_input_ids" in r.inputs and s.tgt_len:
        parts.append(f"tgt-len {s.tgt_len}")
    if s.image_size and any(len(v) == 4 for v in r.inputs.values()):
        parts.append(f"image-size {s.image_size}")
    if s.prompt:
        parts.append(f"prompt {s.prompt}")
    if s.audio_seconds and "input_features" in r.inputs:
        parts.append(f"audio-seconds {s.audio_seconds:g}")
    return f"{shapes}  ({', '.join(parts)})"


def render_flops(r: FlopsReport, console, depth: int) -> None:
    p = r.primary
    console.print(f"[bold]{r.name}[/]  [dim]{r.family} · {human(r.params)} parameters[/]")
    console.print(f"input: {input_line(r)}")
    console.print(f"[dim]convention: {r.convention()}[/]")
    console.print()
    console.print(
        f"[bold]total: {macs_and_flops(p.total)}[/]  ({p.total:,} MACs, {p.method})"
    )
    scores = p.by_category["attn_scores"]
    linear = p.by_category["attn_proj"] + p.by_category["feed_forward"]
    console.print(
        f"attention scores (QKᵀ+AV): {percent(scores, p.total)} · "
        f"linear layers (projections + feed-forward): {percent(linear, p.total)}"
    )
    console.print()
    if len(r.counts) > 1 or r.missing:
        _methods_table(r).print(console)
    else:
        _category_table(r).print(console)
    if depth > 0 and r.module_macs:
        _module_table(r, depth).print(console)
        console.print("[dim]×N: N identical modules, their sum shown; "
                      "a tied weight counts under every module that uses it[/]")
    elif depth > 0:
        console.print("[dim]per-module rows need a measured method (--method fvcore or torch)[/]")
    for c in r.counts.values():
        if c.method == "analytic":
            continue
        if c.uncounted:
            ops = ", ".join(f"{op}×{n}" for op, n in c.uncounted.items())
            console.print(f"[yellow]uncounted by {c.method} (no handle): {ops}[/]")
        else:
            console.print(f"[dim]{c.method}: every op with a matmul or a norm has a handle; none uncounted[/]")
        if c.elementwise:
            ops = ", ".join(f"{op}×{n}" for op, n in c.elementwise.items())
            console.print(f"[dim]{c.method}: elementwise, not counted by convention: {ops}[/]")
    if r.has_causal and not r.causal_half:
        console.print("[dim]--causal-half counts only the masked half of causal score matrices[/]")
    for note in r.notes:
        console.print(f"[dim]note: {note}[/]")


def _category_table(r: FlopsReport) -> FitTable:
    p = r.primary
    t = FitTable([Col("category", justify="left", wrap=True), Col("MACs"), Col("FLOPs", drop=1), Col("share")],
                 title=f"MACs by category ({p.method})")
    for cat in CATEGORIES:
        n = p.by_category[cat]
        if n:
            t.add_row(LABELS[cat], si(n) + "MACs", si(2 * n) + "FLOPs", percent(n, p.total))
    t.add_row("[bold]total[/]", f"[bold]{si(p.total)}MACs[/]", f"[bold]{si(2 * p.total)}FLOPs[/]", "100%")
    return t


def _diff(values: list[int]) -> str:
    if not values or not max(values):
        return ""
    d = (max(values) - min(values)) / max(values)
    text = "0" if d == 0 else f"{100 * d:.3f}%"
    return f"[red]{text}[/]" if d > AGREEMENT else text


def _methods_table(r: FlopsReport) -> FitTable:
    methods = list(r.counts)
    cols = [Col("category", justify="left", wrap=True), *(Col(m) for m in methods),
            *(Col(m, drop=2) for m in r.missing), Col("max diff", drop=1)]
    t = FitTable(cols, title="MACs by category, method by method (FLOPs = 2 × MACs)")
    for cat in CATEGORIES:
        values = [r.counts[m].by_category[cat] for m in methods]
        if any(values):
            t.add_row(LABELS[cat], *(si(v) + "MACs" for v in values), *("—" for _ in r.missing), _diff(values))
    totals = [r.counts[m].total for m in methods]
    t.add_row("[bold]total MACs[/]", *(f"[bold]{v:,}[/]" for v in totals), *("—" for _ in r.missing), _diff(totals))
    t.add_row("total FLOPs", *(si(2 * v) + "FLOPs" for v in totals), *("—" for _ in r.missing), "")
    t.add_row("[dim]seconds[/]", *(f"[dim]{r.counts[m].seconds:.2f}[/]" for m in methods), *("" for _ in r.missing), "")
    captions = [f"{m}: {why}" for m, why in r.missing.items()]
    if r.spread() > AGREEMENT:
        captions.append(f"the methods differ by more than {100 * AGREEMENT:g}%")
    t.caption = "; ".join(captions) or None
    return t


def _module_rows(r: FlopsReport, depth: int) -> list[tuple[str, int, int, int]]:
    """(label, count, MACs, params): modules to `depth`, identical numbered siblings folded."""
    groups: OrderedDict[str, list[str]] = OrderedDict()
    for name, level in r.module_depth.items():
        if not name or level > depth or r.module_macs.get(name, 0) == 0:
            continue
        groups.setdefault(re.sub(r"(?<=\.)\d+(?=\.|$)", "*", name), []).append(name)
    rows = []
    for pattern, names in groups.items():
        macs = [r.module_macs[n] for n in names]
        params = [r.module_params[n] for n in names]
        if len(names) > 1 and len(set(macs)) == 1 and len(set(params)) == 1:
            rows.append((f"{pattern}", len(names), sum(macs), sum(params)))
        else:
            rows.extend((n, 1, r.module_macs[n], r.module_params[n]) for n in names)
    return rows


def _module_table(r: FlopsReport, depth: int) -> FitTable:
    """Module names are never wrapped: they are the names --set and the layer tree use."""
    total = r.module_macs.get("", 0)
    method = r.primary.method if r.primary.method != "analytic" else "measured"
    t = FitTable([Col("module", justify="left"), Col("×"), Col("params", drop=2), Col("MACs"), Col("share", drop=1)],
                 title=f"MACs by module, depth {depth} ({method})")
    for label, count, macs, params in _module_rows(r, depth):
        indent = "  " * (r.module_depth[label.replace("*", "0")] - 1)
        t.add_row(indent + label, str(count) if count > 1 else "", human(params), si(macs) + "MACs",
                  percent(macs, total))
    return t
