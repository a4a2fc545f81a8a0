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

    def __init__(self, data: dict[str, Any], path: Path | str, model_type: str, prefix: str = ""):
        self.data, self.path, self.model_type, self.prefix = data, path, model_type, prefix
        self.names: dict[str, str] = {}  # tfcli field → the HF field it came from, for errors
        self.notes: list[str] = []

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
        return sub

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
        if isinstance(value, bool) or not isinstance(value, (int, float)) or int(value) != value:
            raise self.fail(field, f"must be an integer, got {value!r}")
        if value < 0 or (value == 0 and not zero_ok):
            raise self.fail(field, f"must be positive, got {value!r}")
        if to:
            self.names[to] = self.prefix + field
        return int(value)

    def square(self, field: str, default: int, *, to: str) -> int:
        """image_size / patch_size: an integer or a square [h, w] pair."""
        value = self.data.get(field)
        if not isinstance(value, (list, tuple)):
            return self.int(field, default, to=to)
        if len(value) != 2 or value[0] != value[1]:
            raise self.fail(field, f"= {list(value)!r} is not modelled (tfcli builds square images and patches)")
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
            raise self.fail(field, f"must be a list of layer indexes, got {value!r}")
        self.names[to] = self.prefix + field
        return tuple(value)

    def float(self, field: str, default: float, *, to: str | None = None) -> float:
        value = self.data.get(field, default)
        if value is None:
            value = default
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            raise self.fail(field, f"must be a positive number, got {value!r}")
        if to:
            self.names[to] = self.prefix + field
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
        self.names[to] = self.prefix + field
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
            self.notes.append(f"{self.prefix}{field}={self.data[field]!r}: {message}")


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


def _architecture(f: Fields) -> str | None:
    names = f.data.get("architectures")
    return names[0] if isinstance(names, list) and names and isinstance(names[0], str) else None


def _vit(f: Fields) -> ArchConfig:
    from tfcli.presets.vit import ViTConfig

    f.expect("qkv_bias", True, "tfcli's ViT has q/k/v biases")
    f.expect("pooler_act", "tanh", "tfcli's pooler is dense + tanh")
    d = f.int("hidden_size", 768, to="d_model")
    f.expect("pooler_output_size", d, "tfcli's pooler keeps the hidden width")
    # Which model the file means: the one `architectures` names; without it, a file with
    # labels is the classifier (ViTForImageClassification: 1 head, no pooler) and one
    # without is the bare backbone (ViTModel: no head, the pooler)
    arch, labels = _architecture(f), f.data.get("id2label")
    if arch not in (None, "ViTModel", "ViTForImageClassification"):
        raise f.fail("architectures", f"'{arch}' is not modelled; tfcli builds ViTModel or ViTForImageClassification")
    classify = arch == "ViTForImageClassification" or (arch is None and isinstance(labels, dict) and bool(labels))
    if classify:
        classes = len(labels) if isinstance(labels, dict) and labels else f.int("num_labels", 2, zero_ok=True)
        f.names["num_classes"] = "id2label"
        f.notes.append(
            f"built as ViTForImageClassification ({classes}-class head, no pooler); "
            "--set num_classes=0 pooler=true gives the ViTModel backbone"
        )
    else:
        classes = 0
    return ViTConfig(
        image_size=f.square("image_size", 224, to="image_size"),
        patch_size=f.square("patch_size", 16, to="patch_size"),
        in_channels=f.int("num_channels", 3, to="in_channels"),
        d_model=d,
        num_layers=f.int("num_hidden_layers", 12, to="num_layers"),
        num_heads=f.int("num_attention_heads", 12, to="num_heads"),
        ffn_dim=f.int("intermediate_size", 3072, to="ffn_dim"),
        num_classes=classes,
        pooler=not classify,
        activation=f.activation("hidden_act", "gelu"),
        norm_eps=f.float("layer_norm_eps", 1e-12),
    )


def _dinov2(f: Fields, registers: bool = False) -> ArchConfig:
    from tfcli.presets.dinov2 import DINOv2Config

    f.expect("qkv_bias", True, "tfcli's DINOv2 has q/k/v biases")
    f.expect("num_channels", 3, "tfcli's DINOv2 reads RGB images")
    f.expect("use_mask_token", True, "tfcli's DINOv2 always carries the mask token")
    swiglu = f.bool("use_swiglu_ffn", False)
    return DINOv2Config(
        # transformers' defaults, not the checkpoints' (published files spell out 518 and 14)
        image_size=f.square("image_size", 224, to="image_size"),
        patch_size=f.square("patch_size", 16 if registers else 14, to="patch_size"),
        d_model=f.int("hidden_size", 768, to="d_model"),
        num_layers=f.int("num_hidden_layers", 12, to="num_layers"),
        num_heads=f.int("num_attention_heads", 12, to="num_heads"),
        mlp_ratio=f.float("mlp_ratio", 4.0),
        swiglu=swiglu,
        num_registers=f.int("num_register_tokens", 4, zero_ok=True, to="num_registers") if registers else 0,
        # SwiGLU gates with silu whatever hidden_act says
        activation="silu" if swiglu else f.activation("hidden_act", "gelu"),
        norm_eps=f.float("layer_norm_eps", 1e-6),
    )


