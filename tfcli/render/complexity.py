"""Rendering `tfcli complexity`: the table, a share chart in the terminal, an SVG/PNG plot."""

from __future__ import annotations

import math
from pathlib import Path

from rich.text import Text

from tfcli.analysis.complexity import ComplexityReport
from tfcli.render.flops import si
from tfcli.render.fmt import human, human_bytes, percent
from tfcli.render.layout import Col, FitTable

BAR = 48
SERIES = (  # (field, label, colour)
    ("scores", "attention scores (QKᵀ+AV)", "#d62728"),
    ("proj", "attention projections", "#ff7f0e"),
    ("ffn", "feed-forward", "#1f77b4"),
    ("other", "embeddings, norms, convolutions, heads", "#7f7f7f"),
)
TERMINAL = {"scores": ("█", "red"), "proj": ("▓", "dark_orange"), "ffn": ("▒", "blue"), "other": ("░", "grey50")}


def _x_label(r: ComplexityReport) -> str:
    return {"image": "image side", "audio": "audio s"}.get(r.mode, "seq len")


def render_complexity(r: ComplexityReport, console) -> None:
    console.print(f"[bold]{r.name}[/]  [dim]{r.family} · counted {r.method} · batch {r.batch} · {r.dtype}[/]")
    console.print(f"[dim]MACs (1 MAC = one multiply-add; FLOPs = 2 × MACs); {r.causal_convention()}[/]")
    console.print(f"parameters: {human(r.params)} at every length; attention's cost grows with n, its weights do not")
    console.print()
    _table(r).print(console)
    console.print(_crossover_line(r))
    console.print()
    console.print(_chart(r, console.width))
    for note in r.notes:
        console.print(f"[dim]note: {note}[/]")


def _crossover_line(r: ComplexityReport) -> str:
    c = r.crossover
    if c.tokens is None:
        return "[bold]crossover:[/] attention scores stay below the linear layers at every length searched"
    if r.mode == "image":
        return (f"[bold]crossover:[/] attention scores cost as much as projections + feed-forward "
                f"at image side {c.image_size} px ({c.tokens} tokens)")
    exact = f" (exactly {c.exact:g})" if c.exact is not None and c.exact != c.tokens else ""
    return (f"[bold]crossover:[/] attention scores (QKᵀ+AV) cost as much as projections + feed-forward "
            f"at n = {c.tokens} tokens{exact}")


def _table(r: ComplexityReport) -> FitTable:
    """Cells keep their unit prefix (G, T; KiB, MiB) and never wrap. On a narrow terminal the
    fused-kernel memory goes first, then the attention share, then projections and
    feed-forward (their sum is in total); length, scores, total, their share and the memory
    of the score matrix and the KV cache stay."""
    windowed = any(p.windowed for p in r.points)
    cols = [Col(_x_label(r).replace(" ", "\n"))]
    if r.mode == "image":
        cols.append(Col("tokens", drop=2))
    cols.append(Col("scores\nQKᵀ+AV"))
    if windowed:
        cols.append(Col("of which\nwindowed", drop=2))
    cols += [Col("projec-\ntions", drop=3, name="projections"),
             Col("feed-\nforward", drop=3, name="feed-forward"), Col("total"),
             Col("scores\nshare"), Col("attn\nshare", drop=4), Col("attn\nmatrix", drop=1),
             Col("fused\nO(n)", drop=5)]
    if r.has_kv_cache:
        cols.append(Col("KV\ncache", drop=1))
    caption = ("attn matrix: B·heads·Tq·Tk elements materialised by an unfused kernel; fused: one fp32 "
               "log-sum-exp per query row. scores share = QKᵀ+AV / total; attn share adds the projections"
               + ("; KV cache: K and V (MLA: the latent) of every decoder layer for n tokens, a sliding-window "
                  "layer at most its window" if r.has_kv_cache else "")
               + ("; windowed: scores inside fixed windows, linear in the tokens (the rest is global, "
                  "quadratic)" if windowed else ""))
    t = FitTable(cols, title="cost against length (MACs; memory of one layer's attention)",
                 caption=f"[dim]{caption}[/]")
    cross = r.crossover.image_size if r.mode == "image" else r.crossover.tokens
    for p in r.points:
        row = [f"[bold]{p.x}[/]" if cross and p.x >= cross else str(p.x)]
        if r.mode == "image":
            row.append(str(p.tokens))
        row.append(si(p.scores))
        if windowed:
            row.append(si(p.windowed))
        row += [si(p.proj), si(p.ffn), si(p.total), percent(p.scores, p.total),
                percent(p.scores + p.proj, p.total), human_bytes(p.attn_matrix_bytes), human_bytes(p.fused_bytes)]
        if r.has_kv_cache:
            row.append(human_bytes(p.kv_cache_bytes))
        t.add_row(*row)
    return t


def _chart(r: ComplexityReport, width: int = 160) -> Text:
    """One bar per length: how the MACs split between scores, projections, FFN, the rest.
    The legend breaks between its entries, never inside one."""
    text = Text("share of MACs by length")
    column = text.cell_len
    for key, label, _ in SERIES:
        char, style = TERMINAL[key]
        entry = f"{char} {label}"
        if column + 3 + len(entry) > width:
            text.append("\n")
            column = 0
        else:
            text.append("   ")
            column += 3
        text.append(entry, style=style)
        column += len(entry)
    text.append("\n")
    label_width = max(len(str(p.x)) for p in r.points)
    for p in r.points:
        text.append(f"{p.x:>{label_width}} ")
        used = 0
        for i, (key, _, _) in enumerate(SERIES):
            value = getattr(p, key)
            n = BAR - used if i == len(SERIES) - 1 else round(BAR * value / p.total) if p.total else 0
            n = max(0, min(n, BAR - used))
            char, style = TERMINAL[key]
            text.append(char * n, style=style)
            used += n
        text.append(f" {percent(p.scores, p.total)} scores\n")
    return text


