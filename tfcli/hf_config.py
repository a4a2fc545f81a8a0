"""Hugging Face `config.json` → a tfcli spec. No torch.

`tfcli inspect path/to/config.json` works for any transformers config whose `model_type` a
family record maps (`Family.hf_mappers`). Each mapper reads the fields that change the
architecture, ignores the ones that don't (dropout, token ids, generation settings), builds
the class `architectures` names (task heads included) or refuses it, and refuses a value
tfcli cannot model with one line naming the field, so a count is never silently wrong.
This module holds what every mapper shares: typed reads with errors in the file's terms.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Any

import tfcli.presets  # noqa: F401 - importing the records registers every family's mappers
from tfcli.errors import SpecError
from tfcli.registry import HF_MAPPERS
from tfcli.spec import ArchConfig
from tfcli.spec.values import number_problem, short

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


class _Read(dict):
    """A config.json mapping that remembers which keys its mapper looked at."""

    def __init__(self, data: dict[str, Any]):
        super().__init__(data)
        self.read: set[str] = set()

    def get(self, key, default=None):
        self.read.add(key)
        return super().get(key, default)

    def __getitem__(self, key):
        self.read.add(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        self.read.add(key)
        return super().__contains__(key)


# fields that never change a model's shapes or FLOPs: ids, training and runtime settings
_UNREAD_OK = {
    "architectures", "model_type", "transformers_version", "torch_dtype", "dtype", "use_cache",
    "_name_or_path", "return_dict", "output_attentions", "output_hidden_states", "is_encoder_decoder",
    "problem_type", "task_specific_params", "tokenizer_class", "gradient_checkpointing", "label2id",
    "id2label", "num_labels", "finetuning_task", "prefix", "bad_words_ids", "auto_map", "quantization_config",
    "torchscript", "tie_encoder_decoder", "chunk_size_feed_forward", "pruned_heads", "use_bfloat16",
    "is_decoder", "add_cross_attention", "cross_attention_hidden_size", "tf_legacy_loss", "forced_bos_token_id",
    "forced_eos_token_id", "max_length", "min_length", "num_beams", "early_stopping", "no_repeat_ngram_size",
    "length_penalty", "temperature", "top_k", "top_p", "do_sample", "typical_p", "repetition_penalty",
    "num_return_sequences", "diversity_penalty", "num_beam_groups", "output_scores", "return_dict_in_generate",
    "remove_invalid_values", "exponential_decay_length_penalty", "suppress_tokens", "begin_suppress_tokens",
    "encoder_no_repeat_ngram_size", "use_return_dict", "output_router_logits", "router_aux_loss_coef",
    "pretraining_tp", "attn_implementation", "classifier_dropout", "summary_type", "summary_use_proj",
    "summary_activation", "summary_proj_to_labels", "summary_first_dropout", "model_max_length",
}


def _unread_matters(key: str) -> bool:
    """A field tfcli did not read that could change the architecture (worth saying)."""
    k = key.lower()
    harmless = ("dropout", "_token_id", "token_ids", "initializer", "init_", "_std", "_pdrop", "jitter", "layerdrop",
                "drop_path", "aux_loss", "seq_aux", "fusion", "in_fp32", "skip_bias", "slow_but_exact", "cache_",
                "interpolate_", "out_features", "out_indices", "stage_names", "reshape_hidden", "output_past",
                "_config_dict", "ep_size", "n_ctx")
    return key not in _UNREAD_OK and not key.startswith("_") and not any(h in k for h in harmless)


class Fields:
    """Typed reads from one config.json; every error names the file and the HF field."""

    ACTIVATIONS = HF_ACTIVATIONS

    def __init__(self, data: dict[str, Any], path: Path | str, model_type: str, prefix: str = ""):
        self.data = data if isinstance(data, _Read) else _Read(data)
        self.path, self.model_type, self.prefix = path, model_type, prefix
        self.names: dict[str, str] = {}  # tfcli field → the HF field it came from, for errors
        self.notes: list[str] = []
        self.subs: list[Fields] = []

    def fail(self, field: str, message: str) -> SpecError:
        return SpecError(f"{self.path}: {self.model_type} config field '{self.prefix}{field}' {message}")

    def sub(self, field: str) -> "Fields":
        """A nested config (CLIP's text_config, SAM's vision_config); absent or null = all defaults."""
        value = self.data.get(field)
        if value is None and isinstance(self.data.get(f"{field}_dict"), dict):
            value = self.data[f"{field}_dict"]  # transformers 4.1x wrote `text_config_dict`
        if value is None:
            value = {}
        if not isinstance(value, dict):
            raise self.fail(field, f"must be an object, got {value!r}")
        sub = Fields(value, self.path, self.model_type, f"{self.prefix}{field}.")
        sub.notes = self.notes
        self.subs.append(sub)
        return sub

    def unread(self) -> list[str]:
        """Fields of this file (and its nested configs) that no mapper line looked at."""
        out = [self.prefix + k for k in self.data if k not in self.data.read and _unread_matters(k)]
        for sub in self.subs:
            out += sub.unread()
        return out

    def validated(self, config: ArchConfig) -> ArchConfig:
        """Validate a nested config here, so a cross-field error names this config's fields."""
        try:
            return config.validate()
        except SpecError as e:
            raise SpecError(f"{self.path}: {_rename(str(e), self.names)}") from None

    def int(self, field: str, default: int | None = None, *, to: str | None = None, zero_ok: bool = False) -> int:
        value = self.data.get(field, default)
        if value is None:
            if default is None and field not in self.data:
                raise self.fail(field, "is missing")
            value = default
        integral = isinstance(value, int) or (isinstance(value, float) and math.isfinite(value) and value.is_integer())
        if isinstance(value, bool) or not integral:
            raise self.fail(field, f"must be an integer, got {short(value)}")
        problem = number_problem(to or field, int(value), zero_ok=zero_ok)  # tfcli.spec.values' policy
        if problem:
            raise self.fail(field, problem)
        if to:
            self.names[to] = self.prefix + field
        return int(value)

    def square(self, field: str, default: int, *, to: str) -> int:
        """image_size / patch_size: an integer or a square [h, w] pair."""
        value = self.data.get(field)
        if not isinstance(value, (list, tuple)):
            return self.int(field, default, to=to)
        if len(value) != 2 or value[0] != value[1]:
            raise self.fail(field, f"= {short(list(value))} is not modelled (tfcli builds square images and patches)")
        one = Fields({field: value[0]}, self.path, self.model_type, self.prefix)
        one.names = self.names
        return one.int(field, to=to)

    def int_list(self, field: str, default: tuple[int, ...], *, to: str) -> tuple[int, ...]:
        value = self.data.get(field, default)
        if value is None:
            value = default
        if not isinstance(value, (list, tuple)) or not all(
            isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in value
        ):
            raise self.fail(field, f"must be a list of layer indexes, got {short(value)}")
        self.names[to] = self.prefix + field
        return tuple(value)

    def float(self, field: str, default: float, *, to: str | None = None) -> float:
        value = self.data.get(field, default)
        if value is None:
            value = default
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(field, f"must be a positive number, got {short(value)}")
        problem = number_problem(to or field, float(value))
        if problem:
            raise self.fail(field, problem)
        if to:
            self.names[to] = self.prefix + field
        return float(value)

    def bool(self, field: str, default: bool) -> bool:
        value = self.data.get(field, default)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise self.fail(field, f"must be true or false, got {short(value)}")
        return value

    def activation(self, field: str, default: str, *, to: str = "activation") -> str:
        value = self.data.get(field, default) or default
        if not isinstance(value, str) or value not in HF_ACTIVATIONS:
            raise self.fail(field, f"{short(value)} is not modelled; tfcli knows {', '.join(HF_ACTIVATIONS)}")
        self.names[to] = self.prefix + field
        return HF_ACTIVATIONS[value]

    def expect(self, field: str, allowed: Any, why: str) -> None:
        """A field whose other values would change the parameters in ways tfcli does not model."""
        if field in self.data and self.data[field] is not None and self.data[field] != allowed:
            raise self.fail(field, f"= {short(self.data[field])} is not modelled ({why})")

    def same(self, a: str, b: str) -> None:
        if a in self.data and b in self.data and self.data[a] != self.data[b]:
            raise self.fail(b, f"({short(self.data[b])}) must equal '{a}' ({short(self.data[a])}); tfcli builds one value for both")

    def architecture(self) -> str | None:
        """The class the file names (`architectures[0]`), if it names one."""
        names = self.data.get("architectures")
        return names[0] if isinstance(names, list) and names and isinstance(names[0], str) else None

    def architecture_is(self, *classes: str) -> None:
        """Refuse a file naming a class this mapper does not build (another head, another model)."""
        arch = self.architecture()
        if arch is not None and arch not in classes:
            raise self.fail("architectures", f"{short(arch)} is not modelled; tfcli builds {' or '.join(classes)} for "
                            f"model_type '{self.model_type}'")

    def head_from_architecture(self, prefix: str, heads: dict[str, str], default: str) -> str:
        """The task head `architectures` names: `<prefix><suffix>` → heads[suffix]; none named → default."""
        arch = self.architecture()
        if arch is None:
            return default
        suffix = arch[len(prefix):] if arch.startswith(prefix) else None
        if suffix not in heads:
            known = ", ".join(prefix + s for s in heads)
            raise self.fail("architectures", f"{short(arch)} is not modelled; tfcli builds {known}")
        return heads[suffix]

    def num_labels(self) -> int:
        """Classes of a classification head: id2label's size, else num_labels, else transformers' 2."""
        labels = self.data.get("id2label")
        if isinstance(labels, dict) and labels:
            self.names["num_labels"] = "id2label"
            return len(labels)
        return self.int("num_labels", 2, to="num_labels")

    def note(self, field: str, message: str) -> None:
        if self.data.get(field) is not None:
            self.notes.append(f"{self.prefix}{field}={short(self.data[field])}: {message}")


def _rename(message: str, names: dict[str, str]) -> str:
    for ours, theirs in names.items():
        message = message.replace(f"'{ours}'", f"'{theirs}'")
    return message


def config_from_hf(data: dict[str, Any], path: Path | str = "config.json") -> ArchConfig:
    """A transformers config dict → the tfcli config with the same parameters."""
    model_type = data.get("model_type")
    if not isinstance(model_type, str) or model_type not in HF_MAPPERS:
        raise SpecError(
            f"{path}: Hugging Face model_type {short(model_type)} is not supported; "
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
    unread = fields.unread()
    if unread:  # never silently ignored: if one of these changes the architecture, tfcli does not model it
        fields.notes.append(f"not read by tfcli's {model_type} mapper: {', '.join(unread)}")
    for note in fields.notes:
        print(f"note: {path}: {note}", file=sys.stderr)
    return config
