"""Every family record, loaded; a preset name, alias, spec file or config.json resolved to a
validated spec. No torch."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

import tfcli.presets  # noqa: F401 - importing the records registers every family
from tfcli.errors import SpecError, UnknownArchitectureError
from tfcli.registry import ALIASES, FAMILIES, PRESETS, Family, Preset
from tfcli.spec import ArchConfig, ResolvedSpec, config_from_dict, load_file, parse_override
from tfcli.spec.files import looks_like_file


def families() -> dict[str, Family]:
    return FAMILIES


def presets() -> dict[str, Preset]:
    return PRESETS


def family_of(config: ArchConfig) -> Family:
    return FAMILIES[config.family]


def lookup(name: str) -> Preset:
    key = name.strip().lower()
    if key in ALIASES:
        return PRESETS[ALIASES[key]]
    candidates = list(PRESETS) + [a for p in PRESETS.values() for a in p.aliases]
    close = difflib.get_close_matches(key, [c.lower() for c in candidates], n=1, cutoff=0.6)
    hint = f"; did you mean {ALIASES[close[0]]}?" if close else "; run 'tfcli list' to see them"
    raise UnknownArchitectureError(f"unknown architecture '{name}'{hint}")


def complete_names(incomplete: str) -> list[str]:
    """Shell completion: preset names and aliases starting with what was typed."""
    low = incomplete.lower()
    names = sorted(PRESETS) + sorted(a for p in PRESETS.values() for a in p.aliases)
    return [n for n in names if n.lower().startswith(low)]


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
            f"(families: {', '.join(sorted(FAMILIES))})"
        )
    if family_name not in FAMILIES:
        close = difflib.get_close_matches(str(family_name), list(FAMILIES), n=1)
        hint = f"; did you mean {close[0]}?" if close else f"; known: {', '.join(sorted(FAMILIES))}"
        raise SpecError(f"{path}: unknown family '{family_name}'{hint}")
    try:
        return config_from_dict(FAMILIES[family_name].config_cls, data), "file"
    except SpecError as e:
        raise SpecError(f"{path}: {e}") from None


def resolve(target: str, overrides: list[str] | None = None) -> ResolvedSpec:
    """A preset name, alias or file path, plus `key=value` overrides → validated spec."""
    parsed: dict[str, Any] = dict(parse_override(o) for o in (overrides or []))
    if looks_like_file(target):
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
