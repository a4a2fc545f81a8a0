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


def test_bad_outputs(run_cli, tmp_path, monkeypatch):
    code, out, err = run_cli("graph", "bert", "-o", str(tmp_path / "x.jpeg"))
    assert code == 2 and "cannot tell the format of" in err and len(err.strip().splitlines()) == 1
    code, out, err = run_cli("graph", "bert", "-o", str(tmp_path / "missing" / "x.svg"))
    assert code == 2 and "does not exist" in err
    monkeypatch.setattr(os, "access", lambda path, mode: False)  # root can write anywhere
    code, out, err = run_cli("graph", "bert", "-o", str(tmp_path / "x.svg"))
    assert code == 2 and "is not writable" in err and len(err.strip().splitlines()) == 1


def _toy_vit():
    """A ViT-shaped model made of the shared blocks, standing in for families on other branches."""
    import torch
    from torch import nn

    from tfcli.blocks import BlockConfig, ClassifierHead, PatchEmbedding, Stack

    class ToyViT(nn.Module):
        def __init__(self):
            super().__init__()
            self.patch_embed = PatchEmbedding(8, 3, 32)
            self.cls_token = nn.Parameter(torch.zeros(1, 1, 32))
            self.pos_embed = nn.Parameter(torch.zeros(1, 17, 32))
            self.encoder = Stack(BlockConfig(32, 4, 64), 3)
            self.head = ClassifierHead(32, 10)

        def forward(self, pixel_values):
            x = self.patch_embed(pixel_values)  # (B, 16, 32)
            x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1) + self.pos_embed
            return self.head(self.encoder(x)[:, 0])

    with torch.device("meta"):
        return ToyViT().eval(), {"pixel_values": torch.empty(1, 3, 32, 32, device="meta")}


def test_generic_over_unknown_families():
    from tfcli.analysis.graph import build_graph
    from tfcli.analysis.structure import read_structure

    model, inputs = _toy_vit()
    s = read_structure(model)
    assert s.patch_embedding and s.cls_token and s.positions == ["learned absolute (pos_embed)"]
    assert s.components()[:4] == ["patch embedding", "positional encoding (learned absolute)", "CLS token", "multi-head attention"]
    g = build_graph(model, inputs, depth=2, title="toy")
    labels = {n.label for n in g.nodes.values()}
    assert {"Patch Embedding", "Multi-Head Attention", "Feed Forward", "Classifier", "Class scores"} <= labels
    assert g.root.clusters[0].clusters[0].repeat == 3
