"""`tfcli graph`: the traced block diagram, its DOT text and rendering."""

import os
import shutil
from pathlib import Path

import pytest

GOLDEN = Path(__file__).parent / "golden"


def _graph(name, depth=2):
    from tfcli.analysis.graph import build_graph
    from tfcli.build import build_model
    from tfcli.registry import resolve
    from tfcli.spec import InputShape

    model = build_model(resolve(name).config)
    return build_graph(model, model.example_inputs(InputShape(seq_len=16), "meta"), depth=depth, title=name)


def _by_label(g):
    out = {}
    for n in g.nodes.values():
        out.setdefault(n.label, []).append(n.id)
    return out


def test_transformer_base_structure():
    g = _graph("transformer-base")
    labels = _by_label(g)
    for label, count in [
        ("Inputs", 1), ("Outputs (shifted right)", 1), ("Input Embedding", 1), ("Output Embedding", 1),
        ("Positional Encoding", 2), ("Multi-Head Attention", 1), ("Masked Multi-Head Attention", 1),
        ("Multi-Head Cross-Attention", 1), ("Feed Forward", 2), ("Add & Norm", 5), ("Linear", 1),
        ("Output Probabilities", 1),
    ]:
        assert len(labels.get(label, [])) == count, label
    enc, dec = g.root.clusters
    assert (enc.label, enc.repeat) == ("Encoder: Post-norm block", 6)
    assert (dec.label, dec.repeat) == ("Decoder: Post-norm block", 6)
    edges = {(e.src, e.dst): e.kind for e in g.edges}
    # the encoder's last Add & Norm feeds the decoder block's cross-attention
    cross = [(s, d) for (s, d), k in edges.items() if k == "cross"]
    assert len(cross) == 1
    src, dst = cross[0]
    assert src in enc.nodes and g.nodes[src].label == "Add & Norm"
    assert dst in dec.nodes and g.nodes[dst].label == "Multi-Head Cross-Attention"
    # post-norm order: attention → Add & Norm → feed-forward → Add & Norm, residual into each
    attn = labels["Multi-Head Attention"][0]
    first_norm = next(d for (s, d) in edges if s == attn)
    assert g.nodes[first_norm].label == "Add & Norm"
    assert len([s for (s, d) in edges if d == first_norm]) == 2  # sublayer + residual


def test_pre_norm_order_gpt2():
    g = _graph("gpt2")
    labels = _by_label(g)
    edges = {(e.src, e.dst) for e in g.edges}
    attn = labels["Masked Multi-Head Attention"][0]
    into_attn = [s for (s, d) in edges if d == attn]
    assert [g.nodes[s].label for s in into_attn] == ["Norm"]  # norm before the sublayer
    after = [d for (s, d) in edges if s == attn]
    assert [g.nodes[d].label for d in after] == ["+"]  # then the residual add
    assert g.root.clusters[0].clusters[0].repeat == 12


def test_rope_and_relative_bias_reach_attention():
    g = _graph("t5-small")
    kinds = {(g.nodes[e.src].label, g.nodes[e.dst].label, e.kind) for e in g.edges}
    assert ("Relative Position Bias", "Multi-Head Attention", "condition") in kinds
    assert ("Relative Position Bias", "Masked Multi-Head Attention", "condition") in kinds
    g = _graph("tinyllama")
    kinds = {(g.nodes[e.src].label, g.nodes[e.dst].label) for e in g.edges}
    assert ("Rotary Positions (RoPE)", "Masked Multi-Head Attention") in kinds


def test_depth_closes_containers():
    g = _graph("transformer-base", depth=0)
    labels = _by_label(g)
    assert "Stack" in labels and "Feed Forward" not in labels


def test_golden_dot(run_cli, tmp_path):
    out = tmp_path / "t.dot"
    code, stdout, err = run_cli("graph", "transformer-base", "-o", str(out))
    assert code == 0, err
    assert stdout.startswith(f"wrote {out} (20 boxes, 24 arrows)")
    golden = GOLDEN / "transformer-base.dot"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(out.read_text())
    assert out.read_text() == golden.read_text()


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
def test_svg_render(run_cli, tmp_path):
    out = tmp_path / "gpt2.svg"
    code, stdout, err = run_cli("graph", "gpt2", "-o", str(out))
    assert code == 0, err
    svg = out.read_text()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert "Masked Multi&#45;Head Attention" in svg and "12×" in svg


def test_without_dot_writes_dot_file(run_cli, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    out = tmp_path / "bert.svg"
    code, stdout, err = run_cli("graph", "bert", "-o", str(out))
    assert code == 1
    assert not out.exists() and (tmp_path / "bert.dot").exists()
    assert "apt-get install graphviz" in err and len(err.strip().splitlines()) == 1
    # asking for .dot needs no Graphviz at all
    code, stdout, err = run_cli("graph", "bert", "-o", str(tmp_path / "b.dot"))
    assert code == 0, err


def test_bad_outputs(run_cli, tmp_path):
    code, out, err = run_cli("graph", "bert", "-o", str(tmp_path / "x.jpeg"))
    assert code == 2 and "cannot tell the format of" in err and len(err.strip().splitlines()) == 1
    code, out, err = run_cli("graph", "bert", "-o", str(tmp_path / "missing" / "x.svg"))
    assert code == 2 and "does not exist" in err
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    if os.access(locked, os.W_OK):  # root ignores permissions
        pytest.skip("running as root: cannot make an unwritable directory")
    code, out, err = run_cli("graph", "bert", "-o", str(locked / "x.svg"))
    assert code == 2 and "not writable" in err
