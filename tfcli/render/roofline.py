"""The roofline table under bench's results: each row's compute- and memory-bound times
and how close the measured median comes to the larger (tfcli.bench.roofline)."""

from __future__ import annotations

from typing import Callable

from tfcli.bench import BenchResult, Point
from tfcli.render.fmt import human_bytes
from tfcli.render.layout import Col, FitTable


def roofline_table(results: list[BenchResult], length: Callable[[Point], str], ms: Callable[[float], str]) -> FitTable:
    """`length` and `ms`: the latency table's own cells (tfcli.render.bench's), so both read alike.
    On a narrow terminal the bytes and the measured median (the latency table's) go first."""

    many_models = len(results) > 1
    cols = [Col("model", justify="left")] if many_models else []
    cols += [Col("length"), Col("batch"), Col("bytes\nmoved", drop=2, name="bytes moved"), Col("compute\nms"),
             Col("memory\nms"), Col("bound", justify="left"), Col("measured\nms", drop=1, name="measured ms"),
             Col("%\nroofline", style="bold", name="% roofline")]
    t = FitTable(cols, title="roofline: compute = FLOPs / peak, memory = bytes moved / bandwidth")
    for r in results:
        for p in r.ok_points:
            row = [r.name] if many_models else []
            row += [length(p), str(p.batch), human_bytes(p.traffic_bytes) if p.traffic_bytes else "-",
                    ms(p.compute_bound_s) if p.compute_bound_s is not None else "-",
                    ms(p.memory_bound_s) if p.memory_bound_s is not None else "-",
                    p.bound or "-", ms(p.stats.median),
                    f"{100 * p.roofline_fraction:.1f}%" if p.roofline_fraction is not None else "-"]
            t.add_row(*row)
        if many_models and r is not results[-1]:
            t.add_section()
    sources = {f"peak {r.settings.peak_source}, bandwidth {r.settings.bandwidth_source}" for r in results}
    t.caption = ("% roofline = the larger bound ÷ the measured median (100% = on the roofline); bytes moved = "
                 "parameters and inputs read once a pass (twice a training step) + every op's output written and "
                 "read once, at the row's dtype (eager traffic; views move nothing); " + "; ".join(sorted(sources)))
    return t
