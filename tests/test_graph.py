"""`tfcli graph`: the traced block diagram, its DOT text and rendering."""

import os
import shutil
from pathlib import Path

import pytest

GOLDEN = Path(__file__).parent / "golden"


def _graph(name, depth=2):
    from tfcli.analysis.graph import build_graph
    from tfcli.build import build_model
    from tfcli.catalog import resolve
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

    from tfcli.blocks import ClassifierHead, PatchEmbedding, Stack
    from tfcli.spec import StackSpec, block_spec

    class ToyViT(nn.Module):
        def __init__(self):
            super().__init__()
            self.patch_embed = PatchEmbedding(8, 3, 32)
            self.cls_token = nn.Parameter(torch.zeros(1, 1, 32))
            self.pos_embed = nn.Parameter(torch.zeros(1, 17, 32))
            self.encoder = Stack(StackSpec(block_spec(32, 4, 64), 3))
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


# -- vision and multimodal families -------------------------------------------------------


def _image_graph(name, depth=2):
    from tfcli.analysis.graph import build_graph
    from tfcli.build import build_model
    from tfcli.catalog import resolve

    model = build_model(resolve(name).config)
    return build_graph(model, model.example_inputs(resolve(name).config.default_input(), "meta"), depth=depth, title=name)


def _cluster(g, label):
    todo = [g.root]
    while todo:
        c = todo.pop()
        if c.label.startswith(label):
            return c
        todo += c.clusters
    raise AssertionError(f"no frame {label!r}")


def _members(c):
    out = set(c.nodes)
    for x in c.clusters:
        out |= _members(x)
    return out


def _reaches(g, src: set, dst: set) -> bool:
    """Some node of src has a path to some node of dst."""
    nxt = {}
    for e in g.edges:
        nxt.setdefault(e.src, []).append(e.dst)
    seen, todo = set(), list(src)
    while todo:
        n = todo.pop()
        if n in dst:
            return True
        if n not in seen:
            seen.add(n)
            todo += nxt.get(n, [])
    return False


def test_vit_graph():
    g = _image_graph("vit-b16")
    labels = _by_label(g)
    assert [g.nodes[n].detail for n in labels["Position Embedding"]] == ["learned, 14×14 grid + 1 [CLS]"]
    assert len(labels["Class scores"]) == 1 and len(labels["Image"]) == 1
    assert _cluster(g, "Encoder").clusters[0].repeat == 12


def test_clip_towers_meet_at_the_logits():
    g = _image_graph("clip-b32")
    labels = _by_label(g)
    (logits,) = labels["Contrastive logits"]
    into = {e.src for e in g.edges if e.dst == logits}
    assert {g.nodes[n].detail for n in into} == {"text_projection", "visual_projection"}
    text, vision = _members(_cluster(g, "Text")), _members(_cluster(g, "Vision"))
    for tower, projection in [(text, "text_projection"), (vision, "visual_projection")]:
        (p,) = [n for n in into if g.nodes[n].detail == projection]
        assert {e.src for e in g.edges if e.dst == p} <= tower  # each projection reads only its tower
    # the towers are drawn closed at the default depth, each with its block count
    assert [g.nodes[n].label for n in text | vision if "block" in g.nodes[n].label] == ["12× Pre-norm block"] * 2
    # the text tower's end-of-text index is a selection, not a data edge from the tokens
    assert not any(g.nodes.get(e.src, None) and g.nodes[e.src].label == "Inputs" and e.dst in into for e in g.edges)


