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
        ("Logits", 1),
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
    assert stdout.startswith(f"wrote {out} (20 boxes, 26 arrows)")
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
        if e.kind in ("data", "skip") and name[e.dst].startswith("UpLevel"):
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


# -- what the figures say (issue 15): shapes, logits, tied weights, tokens, run order, the U ----


def test_arrows_carry_shapes_where_blocks_begin():
    g = _graph("transformer-base")
    labels = _by_label(g)
    enc, dec = g.root.clusters
    edges = {(e.src, e.dst): e for e in g.edges}
    # every arrow knows its tensor; the label is written where it enters or leaves a block
    assert all(e.shape for e in g.edges if e.kind != "tied")
    (cross,) = [e for e in g.edges if e.kind == "cross"]
    assert (cross.shape, cross.label) == ([1, 16, 512], "(1, 16, 512)")
    into_encoder = [e for (s, d), e in edges.items() if d in enc.nodes and s not in enc.nodes and e.label]
    assert [e.label for e in into_encoder] == ["(1, 16, 512)"]  # once per tensor, not on the residual too
    (embedding,) = labels["Input Embedding"]
    assert [e.label for e in g.edges if e.src == embedding and e.kind == "data"] == ["(1, 16, 512)"]  # (1, 16) → (1, 16, 512)
    # inside a block the shape never changes: nothing written
    assert not any(e.label for (s, d), e in edges.items() if s in dec.nodes and d in dec.nodes)


def test_lm_head_makes_logits_not_probabilities():
    for name in ("transformer-base", "gpt2", "llama2-7b"):
        g = _graph(name)
        labels = _by_label(g)
        assert "Output Probabilities" not in labels and "Softmax" not in labels
        (out,) = labels["Logits"]
        assert g.nodes[out].detail.endswith("before softmax")
        (head,) = labels["Linear"]
        assert {e.src for e in g.edges if e.dst == out} == {head}


def test_tied_weights_are_one_matrix():
    g = _graph("gpt2")
    labels = _by_label(g)
    tied = [(g.nodes[e.src].label, g.nodes[e.dst].label) for e in g.edges if e.kind == "tied"]
    assert tied == [("Input Embedding", "Linear")]
    # transformer-base: one table read by both stacks and the LM head
    g = _graph("transformer-base")
    tied = [(g.nodes[e.src].label, g.nodes[e.dst].label) for e in g.edges if e.kind == "tied"]
    assert tied == [("Input Embedding", "Output Embedding"), ("Output Embedding", "Linear")]
    # LLaMA 2 has its own output matrix
    assert not any(e.kind == "tied" for e in _graph("llama2-7b").edges)


def test_cls_and_register_tokens_are_drawn():
    g = _image_graph("vit-b16")
    labels = _by_label(g)
    (cls,) = labels["[CLS] token"]
    assert g.nodes[cls].detail == "learned, 1 × 768"
    (cat,) = [e.dst for e in g.edges if e.src == cls]
    assert g.nodes[cat].kind == "concat"
    (patches,) = labels["Patch Embedding"]
    into_cat = {e.src: e.shape for e in g.edges if e.dst == cat}
    assert into_cat == {cls: [1, 1, 768], patches: [1, 196, 768]}
    (add,) = [e.dst for e in g.edges if e.src == cat]
    assert g.nodes[add].detail == "+ positions"
    assert cls in _members(_cluster(g, "Embeddings"))
    # DINOv2 with registers: [CLS], then the positions, then the 4 registers spliced in after [CLS]
    g = _image_graph("dinov2-s14-reg")
    labels = _by_label(g)
    (regs,) = labels["Register tokens"]
    assert g.nodes[regs].detail == "learned, 4 × 384"
    assert len(labels["[CLS] token"]) == 1
    (cat,) = [e.dst for e in g.edges if e.src == regs]
    assert [e.shape for e in g.edges if e.src == cat and e.label] == [[1, 1374, 384]]


def test_sam_adds_say_what_they_add():
    g = _image_graph("sam-b")
    adds = [n for n in g.nodes.values() if n.kind == "add"]
    said = sorted(n.detail for n in adds if n.detail)
    assert said == ["+ no mask", "+ not a point", "+ point embeddings 0", "+ point embeddings 1",
                    "+ positions", "+ tokens"]
    # the prompt encoder's learned vectors are drawn, and the random Fourier matrix it encodes
    # points with is the shared positional encoding's (one matrix, two boxes)
    labels = _by_label(g)
    assert {"Not a point", "No mask", "IoU token", "Mask tokens"} <= set(labels)
    tied = [(g.nodes[e.src].label, g.nodes[e.dst].label) for e in g.edges if e.kind == "tied"]
    assert tied == [("Positional Encoding", "Positional Encoding")]


