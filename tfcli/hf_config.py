"""Hugging Face `config.json` → a tfcli spec. No torch.

`tfcli inspect path/to/config.json` works for any transformers config whose `model_type`
is in HF_MAPPERS. Each mapper reads the fields that change the architecture, ignores the
ones that don't (dropout, token ids, generation settings), and refuses a value tfcli cannot
model with one line naming the field, so a count is never silently wrong.

Adding a model type is one function here plus one line in HF_MAPPERS.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Callable

from tfcli.errors import SpecError
from tfcli.spec import ArchConfig

# transformers' activation names → tfcli's (tfcli.spec.ACTIVATIONS)
HF_ACTIVATIONS = {
    "relu": "relu",
    "gelu": "gelu",
    "gelu_new": "gelu_tanh",  # GPT-2's tanh approximation
    "gelu_pytorch_tanh": "gelu_tanh",
    "gelu_fast": "gelu_tanh",
    "quick_gelu": "quick_gelu",
    "silu": "silu",
    "swish": "silu",
}


class Fields:
    """Typed reads from one config.json; every error names the file and the HF field."""

    def __init__(self, data: dict[str, Any], path: Path | str, model_type: str):
        self.data, self.path, self.model_type = data, path, model_type
        self.names: dict[str, str] = {}  # tfcli field → the HF field it came from, for errors
        self.notes: list[str] = []

    def fail(self, field: str, message: str) -> SpecError:
        return SpecError(f"{self.path}: {self.model_type} config field '{field}' {message}")

    def int(self, field: str, default: int | None = None, *, to: str | None = None, zero_ok: bool = False) -> int:
        value = self.data.get(field, default)
        if value is None:
            if default is None and field not in self.data:
                raise self.fail(field, "is missing")
            value = default
        if isinstance(value, bool) or not isinstance(value, (int, float)) or int(value) != value:
            raise self.fail(field, f"must be an integer, got {value!r}")
        if value < 0 or (value == 0 and not zero_ok):
            raise self.fail(field, f"must be positive, got {value!r}")
        if to:
            self.names[to] = field
        return int(value)

    def float(self, field: str, default: float, *, to: str | None = None) -> float:
        value = self.data.get(field, default)
        if value is None:
            value = default
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            raise self.fail(field, f"must be a positive number, got {value!r}")
        if to:
            self.names[to] = field
        return float(value)

    def bool(self, field: str, default: bool) -> bool:
        value = self.data.get(field, default)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise self.fail(field, f"must be true or false, got {value!r}")
        return value

    def activation(self, field: str, default: str, *, to: str = "activation") -> str:
        value = self.data.get(field, default) or default
        if value not in HF_ACTIVATIONS:
            raise self.fail(field, f"'{value}' is not modelled; tfcli knows {', '.join(HF_ACTIVATIONS)}")
        self.names[to] = field
        return HF_ACTIVATIONS[value]

    def expect(self, field: str, allowed: Any, why: str) -> None:
        """A field whose other values would change the parameters in ways tfcli does not model."""
        if field in self.data and self.data[field] is not None and self.data[field] != allowed:
            raise self.fail(field, f"= {self.data[field]!r} is not modelled ({why})")

    def same(self, a: str, b: str) -> None:
        if a in self.data and b in self.data and self.data[a] != self.data[b]:
            raise self.fail(b, f"({self.data[b]}) must equal '{a}' ({self.data[a]}); tfcli builds one value for both")

    def note(self, field: str, message: str) -> None:
        if self.data.get(field) is not None:
            self.notes.append(f"{field}={self.data[field]!r}: {message}")


# -- one function per model_type ----------------------------------------------------------


def _bert(f: Fields) -> ArchConfig:
    from tfcli.presets.bert import BertConfig

    f.expect("position_embedding_type", "absolute", "tfcli's BERT has learned absolute positions")
    f.expect("add_cross_attention", False, "tfcli's BERT is an encoder")
    return BertConfig(
        vocab_size=f.int("vocab_size", to="vocab_size"),
        d_model=f.int("hidden_size", to="d_model"),
        num_layers=f.int("num_hidden_layers", to="num_layers"),
        num_heads=f.int("num_attention_heads", to="num_heads"),
        ffn_dim=f.int("intermediate_size", to="ffn_dim"),
        max_positions=f.int("max_position_embeddings", 512, to="max_positions"),
        type_vocab_size=f.int("type_vocab_size", 2, to="type_vocab_size"),
        activation=f.activation("hidden_act", "gelu"),
        norm_eps=f.float("layer_norm_eps", 1e-12),
        pooler=True,  # AutoModel → BertModel, which has the pooler
    )


def _gpt2(f: Fields) -> ArchConfig:
    from tfcli.presets.gpt import GPTConfig

    f.expect("add_cross_attention", False, "tfcli's GPT is decoder-only")
    d = f.int("n_embd", to="d_model")
    return GPTConfig(
        vocab_size=f.int("vocab_size", to="vocab_size"),
        d_model=d,
        num_layers=f.int("n_layer", to="num_layers"),
        num_heads=f.int("n_head", to="num_heads"),
        ffn_dim=f.int("n_inner", 4 * d, to="ffn_dim"),  # null means 4·d
        max_positions=f.int("n_positions", 1024, to="max_positions"),
        activation=f.activation("activation_function", "gelu_new"),
        norm_eps=f.float("layer_norm_epsilon", 1e-5),
        tie_embeddings=f.bool("tie_word_embeddings", True),
    )


def _t5(f: Fields) -> ArchConfig:
    from tfcli.presets.t5 import T5Config

    # "relu" (T5), "gated-gelu" (T5 v1.1, Flan-T5: GeGLU with the tanh GELU), "gated-silu"
    proj = f.data.get("feed_forward_proj") or "relu"
    parts = proj.split("-")
    if len(parts) > 2 or (len(parts) == 2 and parts[0] != "gated"):
        raise f.fail("feed_forward_proj", f"'{proj}' must be '<act>' or 'gated-<act>'")
    act = "gelu_new" if proj == "gated-gelu" else parts[-1]
    if act not in HF_ACTIVATIONS:
        raise f.fail("feed_forward_proj", f"'{proj}': activation '{act}' is not modelled")
    f.names["activation"] = "feed_forward_proj"
    layers = f.int("num_layers", to="num_layers")
    # transformers 5 always ties T5's embeddings and keeps the flag only to decide
    # whether to rescale decoder outputs; the v1.1 checkpoints ship a separate LM head,
    # so tfcli follows the file (untied = one more vocab × d_model matrix)
    return T5Config(
        vocab_size=f.int("vocab_size", to="vocab_size"),
        d_model=f.int("d_model", to="d_model"),
        num_layers=layers,
        num_decoder_layers=f.int("num_decoder_layers", layers, to="num_decoder_layers"),
        num_heads=f.int("num_heads", to="num_heads"),
        head_dim=f.int("d_kv", 64, to="head_dim"),
        ffn_dim=f.int("d_ff", to="ffn_dim"),
        activation=HF_ACTIVATIONS[act],
        gated=len(parts) == 2,
        relative_buckets=f.int("relative_attention_num_buckets", 32, to="relative_buckets"),
        relative_max_distance=f.int("relative_attention_max_distance", 128, to="relative_max_distance"),
        norm_eps=f.float("layer_norm_epsilon", 1e-6),
        tie_embeddings=f.bool("tie_word_embeddings", True),
    )


def _bart(f: Fields) -> ArchConfig:
    from tfcli.presets.bart import BartConfig

    f.same("encoder_attention_heads", "decoder_attention_heads")
    f.same("encoder_ffn_dim", "decoder_ffn_dim")
    f.expect("normalize_before", False, "tfcli's BART is post-norm (mBART's pre-norm is not a preset)")
    f.expect("add_final_layer_norm", False, "tfcli's BART has no final layer norms")
    f.expect("tie_word_embeddings", True, "tfcli's BART ties the LM head to the shared embedding")
    return BartConfig(
        vocab_size=f.int("vocab_size", to="vocab_size"),
        d_model=f.int("d_model", to="d_model"),
        num_layers=f.int("encoder_layers", to="num_layers"),
        num_decoder_layers=f.int("decoder_layers", to="num_decoder_layers"),
        num_heads=f.int("encoder_attention_heads", to="num_heads"),
        ffn_dim=f.int("encoder_ffn_dim", to="ffn_dim"),
        max_positions=f.int("max_position_embeddings", 1024, to="max_positions"),
        activation=f.activation("activation_function", "gelu"),
    )


def _llama(f: Fields) -> ArchConfig:
    from tfcli.presets.llama import LlamaConfig

    f.expect("attention_bias", False, "tfcli's Llama has no biases")
    f.expect("mlp_bias", False, "tfcli's Llama has no biases")
    d, heads = f.int("hidden_size", to="d_model"), f.int("num_attention_heads", to="num_heads")
    if f.data.get("head_dim") is not None and heads and d % heads == 0:
        f.expect("head_dim", d // heads, "tfcli's Llama uses hidden_size / num_attention_heads")
    rope = f.data.get("rope_parameters") or {}  # transformers 5 moves rope_theta here
    theta = rope.get("rope_theta") if isinstance(rope, dict) else None
    return LlamaConfig(
        vocab_size=f.int("vocab_size", to="vocab_size"),
        d_model=d,
        num_layers=f.int("num_hidden_layers", to="num_layers"),
        num_heads=heads,
        num_kv_heads=f.int("num_key_value_heads", heads, to="num_kv_heads"),  # null means MHA
        ffn_dim=f.int("intermediate_size", to="ffn_dim"),
        max_positions=f.int("max_position_embeddings", 2048, to="max_positions"),
        activation=f.activation("hidden_act", "silu"),
        norm_eps=f.float("rms_norm_eps", 1e-6),
        rope_theta=float(theta) if theta else f.float("rope_theta", 10000.0),
        tie_embeddings=f.bool("tie_word_embeddings", False),
    )


def _mistral(f: Fields) -> ArchConfig:
    # Mistral is a Llama-style decoder (GQA, RoPE, RMSNorm, SwiGLU); its sliding window
    # limits what attention reads, not what it stores, so the parameters are the same
    f.note("sliding_window", "not modelled; attention is built dense (parameters unaffected, FLOPs at long lengths overstated)")
    return _llama(f)


# model_type → mapper. TODO(lead, after merging the vision branches): add "vit", "dinov2",
# "clip" (and "clip_text_model"), "sam" here, one function each, reading the field names
# of those families' config dataclasses.
HF_MAPPERS: dict[str, Callable[[Fields], ArchConfig]] = {
    "bert": _bert,
    "gpt2": _gpt2,
    "t5": _t5,
    "bart": _bart,
    "llama": _llama,
    "mistral": _mistral,
}


def _rename(message: str, names: dict[str, str]) -> str:
    for ours, theirs in names.items():
        message = message.replace(f"'{ours}'", f"'{theirs}'")
    return message


def config_from_hf(data: dict[str, Any], path: Path | str = "config.json") -> ArchConfig:
    """A transformers config dict → the tfcli config with the same parameters."""
    model_type = data.get("model_type")
    if model_type not in HF_MAPPERS:
        raise SpecError(
            f"{path}: Hugging Face model_type '{model_type}' is not supported; "
            f"supported: {', '.join(sorted(HF_MAPPERS))}"
        )
    fields = Fields(data, path, model_type)
    try:
        config = HF_MAPPERS[model_type](fields).validate()
    except SpecError as e:
        message = str(e)
        if message.startswith(str(path)):
            raise
        # a cross-field rule failed: say it in the file's own field names
        raise SpecError(f"{path}: {_rename(message, fields.names)}") from None
    for note in fields.notes:
        print(f"note: {path}: {note}", file=sys.stderr)
    return config
