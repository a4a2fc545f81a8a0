"""Rich rendering of benchmark results, and an SVG plot of a sweep (no plotting library)."""

from __future__ import annotations

import math
from pathlib import Path

from rich.console import Console
from rich.table import Table

from tfcli.analysis.flops.train import OPTIMIZER_LABELS
from tfcli.bench import BenchResult, Point, loglog_slope
from tfcli.render.fmt import human, human_bytes
from tfcli.render.roofline import roofline_table


def ms(seconds: float) -> str:
    v = seconds * 1e3
    return f"{v:.3f}" if v < 10 else f"{v:.2f}" if v < 100 else f"{v:.1f}"


def rate(x: float) -> str:
    return human(x) if x >= 1000 else f"{x:.3g}"


def settings_grid(r: BenchResult) -> Table:
    s = r.settings
    t = Table.grid(padding=(0, 2))
    t.add_column(style="bold")
    t.add_column()
    t.add_row("model", f"{r.name}  [dim]({r.family}, {r.params:,} parameters)[/]")
    t.add_row("device", f"{s.device} — {s.device_name}")
    extra = f", {s.cpu_capability}" if s.cpu_capability else ""
    t.add_row("settings", f"{s.dtype}, {s.threads} threads{extra}, torch {s.torch_version}")
    t.add_row("attention", f"--attn {s.attn} → SDPA kernel: [cyan]{s.attn_used}[/]")
    count = f"{s.iters} timed passes" if s.iters else f"passes filling {s.min_time:g} s (at least 10)"
    t.add_row("timing", f"{s.warmup} warm-up, {count}" + (", torch.compile" if s.compile else ""))
    if s.peak_tflops:
        t.add_row("peak", f"{s.peak_tflops:.3g} TFLOP/s dense {s.dtype} ({s.peak_source})")
    if s.bandwidth_bytes_per_s:
        t.add_row("bandwidth", f"{s.bandwidth_bytes_per_s / 1e9:.3g} GB/s ({s.bandwidth_source})")
    if s.train:
        t.add_row("step", f"forward, backward, {OPTIMIZER_LABELS[s.optimizer]}.step(), zero_grad "
                  "(loss: mean square of the outputs)")
    for note in r.notes:
        t.add_row("note", f"[yellow]{note}[/]")
    return t


def _length(p: Point) -> str:
    if p.audio_seconds is not None and p.seq_len is None:
        return f"{p.audio_seconds:g} s→{p.tgt_len}"
    if p.image_size is not None and p.seq_len is None:
        return f"{p.image_size}px"
    if p.tgt_len is not None and p.tgt_len != p.seq_len:
        return f"{p.seq_len}→{p.tgt_len}"
    return str(p.seq_len)


def results_table(results: list[BenchResult]) -> Table:
    many_models = len(results) > 1
    sweep = any(len(r.points) > 1 for r in results)
    units = {p.unit for r in results for p in r.points}
    # one unit names the column; models with different units (gpt2 beside vit-b16) say it per cell
    unit = units.pop() if len(units) == 1 else None
    train = any(r.settings.train for r in results)
    t = Table(title=f"{'training step' if train else 'forward pass'} latency (ms)", title_justify="left")
    if many_models:
        t.add_column("model")
    t.add_column("length", justify="right")
    t.add_column("batch", justify="right")
    for col in ("median", "p10", "p90", "min"):
        t.add_column(col, justify="right", style="bold" if col == "median" else None)
    t.add_column(f"{unit.replace('_', ' ')}/s" if unit else "throughput", justify="right")
    t.add_column("TFLOP/s", justify="right")
    if any(r.settings.peak_tflops for r in results):
        t.add_column("MFU" if train else "% peak", justify="right")
    t.add_column("peak mem", justify="right")
    t.add_column("+mem", justify="right")
    if sweep:
        t.add_column("slope", justify="right")
    for r in results:
        prev: Point | None = None
        for p in r.points:
            row = [r.name] if many_models else []
            row += [_length(p), str(p.batch)]
            if p.status != "ok":
                label = "[red]OOM[/]" if p.status == "oom" else "[yellow]skipped[/]"
                row += [label, p.message]
                row += [""] * (len(t.columns) - len(row))
                t.add_row(*row)
                continue
            s = p.stats
            row += [ms(s.median), ms(s.p10), ms(s.p90), ms(s.min), rate(p.throughput) + ("" if unit else f" {p.unit.replace('_', ' ')}/s")]
            row.append(f"{p.tflops:.3g}" if p.tflops is not None else "-")
            if any(x.settings.peak_tflops for x in results):
                row.append(f"{100 * p.peak_fraction:.1f}%" if p.peak_fraction is not None else "-")
            row += [human_bytes(p.peak_memory or 0), human_bytes(p.memory_growth or 0)]
            if sweep:
                slope = None
                if prev is not None and prev.length and p.length:
                    slope = loglog_slope([prev.length, p.length], [prev.stats.median, s.median])
                row.append(f"{slope:.2f}" if slope is not None else "")
            t.add_row(*row)
            prev = p
        if many_models and r is not results[-1]:
            t.add_section()
    return t


