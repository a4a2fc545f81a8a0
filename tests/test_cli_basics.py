"""list, inspect, specs from files and --set, and every bad-input path of issue 3."""

import json
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).parent.parent / "examples"


def test_list_shows_presets_with_exact_counts(run_cli):
    code, out, _ = run_cli("list")
    assert code == 0
    assert "bert-base" in out and "109,482,240" in out
    assert "llama2-70b" in out and "68,976,648,192" in out


def test_list_filters_and_json(run_cli):
    code, out, _ = run_cli("list", "--family", "llama", "--json")
    rows = json.loads(out)["presets"]
    assert code == 0
    assert [r["name"] for r in rows] == ["llama2-7b", "llama2-70b", "tinyllama-1.1b", "llama3-8b", "llama3.1-8b",
                                         "llama3.2-1b", "llama3.2-3b", "codellama-7b"]
    assert {r["kind"] for r in rows} == {"decoder-only"}
    code, out, _ = run_cli("list", "--kind", "encoder-decoder", "--json")
    assert {r["family"] for r in json.loads(out)["presets"]} >= {"t5", "bart", "transformer"}


def test_list_unknown_filter_is_usage_error(run_cli):
    code, _, err = run_cli("list", "--family", "nope")
    assert code == 2 and "unknown family 'nope'" in err


def test_inspect_shows_header_tree_and_breakdown(run_cli):
    code, out, _ = run_cli("inspect", "bert-base")
    assert code == 0
    assert "encoder-only" in out
    assert "encoder.layers: 12 × bidirectional self-attention" in out
    assert "layers.0–11 × 12" in out
    assert "109,482,240" in out
    assert "input_ids (1, 128)" in out
    assert "fp32 417.64 MiB" in out


def test_inspect_json_has_the_same_facts(run_cli):
    code, out, _ = run_cli("inspect", "t5-small", "--json", "--seq-len", "32", "--tgt-len", "8")
    data = json.loads(out)
    assert code == 0
    assert data["kind"] == "encoder-decoder"
    assert data["params"] == 60_506_624
    assert data["inputs"] == {"input_ids": [1, 32], "decoder_input_ids": [1, 8]}
    assert data["tree"]["output_shape"] == [1, 8, 32128]
    assert data["tied_weights"] == ["lm_head.proj.weight = tokens.weight"]


def test_inspect_gpt3_counts_on_meta(run_cli):
    code, out, _ = run_cli("inspect", "gpt3-175b", "--json")
    assert code == 0 and json.loads(out)["params"] == 174_604_259_328


def test_depth_opens_blocks(run_cli):
    _, shallow, _ = run_cli("inspect", "gpt2", "--depth", "1")
    _, deep, _ = run_cli("inspect", "gpt2", "--depth", "4")
    assert "cross_attn" not in deep and "qkv" in deep and "qkv" not in shallow


@pytest.mark.parametrize(
    "alias,name",
    [("bert", "bert-base"), ("gpt", "gpt2"), ("T5", "t5-small"), ("facebook/bart-base", "bart-base"),
     ("meta-llama/Llama-2-7b-hf", "llama2-7b"), ("transformer", "transformer-base"), ("gpt3", "gpt3-175b")],
)
def test_aliases_resolve(alias, name):
    from tfcli.catalog import resolve

    assert resolve(alias).name == name


@pytest.mark.parametrize(
    "file,total,kind",
    [
        ("tiny-gpt.yaml", 954_112, "decoder-only"),
        ("encoder-decoder-4layer.toml", 9_420_800, "encoder-decoder"),
        ("llama-gqa.json", 155_730_944, "decoder-only"),
        ("bert-6layer.yaml", 66_955_008, "encoder-only"),
    ],
)
def test_example_files(run_cli, file, total, kind):
    code, out, _ = run_cli("inspect", str(EXAMPLES / file), "--json")
    data = json.loads(out)
    assert code == 0
    assert data["params"] == total and data["kind"] == kind


def test_set_overrides_change_the_model(run_cli):
    code, out, _ = run_cli("inspect", "bert-base", "--set", "num_layers=6", "--json")
    assert code == 0 and json.loads(out)["params"] == 66_955_008


