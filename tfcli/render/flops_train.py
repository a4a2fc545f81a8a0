"""Rendering `tfcli flops --train`: the step phase by phase, method by method, the backward
by category, and the per-token count beside 6N."""

from __future__ import annotations

from rich.table import Table

from tfcli.analysis.analytic import CATEGORIES, LABELS
from tfcli.analysis.flops.train import OPTIMIZER_FLOPS, OPTIMIZER_LABELS, TrainReport
from tfcli.render.flops import _diff, input_line, si
from tfcli.render.fmt import human

PHASE_LABELS = {"forward": "forward", "backward": "backward", "recompute": "recompute (checkpointing)"}


def render_train(r: TrainReport, console) -> None:
    p = r.primary
    console.print(f"[bold]{r.name}[/]  [dim]{r.family} · {human(r.params)} parameters "
                  f"({human(r.trainable)} trainable, {human(r.non_embedding)} outside the embeddings)[/]")
    console.print(f"input: {input_line(r)}")
    console.print(f"[dim]convention: {r.convention()}[/]")
    console.print()
    where = "measured" if p.method == "torch" else "closed form"
    console.print(f"[bold]training step: {si(p.total_flops)}FLOPs[/]  ({p.total_flops:,} FLOPs, {p.method}, {where}): "
                  f"model {si(2 * p.model_macs)}FLOPs + optimizer {si(p.optimizer_flops)}FLOPs")
    console.print()
    console.print(_phase_table(r))
    console.print(_category_table(r))
    for line in per_token_lines(r):
        console.print(line)
    torch = r.counts.get("torch")
    if torch is not None:
        console.print(f"[dim]FlopCounterMode counted {torch.measured_optimizer_flops:,} FLOPs in "
                      f"{OPTIMIZER_LABELS[r.optimizer]}.step() (elementwise updates); the optimizer row is the convention[/]")
        if torch.uncounted:
            ops = ", ".join(f"{op}×{n}" for op, n in torch.uncounted.items())
            console.print(f"[yellow]uncounted by torch (no handle): {ops}[/]")
    if r.fused_recompute:
        console.print(f"[dim]fused attention kernels (flash, memory-efficient, CPU flash) also recompute QKᵀ in the "
                      f"backward: +{si(r.fused_recompute)}MACs, not in these counts (the math backend's backward)[/]")
    if not r.checkpointing:
        console.print("[dim]--checkpointing counts the recomputation activation checkpointing adds[/]")
    for note in r.notes:
        console.print(f"[dim]note: {note}[/]")


def _phase_table(r: TrainReport) -> Table:
    methods = list(r.counts)
    t = Table(title="training step, method by method (MACs; FLOPs = 2 × MACs)", title_justify="left")
    t.add_column("phase")
    for m in methods:
        t.add_column(f"{m} (measured)" if m == "torch" else m, justify="right")
    for m in r.missing:
        t.add_column(m, justify="right")
    t.add_column("max diff", justify="right")
    dashes = ["—"] * len(r.missing)
    for phase in r.primary.phases:
        values = [r.counts[m].phase_total(phase) for m in methods]
        t.add_row(PHASE_LABELS[phase], *(si(v) + "MACs" for v in values), *dashes, _diff(values))
    per = OPTIMIZER_FLOPS[r.optimizer]
    opt = [r.counts[m].optimizer_flops for m in methods]
    t.add_row(f"optimizer ({OPTIMIZER_LABELS[r.optimizer]}, {per} FLOPs/param)", *(si(v) + "FLOPs" for v in opt),
              *dashes, _diff(opt))
    totals = [r.counts[m].total_flops for m in methods]
    t.add_row("[bold]total FLOPs[/]", *(f"[bold]{v:,}[/]" for v in totals), *dashes, _diff(totals))
    t.add_row("total", *(si(v) + "FLOPs" for v in totals), *dashes, "")
    if "torch" in r.counts:
        t.add_row("[dim]seconds[/]", *(f"[dim]{r.counts[m].seconds:.2f}[/]" if m == "torch" else "" for m in methods),
                  *("" for _ in r.missing), "")
    t.caption = "; ".join(f"{m}: {why}" for m, why in r.missing.items()) or None
    t.caption_justify = "left"
    return t


def _category_table(r: TrainReport) -> Table:
    p = r.primary
    t = Table(title=f"by category ({p.method}; MACs)", title_justify="left")
    t.add_column("category")
    phases = list(p.phases)
    for phase in phases:
        t.add_column(phase, justify="right")
    t.add_column("backward ÷ forward", justify="right")
    for cat in CATEGORIES:
        values = [p.phases[phase][cat] for phase in phases]
        if any(values):
            fwd, bwd = p.phases["forward"][cat], p.phases["backward"][cat]
            t.add_row(LABELS[cat], *(si(v) + "MACs" for v in values), f"{bwd / fwd:.2f}" if fwd else "")
    return t


def per_token_lines(r: TrainReport) -> list[str]:
    if not r.tokens:
        return []
    per = r.per_token_flops()
    lines = [f"per token ({r.tokens:,} tokens a step): [bold]{si(per)}FLOPs[/] forward + backward"
             + (f", {si(r.per_token_flops(True))}FLOPs with the recomputation" if r.checkpointing else "")]
    for label, n in (("all parameters", r.params), ("without the embeddings", r.non_embedding)):
        if n:
            lines.append(f"  6·N = {si(6 * n)}FLOPs (N = {human(n)}, {label}): ÷ 6N = {per / (6 * n):.3f}")
    return lines
