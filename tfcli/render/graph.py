"""Graph data → Graphviz DOT (via the `graphviz` package) and rendered files.

Styled after the paper's figure: bottom-to-top flow, grey rounded frames for the
stacks with their repeat count, orange attention, blue feed-forward, yellow norms,
pink embeddings and learned tokens, lavender output projection. Arrows carry the tensor's
shape where a block begins; their styles (cross-attention, conditioning, skips, the
sampling loop, tied weights) are explained in a legend. A U-Net is drawn as a U: one row
per resolution, the skips running across.
"""

from __future__ import annotations

from tfcli.analysis.graph import GCluster, Graph
from tfcli.analysis.graph.data import EDGE_KINDS

FORMATS = (".svg", ".png", ".pdf", ".dot")

STYLE = {
    "input": dict(shape="plaintext", style="", fontsize="13"),
    "output": dict(shape="plaintext", style="", fontsize="13"),
    "embedding": dict(fillcolor="#fadadd"),
    "token": dict(shape="box", style="filled", fillcolor="#fadadd"),  # a learned vector, not a lookup
    "position": dict(shape="ellipse", fillcolor="#ffffff"),
    "attention": dict(fillcolor="#fcdcb4"),
    "ffn": dict(fillcolor="#c9e7f5"),
    "norm": dict(fillcolor="#f4f3c6"),
    "addnorm": dict(fillcolor="#f4f3c6"),
    "add": dict(shape="circle", style="", label="+", width="0.3", height="0.3", fixedsize="true", fontsize="14"),
    "concat": dict(shape="circle", style="", label="©", width="0.35", height="0.35", fixedsize="true"),
    "head": dict(fillcolor="#dcd9f3"),
    "op": dict(shape="box", style="filled", fillcolor="#e3f1dd"),
    "module": dict(fillcolor="#eeeeee"),
}
EDGE_STYLE = {
    "data": {},
    "cross": dict(color="#c05a00", penwidth="1.6"),
    # what every level reads besides its input (timestep, text): dashed, so the data path stands out
    "condition": dict(style="dashed", color="#777777"),
    "context": dict(style="dashed", color="#c05a00"),
    "skip": dict(color="#2a6fb0", penwidth="1.4"),
    "loop": dict(color="#3a8a3a", penwidth="1.4", style="bold", constraint="false"),
    # a shared matrix is no data flow: no arrowhead, and it does not pull the boxes together
    "tied": dict(style="dotted", color="#8a4fb0", penwidth="1.6", dir="none", constraint="false",
                 fontcolor="#8a4fb0"),
}
EDGE_LABEL = dict(fontsize="8", fontcolor="#555555")


def _small(text: str) -> str:
    """The smaller grey line under a box's name (sizes, heads), as HTML."""
    from html import escape

    return f'<FONT POINT-SIZE="9" COLOR="#555555">{escape(text)}</FONT>'


def _html_label(label: str, detail: str) -> str:
    from html import escape

    return f"<{escape(label)}<BR/>{_small(detail)}>" if detail else f"<{escape(label)}>"