def test_sam_three_parts():
    g = _image_graph("sam-b")
    encoder, prompt, decoder = (_members(_cluster(g, x)) for x in ("Image encoder", "Prompt encoder", "Mask decoder"))
    assert _reaches(g, encoder, decoder) and _reaches(g, prompt, decoder)
    assert not _reaches(g, decoder, encoder | prompt)
    assert _cluster(g, "Two-way transformer")
    # windowed and global encoder blocks: one frame, 12×, saying which are which
    block = _cluster(g, "EncoderBlock")
    assert (block.label, block.repeat) == ("EncoderBlock (8 windowed + 4 global)", 12)
    labels = _by_label(g)
    (attn,) = [n for n in labels["Multi-Head Attention"] if n in encoder]
    assert g.nodes[attn].detail == "12 × 64 heads; 14×14 windows in 8 of 12, global in 4"
    assert (len(labels["Masks"]), len(labels["IoU scores"])) == (1, 1)
    assert any(e.kind == "cross" for e in g.edges)  # tokens ↔ image inside the two-way transformer


def test_unet_levels_and_skips():
    from tfcli.analysis.graph import build_graph_auto
    from tfcli.build import build_model
    from tfcli.catalog import resolve

    model = build_model(resolve("sd15-unet").config)
    g, depth = build_graph_auto(model, model.example_inputs(resolve("sd15-unet").config.default_input(), "meta"))
    assert depth == 0 and len(g.nodes) <= 60  # depth 2 would draw 246 boxes
    by = {n.label: n.id for n in g.nodes.values()}
    down = [by[f"DownLevel {i}"] for i in range(1, 5)]
    up = [by[f"UpLevel {i}"] for i in range(1, 5)]
    assert g.nodes[down[0]].detail == "→ 320 ch, 32×32 + cross-attention …"
    data = {(e.src, e.dst) for e in g.edges if e.kind == "data"}
    # the contracting path, the middle, and skip connections from every down level into the up path
    assert all((a, b) in data for a, b in zip(down, down[1:]))
    assert (down[-1], by["MidBlock"]) in data and (by["MidBlock"], up[0]) in data
    kinds = {(g.nodes[e.src].label, e.kind) for e in g.edges}
    assert ("Text embeddings", "context") in kinds and ("Text embeddings", "data") not in kinds
    assert ("Time Embedding", "condition") in kinds


def test_graph_command_auto_depth_note(run_cli, tmp_path):
    code, out, err = run_cli("graph", "sd15-unet", "-o", str(tmp_path / "u.dot"))
    assert code == 0, err
    assert "drawn at --depth 0 to stay readable; --depth 1 opens the next level" in err
    code, out, err = run_cli("graph", "sd15-unet", "-d", "1", "-o", str(tmp_path / "u1.dot"))
    assert code == 0 and "note" not in err
    assert "(63 boxes" in out


def test_unet_skips_link_only_what_each_up_level_concatenates():
    """Each up level pops three skips off the stack (layers_per_block + 1): SD1.5's up level
    1 takes Down 4's two ResNet outputs and Down 3's downsample, and so on down to conv_in.
    The whole stack is passed to every level; only what a level reads is an arrow."""
    from tfcli.analysis.graph import build_graph
    from tfcli.build import build_model
    from tfcli.catalog import resolve

    config = resolve("sd15-unet").config
    model = build_model(config)
    g = build_graph(model, model.example_inputs(config.default_input(), "meta"), depth=0)
    name = {n.id: n.label for n in g.nodes.values()}
    name[next(n.id for n in g.nodes.values() if n.detail == "4→320")] = "conv_in"
    into = {}
    for e in g.edges:
        if e.kind == "data" and name[e.dst].startswith("UpLevel"):
            into.setdefault(name[e.dst], set()).add(name[e.src])
    assert into == {
        "UpLevel 1": {"MidBlock", "DownLevel 4", "DownLevel 3"},
        "UpLevel 2": {"UpLevel 1", "DownLevel 3", "DownLevel 2"},
        "UpLevel 3": {"UpLevel 2", "DownLevel 2", "DownLevel 1"},
        "UpLevel 4": {"UpLevel 3", "DownLevel 1", "conv_in"},
    }
    # the text reaches only the levels with cross-attention, though every level is handed it
    text = {name[e.dst] for e in g.edges if e.kind == "context"}
    assert text == {"DownLevel 1", "DownLevel 2", "DownLevel 3", "MidBlock", "UpLevel 2", "UpLevel 3", "UpLevel 4"}