@pytest.mark.parametrize(
    "args,message",
    [
        (["inspect", "bert-bsae"], "unknown architecture 'bert-bsae'; did you mean bert-base?"),
        (["inspect", "bert-base", "--set", "num_heads=7"], "'d_model' (768) must be divisible by 'num_heads' (7)"),
        (["inspect", "bert-base", "--set", "num_layer=7"], "unknown field 'num_layer'; did you mean num_layers?"),
        (["inspect", "llama", "--set", "num_kv_heads=5"], "'num_heads' (32) must be divisible by 'num_kv_heads' (5)"),
        (["inspect", "llama", "--set", "num_kv_heads=64"], "'num_kv_heads' (64) cannot exceed 'num_heads' (32)"),
        (["inspect", "gpt2", "--set", "d_model=abc"], "field 'd_model' must be an integer, got 'abc'"),
        (["inspect", "gpt2", "--set", "num_layers=0"], "field 'num_layers' must be positive, got 0"),
        (["inspect", "gpt2", "--set", "d_model=-3"], "field 'd_model' must be positive, got -3"),
        (["inspect", "gpt2", "--set", "activation=swish"], "'activation' must be one of"),
        (["inspect", "gpt2", "--set", "foo"], "--set expects key=value"),
        (["inspect", "missing.yaml"], "no such file: missing.yaml"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(run_cli, args, message):
    code, out, err = run_cli(*args)
    assert code == 2
    assert message in err
    assert "Traceback" not in err + out
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "name,text,message",
    [
        ("bad.yaml", "family: [\n", "cannot parse YAML"),
        ("bad.json", "{bad", "cannot parse JSON"),
        ("bad.toml", "x = \n", "cannot parse TOML"),
        ("nofamily.yaml", "d_model: 3\n", "say which model this is with 'family: <name>'"),
        ("unknownfamily.yaml", "family: bret\n", "unknown family 'bret'; did you mean bert?"),
        ("list.yaml", "- 1\n- 2\n", "expected a mapping of fields"),
        ("badfield.yaml", "family: gpt\nnum_layerz: 2\n", "unknown field 'num_layerz'; did you mean num_layers?"),
        ("badbase.yaml", "base: gpt2\nnum_heads: 5\n", "'d_model' (768) must be divisible by 'num_heads' (5)"),
        ("badtype.json", '{"family": "bert", "pooler": "yes"}', "field 'pooler' must be true or false"),
        ("notes.txt", "hello", "unknown file type '.txt'"),
    ],
)
def test_malformed_files(run_cli, tmp_path, name, text, message):
    path = tmp_path / name
    path.write_text(text)
    code, out, err = run_cli("inspect", str(path))
    assert code == 2, err
    assert message in err and "Traceback" not in err + out


def test_debug_shows_the_traceback(run_cli):
    from tfcli.errors import UnknownArchitectureError

    with pytest.raises(UnknownArchitectureError):
        run_cli("--debug", "inspect", "bert-bsae")


def test_option_range_errors_exit_2(run_cli):
    code, _, err = run_cli("inspect", "gpt2", "--seq-len", "0")
    assert code == 2 and "--seq-len" in err


def test_long_sequence_is_allowed_with_a_note(run_cli):
    code, out, _ = run_cli("inspect", "gpt2", "--seq-len", "2048")
    assert code == 0 and "exceeds the learned position table (1024)" in out


def test_tree_collapses_only_items_of_one_list():
    from torch import nn

    from tfcli.analysis.tree import build_tree

    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleList(nn.Linear(4, 4) for _ in range(3))
            self.extra = nn.Linear(4, 4)  # same shape as a layer, but not one of them

    tree = build_tree(M(), {})
    assert [(c.name, c.repeat) for c in tree.children] == [("layers.0–2", 3), ("extra", 1)]


@pytest.mark.parametrize(
    "name,order",
    [("bert-base", ["attn", "attn_norm", "ffn", "ffn_norm"]),  # post-norm: sublayer, then Add & Norm
     ("gpt2", ["attn_norm", "attn", "ffn_norm", "ffn"])],  # pre-norm: norm, then sublayer
)
def test_tree_shows_sublayers_in_the_order_they_run(run_cli, name, order):
    code, out, _ = run_cli("inspect", name, "--json")
    stack = next(c for c in json.loads(out)["tree"]["children"] if c["type"] == "Stack")
    block = stack["children"][0]
    assert [c["name"] for c in block["children"]] == order
