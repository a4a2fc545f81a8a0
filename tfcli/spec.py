"""Architecture specs: the config dataclass base, validation, file loading, --set overrides.

No torch here: `tfcli list` and completion read specs without importing it.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from tfcli.errors import SpecError

ACTIVATIONS = ("relu", "gelu", "gelu_tanh", "quick_gelu", "silu")
NORMS = ("layer", "rms")


@dataclass
class InputShape:
    """The input a command feeds a model; None means the family's default."""

    batch: int = 1
    seq_len: int | None = None
    tgt_len: int | None = None
    image_size: int | None = None
    prompt: str | None = None  # SAM's prompts, e.g. "points=2,box" (--prompt)


@dataclass
class ArchConfig:
    """Base of every family's config dataclass.

    Subclasses declare their hyper-parameters as typed fields, a closed-form
    `num_params()` and extra cross-field rules in `check()`.
    """

    family: ClassVar[str] = ""
    # fields that may be zero (counts of optional things, e.g. register tokens)
    zero_ok: ClassVar[tuple[str, ...]] = ()

    def check(self) -> None:
        """Cross-field rules; raise SpecError(field, message)."""

    def num_params(self) -> int:  # pragma: no cover - every family overrides
        raise NotImplementedError

    def default_input(self) -> InputShape:
        return InputShape(seq_len=128)

    # -- generic machinery ---------------------------------------------------

    def validate(self) -> "ArchConfig":
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            values = value if isinstance(value, (list, tuple)) else [value]
            for v in values:
                if isinstance(v, bool) or not isinstance(v, (int, float)):
                    continue
                if v < 0 or (v == 0 and f.name not in self.zero_ok):
                    raise SpecError(
                        f"{self.family}: field '{f.name}' must be positive, got {value!r}"
                    )
        self.check()
        return self

    def to_dict(self) -> dict[str, Any]:
        return {"family": self.family, **dataclasses.asdict(self)}

    def replace(self, **changes: Any) -> "ArchConfig":
        return config_from_dict(type(self), changes, base=self)


def require(cond: bool, family: str, message: str) -> None:
    if not cond:
        raise SpecError(f"{family}: {message}")


def divides(family: str, num: str, num_value: int, den: str, den_value: int) -> None:
    require(
        num_value % den_value == 0,
        family,
        f"'{num}' ({num_value}) must be divisible by '{den}' ({den_value}); "
        f"pick {den} among {_divisors(num_value)}",
    )


def one_of(family: str, name: str, value: str, allowed: tuple[str, ...]) -> None:
    require(value in allowed, family, f"'{name}' must be one of {', '.join(allowed)}; got '{value}'")


def _divisors(n: int) -> str:
    ds = [d for d in range(1, min(n, 128) + 1) if n % d == 0]
    return ", ".join(map(str, ds[-8:]))


# -- typed construction from plain data --------------------------------------


def _coerce(family: str, name: str, tp: Any, value: Any) -> Any:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return _coerce(family, name, inner[0], value)
    if origin in (tuple, list):
        if not isinstance(value, (list, tuple)):
            raise SpecError(f"{family}: field '{name}' must be a list, got {value!r}")
        item = args[0] if args else Any
        items = [_coerce(family, name, item, v) for v in value]
        return tuple(items) if origin is tuple else items
    if tp is bool:
        if isinstance(value, bool):
            return value
        raise SpecError(f"{family}: field '{name}' must be true or false, got {value!r}")
    if tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        raise SpecError(f"{family}: field '{name}' must be an integer, got {value!r}")
    if tp is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        raise SpecError(f"{family}: field '{name}' must be a number, got {value!r}")
    if tp is str:
        if isinstance(value, str):
            return value
        raise SpecError(f"{family}: field '{name}' must be a string, got {value!r}")
    if isinstance(tp, type) and issubclass(tp, ArchConfig):
        if isinstance(value, tp):
            return value
        if not isinstance(value, dict):
            raise SpecError(f"{family}: field '{name}' must be a mapping of {tp.family} fields")
        return config_from_dict(tp, value)
    return value


