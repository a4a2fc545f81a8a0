"""One JSON schema across commands (docs/json.md), and --csv for bench, complexity, compare.

Every key a command prints is in docs/json.md; every document starts with the schema
version and the command; keys are snake_case with their units in their names."""

import csv
import json
import re
from pathlib import Path

import pytest

DOC = (Path(__file__).resolve().parents[1] / "docs" / "json.md").read_text(encoding="utf-8")

TINY_GPT = ["--set", "num_layers=1", "--set", "d_model=32", "--set", "num_heads=2", "--set", "ffn_dim=64",
            "--set", "vocab_size=100", "--set", "max_positions=64"]
FAST = ["--iters", "3", "--warmup", "1", "--threads", "1", "--min-time", "0"]

COMMANDS = {
    "list": ["list", "--family", "gpt"],
    "inspect": ["inspect", "t5-small", "--seq-len", "16", "--tgt-len", "8"],
    "flops": ["flops", "whisper-tiny", "--method", "all", "--audio-seconds", "2", "--tgt-len", "8"],
    "complexity": ["complexity", "vit-b16", "--image-size", "224,448"],
    "bench": ["bench", "gpt2", *TINY_GPT, "-n", "16,32", *FAST],
    "compare": ["compare", "mixtral-8x7b", "deepseek-v2-lite", "sam-b", "whisper-tiny", "clip-b32"],
    "families": ["families"],
    "flops_train": ["flops", "gpt2", "--set", "num_layers=1", "--train", "-n", "16"],
    "memory": ["memory", "gpt2", "--set", "num_layers=1", "--seq-len", "32", "--gpu", "h100-80g", "--measure"],
}

# objects whose keys are data (config fields, tensor and module names, categories, methods)
DATA_MAPS = {
    "config", "overrides", "inputs", "params_by_category", "params_by_component", "macs_by_category",
    "macs_by_operator", "uncounted_op_calls", "elementwise_op_calls", "missing_methods", "module_macs",
    "layers", "attention", "sliding_layers", "options", "forward_macs_by_category", "backward_macs_by_category",
    "recompute_macs_by_category", "weights_bytes_by_format", "saved_activations_bytes_by_category",
}
VALUE_MAPS = {"methods"}  # data keys (fvcore, torch, analytic) over schema objects


def schema_keys(value, out=None, parent=""):
    """Every key of the schema in a document, data maps' own keys left out."""
    out = set() if out is None else out
    if isinstance(value, dict):
        for key, v in value.items():
            if parent in VALUE_MAPS:
                schema_keys(v, out)
                continue
            out.add(key)
            if key not in DATA_MAPS:
                schema_keys(v, out, key)
    elif isinstance(value, list):
        for v in value:
            schema_keys(v, out, parent)
    return out


@pytest.fixture(scope="module")
def documents(cli):
    docs = {}
    for command, args in COMMANDS.items():
        code, out, err = cli(*args, "--json")
        assert code == 0, (command, err)
        docs[command] = json.loads(out)
    return docs


@pytest.mark.parametrize("command", list(COMMANDS))
def test_every_document_starts_with_the_version_and_command(documents, command):
    doc = documents[command]
    assert list(doc)[:2] == ["schema_version", "command"]
    assert (doc["schema_version"], doc["command"]) == (1, command.split("_")[0])


@pytest.mark.parametrize("command", list(COMMANDS))
def test_every_key_is_snake_case_and_documented(documents, command):
    keys = schema_keys(documents[command])
    bad = sorted(k for k in keys if not re.fullmatch(r"[a-z][a-z0-9_]*", k))
    assert bad == []
    undocumented = sorted(k for k in keys if not re.search(rf"(?<![\w-]){re.escape(k)}(?![\w-])", DOC))
    assert undocumented == []


def test_one_name_per_concept(documents):
    every = set().union(*(schema_keys(d) for d in documents.values()))
    assert not every & {"class", "ffn", "images", "active_params", "tflops", "seconds", "stats", "peak_memory",
                        "exponent", "by_category", "max_difference", "context", "input_notes"}
    flops = documents["flops"]
    assert flops["inputs"] == {"input_features": [1, 80, 200], "decoder_input_ids": [1, 8]}