def _clip_text(f: Fields) -> ArchConfig:
    from tfcli.presets.clip import CLIPTextConfig

    # transformers' CLIPTextConfig defaults (= openai/clip-vit-base-patch32's text tower);
    # published files often leave them out
    return f.validated(CLIPTextConfig(
        vocab_size=f.int("vocab_size", 49408, to="vocab_size"),
        d_model=f.int("hidden_size", 512, to="d_model"),
        num_layers=f.int("num_hidden_layers", 12, to="num_layers"),
        num_heads=f.int("num_attention_heads", 8, to="num_heads"),
        ffn_dim=f.int("intermediate_size", 2048, to="ffn_dim"),
        max_positions=f.int("max_position_embeddings", 77, to="max_positions"),
        activation=f.activation("hidden_act", "quick_gelu"),
        norm_eps=f.float("layer_norm_eps", 1e-5),
    ))


def _clip(f: Fields) -> ArchConfig:
    from tfcli.presets.clip import CLIPConfig, CLIPVisionConfig

    v = f.sub("vision_config")
    v.expect("num_channels", 3, "tfcli's CLIP reads RGB images")
    vision = v.validated(CLIPVisionConfig(
        d_model=v.int("hidden_size", 768, to="d_model"),
        num_layers=v.int("num_hidden_layers", 12, to="num_layers"),
        num_heads=v.int("num_attention_heads", 12, to="num_heads"),
        ffn_dim=v.int("intermediate_size", 3072, to="ffn_dim"),
        image_size=v.square("image_size", 224, to="image_size"),
        patch_size=v.square("patch_size", 32, to="patch_size"),
        activation=v.activation("hidden_act", "quick_gelu"),
        norm_eps=v.float("layer_norm_eps", 1e-5),
    ))
    # CLIPModel sizes both projections from the top-level projection_dim; the towers' own
    # projection_dim is read only by CLIPTextModelWithProjection / CLIPVisionModelWithProjection
    return CLIPConfig(
        text=_clip_text(f.sub("text_config")),
        vision=vision,
        projection_dim=f.int("projection_dim", 512, to="projection_dim"),
        logit_scale_init=f.float("logit_scale_init_value", 2.6592),
    )


def _sam(f: Fields) -> ArchConfig:
    from tfcli.presets.sam import SamConfig

    v, p, m = f.sub("vision_config"), f.sub("prompt_encoder_config"), f.sub("mask_decoder_config")
    for fields, field, value, why in [
        (v, "num_channels", 3, "tfcli's SAM reads RGB images"),
        (v, "qkv_bias", True, "tfcli's SAM encoder has q/k/v biases"),
        (v, "use_abs_pos", True, "tfcli's SAM encoder has absolute positions"),
        (v, "use_rel_pos", True, "tfcli's SAM encoder has relative-position tables"),
        (v, "hidden_act", "gelu", "tfcli's SAM encoder MLP is GELU"),
        (p, "num_point_embeddings", 4, "tfcli's prompt encoder has 4 point kinds"),
        (p, "hidden_act", "gelu", "tfcli's mask downscaler uses GELU"),
        (m, "hidden_act", "relu", "tfcli's two-way transformer MLP is ReLU"),
    ]:
        fields.expect(field, value, why)
    d = v.int("hidden_size", 768, to="d_model")
    channels = v.int("output_channels", 256, to="embed_dim")
    # one width runs through the neck, the prompt encoder and the mask decoder
    for fields, field in [(p, "hidden_size"), (m, "hidden_size"), (v, "num_pos_feats")]:
        want = channels // 2 if field == "num_pos_feats" else channels
        if fields.data.get(field, want) != want:
            raise fields.fail(field, f"({fields.data[field]}) must be {want} to match vision_config.output_channels ({channels})")
    mlp_dim = v.data.get("mlp_dim")
    config = SamConfig(
        d_model=d,
        num_layers=v.int("num_hidden_layers", 12, to="num_layers"),
        num_heads=v.int("num_attention_heads", 12, to="num_heads"),
        mlp_dim=v.int("mlp_dim", to="mlp_dim") if mlp_dim is not None else int(d * v.float("mlp_ratio", 4.0)),
        global_attn_indexes=v.int_list("global_attn_indexes", (2, 5, 8, 11), to="global_attn_indexes"),
        window_size=v.int("window_size", 14, to="window_size"),
        image_size=v.square("image_size", 1024, to="image_size"),
        patch_size=v.square("patch_size", 16, to="patch_size"),
        embed_dim=channels,
        mask_in_chans=p.int("mask_input_channels", 16, to="mask_in_chans"),
        decoder_depth=m.int("num_hidden_layers", 2, to="decoder_depth"),
        decoder_heads=m.int("num_attention_heads", 8, to="decoder_heads"),
        decoder_mlp_dim=m.int("mlp_dim", 2048, to="decoder_mlp_dim"),
        attn_downsample_rate=m.int("attention_downsample_rate", 2, to="attn_downsample_rate"),
        num_multimask_outputs=m.int("num_multimask_outputs", 3, to="num_multimask_outputs"),
        iou_head_depth=m.int("iou_head_depth", 3, to="iou_head_depth"),
        iou_head_hidden=m.int("iou_head_hidden_dim", 256, to="iou_head_hidden"),
        norm_eps=v.float("layer_norm_eps", 1e-6),
    )
    for part in (v, p, m):  # tfcli's SAM field names are unique across the three parts
        f.names.update(part.names)
    return config


# model_type → mapper
HF_MAPPERS: dict[str, Callable[[Fields], ArchConfig]] = {
    "bert": _bert,
    "gpt2": _gpt2,
    "t5": _t5,
    "bart": _bart,
    "llama": _llama,
    "mistral": _mistral,
    "vit": _vit,
    "dinov2": _dinov2,
    "dinov2_with_registers": lambda f: _dinov2(f, registers=True),
    "clip": _clip,
    "clip_text_model": _clip_text,
    "sam": _sam,
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
