"""`tfcli families`: the notes' encoder/decoder table, class and components from real models."""

import json

import pytest

from tfcli.catalog import families


@pytest.fixture(scope="module")
def table():
    from tfcli.analysis.families import families_table

    return {r.title: r for r in families_table("en").rows}


def test_every_family_record_carries_its_facts():
    for name, fam in families().items():
        facts = fam.facts
        assert facts is not None, name
        assert facts.objective.en and facts.objective.zh and facts.why.en and facts.why.zh, name


def test_classes_from_structure_match_declared(table):
    from tfcli.catalog import families

    fams = families()
    for row in table.values():
        if not row.marked:
            assert row.kind == fams[row.family].kind, row.family


def test_rows(table):
    t = table["Transformer (Vaswani et al. 2017)"]
    assert t.kind == "encoder-decoder" and t.preset == "transformer-base"
    assert t.components == [
        "token embedding", "positional encoding (sinusoidal)", "multi-head attention",
        "masked multi-head attention", "encoder-decoder attention", "feed-forward", "LM head",
    ]
    bert = table["BERT"]
    assert bert.kind == "encoder-only" and "masked multi-head attention" not in bert.components
    assert bert.objective.startswith("masked language modelling")
    gpt = table["GPT-2 / GPT-3"]
    assert gpt.kind == "decoder-only" and "masked multi-head attention" in gpt.components
    assert "encoder-decoder attention" not in gpt.components
    assert table["Llama"].positions == ["rotary (RoPE, θ=10000)"]


def test_unpublished_systems_are_marked(table):
    chat = table["ChatGPT (GPT-3.5 / GPT-4 / 4o / 5)"]
    gemini = table["Gemini (Google DeepMind)"]
    assert chat.marked and gemini.marked
    assert chat.kind == "decoder-only" and chat.preset == "gpt3-175b"
    assert "masked multi-head attention" in chat.components  # from the stand-in's structure
    assert not any(r.marked for r in table.values() if r.family)


def test_cli_zh_markdown_json(run_cli):
    code, out, err = run_cli("families", "--lang", "zh", "--markdown")  # Simplified, as the notes
    assert code == 0, err
    assert "| 模型 | 架构类型 | 组成 | 预训练目标 | 典型任务 | 为何这样设计 |" in out
    assert "**仅 Encoder (Encoder-only)**" in out
    assert "遮蔽语言模型 (MLM)" in out and "替代模型: gpt3-175b" in out
    code, out, err = run_cli("families", "--lang", "zh-Hant", "--markdown")
    assert code == 0, err
    assert "| 模型 | 架構類型 | 組成 | 預訓練目標 | 典型任務 | 為何這樣設計 |" in out
    assert "**僅 Encoder (Encoder-only)**" in out
    assert "遮蔽語言模型 (MLM)" in out and "替代模型: gpt3-175b" in out

    code, out, err = run_cli("families", "--json")
    assert code == 0, err
    rows = json.loads(out)["rows"]
    assert [r["kind"] for r in rows if r["family"] == "bert"] == ["encoder-only"]

    code, out, err = run_cli("families")
    assert code == 0 and "ChatGPT" in out and "†" in out

    code, out, err = run_cli("families", "--lang", "fr")
    assert code == 2 and "unknown --lang 'fr'; choose en, zh or zh-Hant" in err


def test_vision_rows(table):
    rows = {r.family: r for r in table.values()}
    vit, clip, sam = rows["vit"], rows["clip"], rows["sam"]
    assert (vit.kind, clip.kind, sam.kind) == ("encoder-only", "dual-encoder", "encoder + conditioned decoder")
    assert vit.components == [
        "patch embedding", "positional encoding (learned absolute)", "CLS token", "multi-head attention",
        "feed-forward", "classifier",
    ]
    # two towers, one learned table each: one component, and CLIP's [CLS] vector is found
    assert clip.components == [
        "token embedding", "patch embedding", "positional encoding (learned absolute)", "CLS token",
        "multi-head attention", "masked multi-head attention", "feed-forward",
    ]
    assert sam.components == [
        "patch embedding", "positional encoding (learned absolute)", "positional encoding (random Fourier features)",
        "positional encoding (relative)", "multi-head attention", "encoder-decoder attention", "windowed attention",
        "feed-forward", "convolution",
    ]
    assert "positional encoding (learned absolute)" in rows["dinov2"].components