# -- the picture: a log-log plot of MACs against length ---------------------------------------


def _layout(r: ComplexityReport, width: int = 760, height: int = 460):
    """Primitives in pixel space, drawn by both the SVG and the PNG writer."""
    left, right, top, bottom = 80, 210, 40, 60
    xs = [p.x for p in r.points]
    ys = [getattr(p, k) for p in r.points for k, _, _ in SERIES if getattr(p, k) > 0]
    x0, x1 = math.log2(min(xs)), math.log2(max(xs)) if len(xs) > 1 else math.log2(min(xs)) + 1
    y0, y1 = math.floor(math.log10(min(ys))), math.ceil(math.log10(max(ys)))
    if y1 == y0:
        y1 += 1

    def px(x: float) -> float:
        return left + (math.log2(x) - x0) / (x1 - x0) * (width - left - right)

    def py(y: float) -> float:
        return height - bottom - (math.log10(y) - y0) / (y1 - y0) * (height - top - bottom)

    lines, texts = [], []  # (points, colour, width, dashed), (x, y, text, anchor, colour)
    lines.append(([(left, top), (left, height - bottom), (width - right, height - bottom)], "#000000", 1, False))
    for e in range(y0, y1 + 1):
        y = py(10**e)
        lines.append(([(left, y), (width - right, y)], "#dddddd", 1, False))
        texts.append((left - 6, y + 4, f"1e{e}", "end", "#000000"))
    for x in xs:
        lines.append(([(px(x), height - bottom), (px(x), height - bottom + 4)], "#000000", 1, False))
        texts.append((px(x), height - bottom + 18, str(x), "middle", "#000000"))
    for i, (key, label, colour) in enumerate(SERIES):
        pts = [(px(p.x), py(getattr(p, key))) for p in r.points if getattr(p, key) > 0]
        if pts:
            lines.append((pts, colour, 2, False))
        ly = top + 10 + 20 * i
        lines.append(([(width - right + 12, ly - 4), (width - right + 32, ly - 4)], colour, 3, False))
        texts.append((width - right + 38, ly, label, "start", "#000000"))
    # the sum the crossover compares the scores with
    lines.append(([(px(p.x), py(p.proj + p.ffn)) for p in r.points if p.proj + p.ffn > 0], "#2ca02c", 2, False))
    ly = top + 10 + 20 * len(SERIES)
    lines.append(([(width - right + 12, ly - 4), (width - right + 32, ly - 4)], "#2ca02c", 3, False))
    texts.append((width - right + 38, ly, "projections + feed-forward", "start", "#000000"))
    cross = r.crossover.image_size if r.mode == "image" else r.crossover.tokens
    if cross and min(xs) <= cross <= max(xs):
        x = px(cross)
        lines.append(([(x, top), (x, height - bottom)], "#555555", 1, True))
        texts.append((x + 4, top + 12, f"crossover {cross}", "start", "#555555"))
    axis = {"image": "image side (pixels)", "audio": "audio (seconds)"}.get(r.mode, "sequence length (tokens)")
    texts.append(((left + width - right) / 2, height - 20, axis, "middle", "#000000"))
    texts.append((left, top - 16, f"{r.name}: MACs per forward pass (log-log)", "start", "#000000"))
    return width, height, lines, texts


def _svg(r: ComplexityReport) -> str:
    from xml.sax.saxutils import escape

    width, height, lines, texts = _layout(r)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
           f'<rect width="{width}" height="{height}" fill="#ffffff"/>']
    for pts, colour, w, dashed in lines:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
        dash = ' stroke-dasharray="5,4"' if dashed else ""
        out.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="{w}"{dash}/>')
    for x, y, s, anchor, colour in texts:
        out.append(f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" fill="{colour}">{escape(s)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _png(r: ComplexityReport, path: Path) -> None:
    from tfcli.errors import UsageError

    try:
        from PIL import Image, ImageDraw
    except ImportError:
        raise UsageError("writing PNG needs Pillow (pip install pillow); or give --plot a .svg file") from None
    width, height, lines, texts = _layout(r)
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    for pts, colour, w, dashed in lines:
        if dashed:
            (xa, ya), (_, yb) = pts[0], pts[-1]
            y = ya
            while y < yb:
                draw.line([(xa, y), (xa, min(y + 5, yb))], fill=colour, width=w)
                y += 9
        else:
            draw.line(pts, fill=colour, width=w)
    for x, y, s, anchor, colour in texts:
        box = draw.textbbox((0, 0), s.replace("ᵀ", "^T"))
        tw = box[2] - box[0]
        dx = {"start": 0, "middle": -tw / 2, "end": -tw}[anchor]
        draw.text((x + dx, y - 10), s.replace("ᵀ", "^T"), fill=colour)
    import io

    from tfcli.outputs import write_atomic

    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    write_atomic(path, buffer.getvalue())


def write_plot(r: ComplexityReport, target: Path) -> str:
    """Write the plot to `target`, a path the command checked before counting (tfcli.outputs)."""
    from tfcli.outputs import write_atomic

    if target.suffix.lower() == ".svg":
        write_atomic(target, _svg(r))
    else:
        _png(r, target)
    return str(target)
