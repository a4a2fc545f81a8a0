"""Rich rendering of benchmark results, and an SVG plot of a sweep (no plotting library)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

from tfcli.analysis.flops.train import OPTIMIZER_LABELS
from tfcli.bench import BenchResult, Point, loglog_slope
from tfcli.render.fmt import human, human_bytes
from tfcli.render.roofline import roofline_table
from tfcli.render.layout import Col, FitTable


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


@dataclass(frozen=True)
class BenchColumn:
    """A column of the results table: its layout (header, drop rank), its cell for a measured
    point (result, point, the previous measured point of the same model), and whether these
    results show it. Adding a measurement is one more entry in `columns`."""

    col: Col
    cell: Callable[[BenchResult, Point, Point | None], str]
    shown: Callable[[list[BenchResult]], bool] = lambda results: True


def _unit(results: list[BenchResult]) -> str | None:
    """One throughput unit names the column; models with different units (gpt2 beside
    vit-b16) say it per cell."""
    units = {p.unit for r in results for p in r.points}
    return units.pop() if len(units) == 1 else None


def _per_s(unit: str) -> str:
    return f"{unit.replace('_', ' ')}/s"


def _slope(r: BenchResult, p: Point, prev: Point | None) -> str:
    if prev is None or not prev.length or not p.length:
        return ""
    k = loglog_slope([prev.length, p.length], [prev.stats.median, p.stats.median])
    return f"{k:.2f}" if k is not None else ""


def columns(results: list[BenchResult]) -> list[BenchColumn]:
    """Drop ranks: the spread (p10, p90) goes first on a narrow terminal, then min, the
    per-step slope (the fitted exponent is printed below the table), memory growth, the
    FLOP rate; length, batch, median and throughput always stay."""
    unit = _unit(results)
    return [
        BenchColumn(Col("model", justify="left"), lambda r, p, prev: r.name, lambda rs: len(rs) > 1),
        BenchColumn(Col("length"), lambda r, p, prev: _length(p)),
        BenchColumn(Col("batch"), lambda r, p, prev: str(p.batch)),
        BenchColumn(Col("median\nms", style="bold"), lambda r, p, prev: ms(p.stats.median)),
        BenchColumn(Col("p10\nms", drop=6), lambda r, p, prev: ms(p.stats.p10)),
        BenchColumn(Col("p90\nms", drop=6), lambda r, p, prev: ms(p.stats.p90)),
        BenchColumn(Col("min\nms", drop=5), lambda r, p, prev: ms(p.stats.min)),
        BenchColumn(Col(_per_s(unit) if unit else "throughput"),
                    lambda r, p, prev: rate(p.throughput) + ("" if unit else f" {_per_s(p.unit)}")),
        BenchColumn(Col("TFLOP/s", drop=2), lambda r, p, prev: f"{p.tflops:.3g}" if p.tflops is not None else "-"),
        BenchColumn(Col("MFU" if any(r.settings.train for r in results) else "% peak", drop=2),
                    lambda r, p, prev: f"{100 * p.peak_fraction:.1f}%" if p.peak_fraction is not None else "-",
                    lambda rs: any(x.settings.peak_tflops for x in rs)),
        BenchColumn(Col("peak mem", drop=1), lambda r, p, prev: human_bytes(p.peak_memory or 0)),
        BenchColumn(Col("+mem", drop=3), lambda r, p, prev: human_bytes(p.memory_growth or 0)),
        BenchColumn(Col("slope", drop=4), _slope, lambda rs: any(len(r.points) > 1 for r in rs)),
    ]


def results_table(results: list[BenchResult]) -> FitTable:
    """One row per point; a point that did not run says OOM or skipped in the median column
    (why: `status_lines`, below the table)."""
    shown = [c for c in columns(results) if c.shown(results)]
    train = any(r.settings.train for r in results)
    t = FitTable([c.col for c in shown], title=f"{'training steps' if train else 'forward passes'} (latency in ms)")
    median = next(i for i, c in enumerate(shown) if c.col.header.startswith("median"))
    for r in results:
        prev: Point | None = None
        for p in r.points:
            if p.status != "ok":
                cells = [c.cell(r, p, prev) if i < median else "" for i, c in enumerate(shown)]
                cells[median] = "[red]OOM[/]" if p.status == "oom" else "[yellow]skipped[/]"
                t.add_row(*cells)
                continue
            t.add_row(*(c.cell(r, p, prev) for c in shown))
            prev = p
        if r is not results[-1]:
            t.add_section()
    return t


def status_lines(results: list[BenchResult]) -> list[str]:
    """Why a point did not run: a line each, under the table (a message would not fit a cell)."""
    many = len(results) > 1
    return [f"[dim]{r.name + ' ' if many else ''}{_length(p)}: {p.status}{': ' + p.message if p.message else ''}[/]"
            for r in results for p in r.points if p.status != "ok"]


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
        results_table(results).print(console)
        for line in status_lines(results):
            console.print(line)
        roofline_table(results, _length, ms).print(console)
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
