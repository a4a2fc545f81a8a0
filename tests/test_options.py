"""One option set: every command that takes a model takes --set and the input options,
checked once, with the same words everywhere."""

import json

import pytest

from tfcli.spec import CATEGORIES
from tfcli.spec.tally import MODULE_CATEGORIES

COMMANDS = ["inspect", "flops", "compare", "graph"]


def _args(command: str, *rest: str) -> list[str]:
    models = ["gpt2", "bert"] if command == "compare" else ["gpt2"]
    out = ["-o", "/tmp/tfcli-options-test.svg"] if command == "graph" else []
    return [command, *models, *out, *rest]


@pytest.mark.parametrize("command", COMMANDS + ["bench", "complexity"])
@pytest.mark.parametrize(
    "option,value,message",
    [
        ("--batch", "0", "--batch must be a positive integer, got 0"),
        ("--seq-len", "-4", "--seq-len"),
        ("--set", "num_layers=0", "field 'num_layers' must be positive, got 0"),
        ("--set", "d_model=abc", "field 'd_model' must be an integer, got 'abc'"),
    ],
)
def test_every_command_checks_the_shared_options_the_same_way(run_cli, command, option, value, message):
    code, out, err = run_cli(*_args(command, option, value))
    assert code == 2, (command, out, err)
    assert message in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "args,message",
    [
        (("inspect", "vit-b16", "--seq-len", "64"), "vit-b16 is a vision model: --seq-len does not apply; use --image-size"),
        (("flops", "gpt2", "--image-size", "224"), "gpt2 is a text model: --image-size does not apply; use --seq-len"),
        (("inspect", "gpt2", "--tgt-len", "8"), "--tgt-len is for encoder-decoders; gpt2 has no separate decoder input"),
        (("graph", "sam-b", "-o", "/tmp/x.svg", "--seq-len", "8"), "sam-b is a vision model: --seq-len does not apply"),
        (("bench", "vit-b16", "--seq-len", "128"), "vit-b16 is a vision model: --seq-len does not apply"),
        (("flops", "bert", "--prompt", "box"), "--prompt is for SAM models; bert-base takes no prompts"),
    ],
)
def test_an_option_the_model_cannot_read_is_refused(run_cli, args, message):
    code, _, err = run_cli(*args)
    assert code == 2 and message in err


def test_compare_applies_set_to_every_model(run_cli):
    code, out, err = run_cli("compare", "gpt2", "gpt2", "--set", "num_layers=2", "--seq-len", "64", "--json")
    assert code == 0, err
    data = json.loads(out)
    # tokens 50257·768 + positions 1024·768 + 2 layers × 7,087,872 + the final LayerNorm 1536
    assert [m["layers"] for m in data["models"]] == [{"decoder": 2}, {"decoder": 2}]
    assert 50257 * 768 + 1024 * 768 + 2 * 7_087_872 + 1536 == 53_561_088
    assert [m["params"] for m in data["models"]] == [53_561_088, 53_561_088]
    assert (data["input"]["batch"], data["input"]["seq_len"]) == (1, 64)


def test_compare_applies_each_input_option_where_it_reads():
    """--seq-len reaches the text model (capped at its position table), the ViT keeps its
    image: one input, no refusal."""
    from tfcli.analysis.compare import compare
    from tfcli.catalog import resolve
    from tfcli.spec import InputShape

    c = compare([resolve("vit-b16"), resolve("gpt2")], InputShape(seq_len=2048))
    rows = {r.key: r for r in c.rows}
    assert rows["inputs"].values == ["image 3×224×224 → patches", "tokens 1024"]
    assert "gpt2: --seq-len 2048 is past its 1024 learned positions; counted at 1024" in c.notes


def test_graph_takes_set(run_cli, tmp_path):
    out = tmp_path / "g.dot"
    code, text, err = run_cli("graph", "gpt2", "-o", str(out), "--set", "num_layers=3", "--seq-len", "16")
    assert code == 0, err
    assert 'label="Pre-norm block   3×"' in out.read_text()  # the repeat count of the overridden stack


def test_one_category_vocabulary():
    """Parameters count in the modules' categories; MACs in the same, attention split in two."""
    from tfcli.analysis.flops import category_of
    from tfcli.analysis.params import count_params
    from tfcli.build import build_model
    from tfcli.catalog import resolve

    assert [c for c in CATEGORIES if c not in ("attn_proj", "attn_scores")] == [
        c for c in MODULE_CATEGORIES if c != "attention"
    ]
    for cat in MODULE_CATEGORIES:
        assert category_of(cat, "linear") in CATEGORIES
    assert category_of("attention", "linear") == "attn_proj"
    assert category_of("attention", "matmul") == "attn_scores"
    report = count_params(build_model(resolve("bert").config))
    assert tuple(report.by_category) == MODULE_CATEGORIES
    assert report.by_category["feed_forward"] == 12 * (2 * 768 * 3072 + 3072 + 768)