def scaling_lines(r: BenchResult) -> list[str]:
    ok = [p for p in r.ok_points if p.length]
    k = r.exponent()
    if k is None:
        return []
    lo, hi = ok[0].length, ok[-1].length
    lines = [
        f"{r.name}: time ∝ length^[bold]{k:.2f}[/] (log–log least-squares fit over {lo}–{hi}; "
        "1 = linear cost, 2 = quadratic attention dominates)"
    ]
    km = r.memory_exponent()
    if km is not None:
        lines.append(f"{r.name}: memory ∝ length^[bold]{km:.2f}[/]")
    return lines


def render_results(results: list[BenchResult], console: Console) -> None:
    for r in results:
        console.print(settings_grid(r))
        console.print()
    if any(r.points for r in results):
        console.print(results_table(results))
        console.print(roofline_table(results, _length, ms))
    for r in results:
        for line in scaling_lines(r):
            console.print(line)
    console.print(
        "[dim]median/p10/p90/min over the timed passes; TFLOP/s = "
        + ("training-step FLOPs (tfcli flops --train)" if any(r.settings.train for r in results) else "forward FLOPs")
        + " / median; "
        "peak mem = " + ("CUDA max allocated" if results and results[0].settings.device.startswith("cuda")
                         else "peak resident set") + ", +mem = its growth over weights and inputs[/]"
    )
    if any(r.interrupted for r in results):
        console.print("[yellow]interrupted: results so far[/]")


# -- SVG plot ------------------------------------------------------------------------

_COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf"]


def _panel(x0: float, y0: float, w: float, h: float, series, title: str, fmt) -> list[str]:
    """One log–log panel; series = [(label, [(x, y), ...])]."""
    pts = [pt for _, s in series for pt in s if pt[0] > 0 and pt[1] > 0]
    out = [f'<text x="{x0 + w / 2}" y="{y0 - 8}" text-anchor="middle" font-weight="bold">{title}</text>',
           f'<rect x="{x0}" y="{y0}" width="{w}" height="{h}" fill="none" stroke="#444"/>']
    if not pts:
        return out
    lx = [math.log10(p[0]) for p in pts]
    ly = [math.log10(p[1]) for p in pts]
    xmin, xmax = min(lx), max(lx) if max(lx) > min(lx) else min(lx) + 1
    ymin, ymax = min(ly), max(ly) if max(ly) > min(ly) else min(ly) + 1
    pad = 0.05 * (ymax - ymin)
    ymin, ymax = ymin - pad, ymax + pad

    def sx(x):
        return x0 + (math.log10(x) - xmin) / (xmax - xmin) * w

    def sy(y):
        return y0 + h - (math.log10(y) - ymin) / (ymax - ymin) * h

    for x in sorted({p[0] for p in pts}):
        out.append(f'<text x="{sx(x):.1f}" y="{y0 + h + 16}" text-anchor="middle" font-size="11">{x}</text>')
    for frac in (0, 0.5, 1):
        y = 10 ** (ymin + frac * (ymax - ymin))
        out.append(f'<text x="{x0 - 6}" y="{sy(y) + 4:.1f}" text-anchor="end" font-size="11">{fmt(y)}</text>')
    for i, (label, s) in enumerate(series):
        s = [p for p in s if p[0] > 0 and p[1] > 0]
        color = _COLORS[i % len(_COLORS)]
        path = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in s)
        out.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"/>')
        for x, y in s:
            out.append(f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="3" fill="{color}"/>')
        out.append(f'<text x="{x0 + 8}" y="{y0 + 16 + 14 * i}" fill="{color}" font-size="12">{label}</text>')
    out.append(f'<text x="{x0 + w / 2}" y="{y0 + h + 34}" text-anchor="middle" font-size="12">sequence length (log)</text>')
    return out


def write_plot(results: list[BenchResult], path: Path) -> None:
    """Latency and peak-memory growth against length, log–log, as a standalone SVG."""
    time_series, mem_series = [], []
    for r in results:
        ok = [p for p in r.ok_points if p.length]
        k = r.exponent()
        label = f"{r.name} ({r.settings.dtype}, {r.settings.device})" + (f" k={k:.2f}" if k is not None else "")
        time_series.append((label, [(p.length, p.stats.median * 1e3) for p in ok]))
        mem_series.append((r.name, [(p.length, p.memory_growth) for p in ok if p.memory_growth]))
    W, H, w, h = 960, 420, 380, 300
    body = ['<rect width="100%" height="100%" fill="white"/>']
    body += _panel(80, 50, w, h, time_series, "median latency (ms)", lambda v: f"{v:.3g}")
    body += _panel(80 + w + 110, 50, w, h, mem_series, "peak memory growth", human_bytes)
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" '
           f'font-family="sans-serif" font-size="13">\n' + "\n".join(body) + "\n</svg>\n")
    from tfcli.outputs import write_atomic

    write_atomic(path, svg)
