"""The roofline table under bench's results: each row's compute- and memory-bound times
and how close the measured median comes to the larger (tfcli.bench.roofline)."""

from __future__ import annotations

from typing import Callable

from rich.table import Table

from tfcli.bench import BenchResult, Point
from tfcli.render.fmt import human_bytes


def roofline_table(results: list[BenchResult], length: Callable[[Point], str], ms: Callable[[float], str]) -> Table:
    """`length` and `ms`: the latency table's own cells (tfcli.render.bench's), so both read alike."""

    many_models = len(results) > 1
    t = Table(title="roofline (ms): compute = FLOPs / peak, memory = bytes moved / bandwidth", title_justify="left")
    if many_models:
        t.add_column("model")
    for name in ("length", "batch", "bytes moved", "compute", "memory", "bound", "measured", "% roofline"):
        t.add_column(name, justify="left" if name == "bound" else "right",
                     style="bold" if name == "% roofline" else None)
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
    t.caption_justify = "left"
    return t