def test_numbers_are_numbers(documents):
    def walk(value, path=""):
        if isinstance(value, dict):
            for k, v in value.items():
                yield from walk(v, f"{path}.{k}")
        elif isinstance(value, list):
            for v in value:
                yield from walk(v, path)
        else:
            yield path, value

    for command, doc in documents.items():
        for path, value in walk(doc):
            if isinstance(value, str) and not path.endswith(".shown"):  # compare's table text is text
                # elsewhere text never carries a number with a unit or a "×"
                assert not re.fullmatch(r"[\d.,]+\s*(×\s*[\d.,]+|[KMGT]?i?B|ms|s|%)", value), (command, path, value)
    head = documents["compare"]["models"][0]["heads"][0]
    assert all(isinstance(head[k], int) for k in ("heads", "kv_heads", "head_dim"))


def test_bench_document_carries_what_reruns_it(documents):
    doc = documents["bench"]
    assert doc["options"]["set"] == TINY_GPT[1::2]
    assert doc["options"]["models"] == ["gpt2"] and doc["options"]["seq_len"] == ["16,32"]
    assert (doc["options"]["iters"], doc["options"]["min_time"]) == (3, 0.0)
    (r,) = doc["results"]
    assert r["overrides"] == {"num_layers": 1, "d_model": 32, "num_heads": 2, "ffn_dim": 64, "vocab_size": 100,
                              "max_positions": 64}
    assert r["config"] == {"family": "gpt", "vocab_size": 100, "d_model": 32, "num_layers": 1, "num_heads": 2,
                           "ffn_dim": 64, "max_positions": 64, "activation": "gelu_tanh", "norm_eps": 1e-05,
                           "tie_embeddings": True}
    assert r["source"] == "preset" and r["settings"]["min_time_s"] == 0.0
    # the config alone rebuilds the model that ran: its parameter count is the result's
    from tfcli.catalog import resolve

    assert resolve("gpt2", [f"{k}={v}" for k, v in r["overrides"].items()]).config.to_dict() == r["config"]
    p = r["points"][0]
    assert list(p) == [
        "status", "batch", "seq_len", "tgt_len", "image_size", "audio_seconds", "unit", "tokens_per_pass",
        "tokens_per_s", "median_ms", "p10_ms", "p90_ms", "min_ms", "mean_ms", "timed_passes", "flops",
        "achieved_tflop_per_s", "peak_fraction", "traffic_bytes", "compute_bound_s", "memory_bound_s", "bound",
        "roofline_fraction", "peak_memory_bytes", "memory_growth_bytes",
        "estimated_memory_bytes", "sdpa_backends", "message",
    ]
    assert p["tokens_per_s"] == pytest.approx(16 / (p["median_ms"] / 1e3))  # ms, as the table says


def test_stats_become_milliseconds():
    from tfcli.bench import Point, Stats

    p = Point(1, 16, None, None, stats=Stats(median=0.25, p10=0.125, p90=0.5, min=0.0625, mean=0.3, n=4),
              items=16, throughput=64.0, flops=10**12, tflops=4.0)
    d = p.to_dict()
    assert (d["median_ms"], d["p10_ms"], d["p90_ms"], d["min_ms"], d["timed_passes"]) == (250.0, 125.0, 500.0, 62.5, 4)
    assert (d["tokens_per_s"], d["achieved_tflop_per_s"]) == (64.0, 4.0)
    oom = Point(1, 16, None, None, status="oom").to_dict()
    assert oom["median_ms"] is None and oom["timed_passes"] is None


def test_non_finite_floats_are_null_and_other_objects_refused():
    from tfcli.outputs import json_text

    assert json.loads(json_text({"k": float("nan"), "l": [float("inf"), 1.5]})) == {"k": None, "l": [None, 1.5]}
    with pytest.raises(TypeError):
        json_text({"path": Path("x")})  # a bug to fix where the data is made, not text to hide it


