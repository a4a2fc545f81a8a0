"""Families, named presets and aliases; resolving a name or file to a spec. No torch."""

from __future__ import annotations

import difflib
import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from tfcli.errors import SpecError, UnknownArchitectureError
from tfcli.spec import ArchConfig, ResolvedSpec, config_from_dict, load_file, parse_override


@dataclass(frozen=True)
class Family:
    name: str
    config_cls: type[ArchConfig]
    builder: str  # "module:function" building an nn.Module from the config
    kind: str  # declared class; tests check it against the class derived from the built model
    modality: str
    description: str


@dataclass(frozen=True)
class Preset:
    name: str
    family: str
    make: Callable[[], ArchConfig]
    aliases: tuple[str, ...]
    reference: str  # the implementation whose parameter count this preset matches
    description: str = ""

    def config(self) -> ArchConfig:
        return self.make().validate()


FAMILIES: dict[str, Family] = {}
PRESETS: dict[str, Preset] = {}
_ALIASES: dict[str, str] = {}  # lower-cased alias -> preset name
_loaded = False


def register_family(
    name: str, config_cls: type[ArchConfig], builder: str, kind: str, modality: str, description: str
) -> None:
    config_cls.family = name
    FAMILIES[name] = Family(name, config_cls, builder, kind, modality, description)


def register_preset(
    name: str,
    family: str,
    make: Callable[[], ArchConfig],
    aliases: tuple[str, ...] = (),
    reference: str = "",
    description: str = "",
) -> None:
    if name in PRESETS:
        raise ValueError(f"preset {name} registered twice")
    PRESETS[name] = Preset(name, family, make, tuple(aliases), reference, description)
    for alias in (name, *aliases):
        key = alias.lower()
        if key in _ALIASES and _ALIASES[key] != name:
            raise ValueError(f"alias {alias} names both {_ALIASES[key]} and {name}")
        _ALIASES[key] = name


def load_all() -> None:
    """Import every family's preset table (cheap: dataclasses and numbers)."""
    global _loaded
    if _loaded:
        return
    from tfcli.presets import FAMILY_MODULES

    for module in FAMILY_MODULES:
        importlib.import_module(f"tfcli.presets.{module}")
    _loaded = True


def families() -> dict[str, Family]:
    load_all()
    return FAMILIES


def presets() -> dict[str, Preset]:
    load_all()
    return PRESETS


def lookup(name: str) -> Preset:
    load_all()
    key = name.strip().lower()
    if key in _ALIASES:
        return PRESETS[_ALIASES[key]]
    candidates = list(PRESETS) + [a for p in PRESETS.values() for a in p.aliases]
    close = difflib.get_close_matches(key, [c.lower() for c in candidates], n=1, cutoff=0.6)
    hint = f"; did you mean {_ALIASES[close[0]]}?" if close else "; run 'tfcli list' to see them"
    raise UnknownArchitectureError(f"unknown architecture '{name}'{hint}")


def complete_names(incomplete: str) -> list[str]:
    """Shell completion: preset names and aliases starting with what was typed."""
    load_all()
    low = incomplete.lower()
    names = sorted(PRESETS) + sorted(a for p in PRESETS.values() for a in p.aliases)
    return [n for n in names if n.lower().startswith(low)]


def _looks_like_file(target: str) -> bool:
    return Path(target).suffix.lower() in (".yaml", ".yml", ".toml", ".json") or Path(target).exists()


def _config_from_file(path: Path) -> tuple[ArchConfig, str]:
    data = load_file(path)
    if "model_type" in data and "family" not in data:
        from tfcli.hf_config import config_from_hf

        return config_from_hf(data, path), "hf-config"
    data = dict(data)
    base_name = data.pop("base", None)
    family_name = data.pop("family", None)
    data.pop("name", None)
    if base_name is not None:
        base = lookup(str(base_name)).config()
        if family_name is not None and family_name != base.family:
            raise SpecError(
                f"{path}: base '{base_name}' is a {base.family} model but family is '{family_name}'"
            )
        try:
            return base.replace(**data), "file"
        except SpecError as e:
            raise SpecError(f"{path}: {e}") from None
    if family_name is None:
        raise SpecError(
            f"{path}: say which model this is with 'family: <name>' or 'base: <preset>' "
            f"(families: {', '.join(sorted(families()))})"
        )
    fams = families()
    if family_name not in fams:
        close = difflib.get_close_matches(str(family_name), list(fams), n=1)
        hint = f"; did you mean {close[0]}?" if close else f"; known: {', '.join(sorted(fams))}"
        raise SpecError(f"{path}: unknown family '{family_name}'{hint}")
    try:
        return config_from_dict(fams[family_name].config_cls, data), "file"
    except SpecError as e:
        raise SpecError(f"{path}: {e}") from None


def resolve(target: str, overrides: list[str] | None = None) -> ResolvedSpec:
    """A preset name, alias or file path, plus `key=value` overrides → validated spec."""
    parsed: dict[str, Any] = dict(parse_override(o) for o in (overrides or []))
    if _looks_like_file(target):
        path = Path(target)
        config, source = _config_from_file(path)
        name = path.stem
    else:
        preset = lookup(target)
        config, source, name = preset.config(), "preset", preset.name
    if parsed:
        config = config.replace(**parsed)
        name = f"{name} (modified)"
    return ResolvedSpec(name=name, config=config, source=source, overrides=parsed)


def family_of(config: ArchConfig) -> Family:
    return families()[config.family]