def config_from_dict(
    cls: type[ArchConfig], data: dict[str, Any], base: ArchConfig | None = None
) -> ArchConfig:
    """Build and validate `cls` from `data`, starting from `base` when given."""
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    values = dataclasses.asdict(base) if base is not None else {}
    if base is not None:  # keep nested configs as objects, not dicts
        values = {n: getattr(base, n) for n in names}
    nested: dict[str, dict[str, Any]] = {}
    for key, value in data.items():
        key = key.replace("-", "_")
        if "." in key:  # nested override: text.num_layers=6
            head, rest = key.split(".", 1)
            if head in names and isinstance(values.get(head), ArchConfig):
                # gathered per part and applied together, so fields that must change
                # together (a UNet's channels and block kinds) can
                nested.setdefault(head, {})[rest] = value
                continue
        if key not in names:
            hint = difflib.get_close_matches(key, names, n=1)
            fix = f"; did you mean {hint[0]}?" if hint else f"; known fields: {', '.join(names)}"
            raise SpecError(f"{cls.family}: unknown field '{key}'{fix}")
        values[key] = _coerce(cls.family, key, hints[key], value)
    for head, changes in nested.items():
        values[head] = values[head].replace(**changes)
    try:
        cfg = cls(**values)
    except TypeError as e:
        missing = [n for n in names if n not in values]
        raise SpecError(f"{cls.family}: missing field(s) {', '.join(missing)}") from e
    return cfg.validate()


# -- files and overrides ------------------------------------------------------


def parse_override(text: str) -> tuple[str, Any]:
    """`key=value` with the value read as YAML, so 6, 1e-5, true and [2, 5] get their types."""
    import yaml

    if "=" not in text:
        raise SpecError(f"--set expects key=value, got '{text}' (e.g. --set num_layers=6)")
    key, raw = text.split("=", 1)
    key = key.strip()
    if not key:
        raise SpecError(f"--set expects key=value, got '{text}'")
    try:
        value = yaml.safe_load(raw) if raw.strip() else raw
    except yaml.YAMLError:
        value = raw
    return key, value


def load_file(path: Path) -> dict[str, Any]:
    """Read a YAML, TOML or JSON file into a dict; one clear error for anything wrong."""
    if not path.exists():
        raise SpecError(f"no such file: {path}")
    if path.is_dir():
        raise SpecError(f"{path} is a directory; give a .yaml, .toml or .json file")
    text = path.read_text(encoding="utf-8", errors="replace")
    suffix = path.suffix.lower()
    try:
        if suffix == ".json":
            data = json.loads(text)
        elif suffix == ".toml":
            import tomllib

            data = tomllib.loads(text)
        elif suffix in (".yaml", ".yml"):
            import yaml

            data = yaml.safe_load(text)
        else:
            raise SpecError(f"{path}: unknown file type '{suffix}'; use .yaml, .yml, .toml or .json")
    except SpecError:
        raise
    except Exception as e:  # each parser has its own error class
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        mark = getattr(e, "problem_mark", None)  # YAML says where
        if mark is not None:
            first = f"{getattr(e, 'problem', None) or first} (line {mark.line + 1}, column {mark.column + 1})"
        raise SpecError(f"{path}: cannot parse {suffix[1:].upper()}: {first}") from e
    if not isinstance(data, dict):
        raise SpecError(f"{path}: expected a mapping of fields at the top level")
    return data


@dataclass
class ResolvedSpec:
    """A config plus where it came from, as the commands show it."""

    name: str
    config: ArchConfig
    source: str  # "preset", "file", "hf-config"
    overrides: dict[str, Any] = field(default_factory=dict)

    @property
    def family(self) -> str:
        return self.config.family