# -- --csv ------------------------------------------------------------------------------------


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_bench_csv_one_row_per_model_and_length(run_cli, tmp_path):
    path = tmp_path / "bench.csv"
    code, out, err = run_cli("bench", "gpt2", *TINY_GPT, "-n", "16,32", *FAST, "--csv", str(path))
    assert code == 0, err
    assert "forward passes (latency in ms)" in out and f"CSV written to {path}" in err
    rows = read_csv(path)
    assert [(r["name"], r["seq_len"], r["status"]) for r in rows] == [("gpt2 (modified)", "16", "ok"),
                                                                       ("gpt2 (modified)", "32", "ok")]
    first = rows[0]
    assert list(first)[:4] == ["name", "family", "source", "overrides.num_layers"]
    assert (first["overrides.d_model"], first["settings.dtype"], first["settings.threads"]) == ("32", "fp32", "1")
    assert (first["tokens_per_pass"], first["unit"], first["tgt_len"]) == ("16", "tokens", "")
    assert float(first["tokens_per_s"]) == pytest.approx(16 / (float(first["median_ms"]) / 1e3))
    assert first["flops"] == str(2 * (49_152 + 16_384 + 65_536 + 16_384 + 51_200 + 7_680))  # tests/test_bench.py
    assert "config" not in first and "notes" not in first


def test_complexity_csv_one_row_per_length(run_cli, tmp_path):
    path = tmp_path / "cx.csv"
    code, out, err = run_cli("complexity", "gpt2", "--max", "256", "--json", "--csv", str(path))
    assert code == 0, err
    data = json.loads(out)
    rows = read_csv(path)
    assert list(rows[0]) == [
        "name", "family", "mode", "method", "batch", "dtype", "causal_half", "params", "seq_len", "tokens", "macs",
        "attn_scores_macs", "attn_proj_macs", "feed_forward_macs", "other_macs", "windowed_attn_scores_macs",
        "attn_scores_share", "attention_share", "attn_matrix_bytes", "fused_kernel_bytes", "kv_cache_bytes",
    ]
    assert [r["seq_len"] for r in rows] == ["128", "256"]
    assert rows[0]["macs"] == "16126377984" == str(data["points"][0]["macs"])  # tfcli flops gpt2 at 128 tokens
    assert rows[0]["kv_cache_bytes"] == str(2 * 12 * 128 * 768 * 2) and rows[0]["causal_half"] == "false"
    for row, point in zip(rows, data["points"]):  # the CSV holds the JSON's numbers, to the last digit
        assert {k: row[k] for k in point} == {k: str(v) for k, v in point.items()}


@pytest.mark.parametrize("command", [
    ["bench", "gpt2", "-n", "16"],
    ["complexity", "gpt2"],
    ["compare", "gpt2", "bert"],
])
@pytest.mark.parametrize("path, message", [
    ("out.tsv", "--csv writes .csv; give a file ending in one of them, not 'out.tsv'"),
    ("nowhere/out.csv", "cannot write nowhere/out.csv: directory nowhere does not exist"),
    ("taken.csv", "cannot write taken.csv: it is a directory"),
])
def test_a_bad_csv_path_is_one_line_exit_2_before_any_model(run_cli, tmp_path, monkeypatch, command, path, message):
    import tfcli.catalog

    monkeypatch.chdir(tmp_path)
    (tmp_path / "taken.csv").mkdir()

    def never(*args, **kwargs):
        raise AssertionError("a model was resolved before the --csv path was checked")

    monkeypatch.setattr(tfcli.catalog, "resolve", never)
    code, out, err = run_cli(*command, "--csv", path)
    assert code == 2, err
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert out == "" and sorted(p.name for p in tmp_path.iterdir()) == ["taken.csv"]  # nothing written


def test_csv_write_is_whole_or_nothing(tmp_path, monkeypatch):
    """A failure while writing leaves neither the file nor a temporary beside it."""
    import os

    from tfcli.errors import UsageError
    from tfcli.outputs import write_csv

    target = tmp_path / "rows.csv"
    real = os.replace

    def fail(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(UsageError, match="cannot write .*rows.csv: No space left on device"):
        write_csv(target, [{"a": 1}])
    monkeypatch.setattr(os, "replace", real)
    assert list(tmp_path.iterdir()) == []
    write_csv(target, [{"a": 1, "b": None}, {"b": [1, 2], "c": True}])
    assert target.read_text() == "a,b,c\n1,,\n,1;2,true\n"