def test_sd_pipeline_wired_as_it_runs():
    """Text encoder → UNet (cross-attention context); latents and timestep → UNet → scheduler
    step → (next timestep, back into the UNet) → VAE decoder. The latents and the timestep reach
    the VAE only through the scheduler step."""
    from tfcli.analysis.graph import build_graph_auto
    from tfcli.build import build_model
    from tfcli.catalog import resolve

    config = resolve("sd15").config
    model = build_model(config)
    g, depth = build_graph_auto(model, model.example_inputs(config.default_input(), "meta"))
    assert depth == 1
    labels = _by_label(g)
    text, unet, decoder = (_members(_cluster(g, x)) for x in ("Text encoder", "UNet", "Decoder"))
    (latents,), (timestep,), (step,) = labels["Noisy latent"], labels["Timestep"], labels["Scheduler step"]
    kinds = {(e.src, e.dst): e.kind for e in g.edges}
    assert {k for (s, d), k in kinds.items() if s in text and d in unet} == {"context"}
    assert any(s == latents and d in unet for s, d in kinds)
    assert any(s == timestep and d in unet and g.nodes[d].label == "Time Embedding" for s, d in kinds)
    (out_conv,) = [s for (s, d) in kinds if d == step and s in unet]
    assert kinds[(latents, step)] == "data" and kinds[(timestep, step)] == "condition"
    (loop,) = [e for e in g.edges if e.kind == "loop"]
    assert (loop.src, g.nodes[loop.dst].detail) == (step, "4→320") and loop.label == "next timestep"
    after = [d for (s, d) in kinds if s == step and kinds[(s, d)] == "data"]
    assert len(after) == 1 and g.nodes[after[0]].label == "Conv 1×1"  # the VAE's post-quant conv
    assert _reaches(g, set(after), decoder)
    assert not any(s in (latents, timestep) and (d in decoder or d in after) for s, d in kinds)


def test_unet_is_a_u_with_skips_across():
    """Each row is one resolution: the down level and the up level whose skips it feeds sit
    side by side, the skip running across; the down path descends, the up path climbs."""
    from tfcli.analysis.graph import build_graph
    from tfcli.build import build_model
    from tfcli.catalog import resolve

    config = resolve("sd15-unet").config
    model = build_model(config)
    g = build_graph(model, model.example_inputs(config.default_input(), "meta"), depth=0)
    name = {n.id: n.label for n in g.nodes.values()}
    rows = [[name[n] for n in row if name[n].startswith(("DownLevel", "UpLevel", "MidBlock"))] for row in g.rows]
    assert rows == [["DownLevel 1", "UpLevel 4"], ["DownLevel 2", "UpLevel 3"], ["DownLevel 3", "UpLevel 2"],
                    ["DownLevel 4", "MidBlock", "UpLevel 1"]]
    row_of = {n: i for i, row in enumerate(g.rows) for n in row}
    skips = [e for e in g.edges if e.kind == "skip"]
    across = sorted((name[e.src], name[e.dst]) for e in skips
                    if row_of[e.src] == row_of[e.dst] and name[e.src].startswith("Down"))
    assert across == [("DownLevel 1", "UpLevel 4"), ("DownLevel 2", "UpLevel 3"), ("DownLevel 3", "UpLevel 2"),
                      ("DownLevel 4", "UpLevel 1")]
    # the main path is no skip: down → down, mid → up, up → up
    data = {(name[e.src], name[e.dst]) for e in g.edges if e.kind == "data"}
    assert {("DownLevel 1", "DownLevel 2"), ("MidBlock", "UpLevel 1"), ("UpLevel 1", "UpLevel 2")} <= data
    # every skip joins two feature maps of one size
    assert all(len(e.shape) == 4 for e in skips)


def test_legend_names_the_arrow_styles(tmp_path):
    from tfcli.render.graph import to_dot

    g = _graph("t5-small")
    source = to_dot(g).source
    assert "legend" in source and "Arrows" in source
    for words in ("keys and values from the other stream", "one weight matrix shared", "positions, biases"):
        assert words in source
    assert "skip connection" not in source  # only the styles this figure uses