def to_dot(graph: Graph):
    import graphviz

    g = graphviz.Digraph(name="tfcli", comment=graph.title)
    g.attr(rankdir="BT", fontname="Helvetica", labelloc="t", label=graph.title, fontsize="16",
           nodesep="0.3", ranksep="0.35", newrank="true", compound="true")
    g.attr("node", shape="box", style="rounded,filled", fontname="Helvetica", fontsize="11",
           margin="0.15,0.06", penwidth="1.0")
    g.attr("edge", arrowsize="0.6", fontname="Helvetica", fontsize="9")

    def add_nodes(sub, ids):
        for nid in ids:
            n = graph.nodes[nid]
            attrs = dict(STYLE.get(n.kind, {}))
            label = attrs.pop("label", None)
            if label is None:
                label = _html_label(n.label, n.detail)
            elif n.detail:  # a symbol's words sit beside it (what an ⊕ adds)
                attrs["xlabel"] = f"<{_small(n.detail)}>"
            sub.node(nid, label=label, **attrs)

    row_of = {nid: i for i, row in enumerate(graph.rows) for nid in row}

    def add_rows(sub, ids):
        # a U-Net's levels at one resolution side by side (rank=same within their frame)
        for row in graph.rows:
            if row[0] in ids:
                with sub.subgraph() as r:
                    r.attr(rank="same")
                    for nid in row:
                        r.node(nid)

    def add_cluster(parent, c: GCluster):
        with parent.subgraph(name=f"cluster_{c.id}") as sub:
            label = f"{c.label}   {c.repeat}×" if c.repeat > 1 else c.label
            sub.attr(label=label, style="rounded,filled", fillcolor="#f2f2f2" if c.repeat > 1 else "#fbfbfb",
                     color="#888888", fontsize="12", labeljust="r" if c.repeat > 1 else "l",
                     labelloc="t" if c.repeat > 1 else "b")  # rankdir=BT: "b" is the top
            add_nodes(sub, c.nodes)
            add_rows(sub, c.nodes)
            for child in c.clusters:
                add_cluster(sub, child)

    add_nodes(g, graph.root.nodes)
    add_rows(g, graph.root.nodes)
    for c in graph.root.clusters:
        add_cluster(g, c)
    for e in graph.edges:
        attrs = dict(EDGE_STYLE.get(e.kind, {}))
        if e.label:
            attrs = {**EDGE_LABEL, **attrs, "label": e.label}
        same_row = e.src in row_of and row_of.get(e.src) == row_of.get(e.dst)
        if row_of and e.kind in ("context", "condition") and not same_row:
            attrs["constraint"] = "false"  # the conditioning reaches every level; the U is the data path
        if e.src in row_of and e.dst in row_of and row_of[e.src] < row_of[e.dst]:
            # down the U, against the bottom-to-top flow: drawn from the reader, pointing back
            g.edge(e.dst, e.src, dir="back", **attrs)
        else:
            g.edge(e.src, e.dst, **attrs)
    _legend(g, graph)
    return g


# a sample of each arrow style in a legend's table: HTML labels draw no lines, so glyphs
LEGEND_SAMPLE = {"data": "───▶", "cross": "━━━▶", "context": "╍╍╍▶", "condition": "╌╌╌▶",
                 "skip": "━━━▶", "loop": "━━━▶", "tied": "• • • •"}


def _legend(g, graph: Graph) -> None:
    """What each arrow style in this figure means, one row per style used."""
    from html import escape

    kinds = [k for k in EDGE_KINDS if any(e.kind == k for e in graph.edges)]
    if not kinds:
        return
    rows = []
    for k in kinds:
        color = EDGE_STYLE[k].get("color", "#000000")
        rows.append(f'<TR><TD ALIGN="LEFT"><FONT COLOR="{color}">{LEGEND_SAMPLE[k]}</FONT></TD>'
                    f'<TD ALIGN="LEFT"><FONT POINT-SIZE="9">{escape(EDGE_KINDS[k])}</FONT></TD></TR>')
    table = ('<<TABLE BORDER="1" COLOR="#bbbbbb" CELLBORDER="0" CELLSPACING="0" CELLPADDING="3" STYLE="ROUNDED">'
             '<TR><TD COLSPAN="2" ALIGN="LEFT"><B>Arrows</B></TD></TR>' + "".join(rows) + "</TABLE>>")
    g.node("legend", label=table, shape="plaintext", style="", fontsize="10")


def write_graph(graph: Graph, path) -> tuple[str, str | None]:
    """Write `path` in the format its extension names. Returns (what was written, problem):
    without Graphviz's `dot` a .dot file is written beside the asked one and the problem
    says how to install it."""
    import graphviz

    from tfcli.outputs import write_atomic

    dot = to_dot(graph)
    suffix = path.suffix.lower()
    if suffix == ".dot":
        write_atomic(path, dot.source)
        return str(path), None
    try:
        data = dot.pipe(format=suffix[1:])
    except graphviz.ExecutableNotFound:
        fallback = path.with_suffix(".dot")
        write_atomic(fallback, dot.source)
        return str(fallback), (
            f"Graphviz's 'dot' program is not installed, so {path} could not be made; wrote {fallback} "
            f"instead. Install it (apt-get install graphviz, brew install graphviz or conda install graphviz) "
            f"and rerun, or run: dot -T{suffix[1:]} {fallback} -o {path}"
        )
    write_atomic(path, data)
    return str(path), None
