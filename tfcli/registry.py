"""The registry: the data types of a family record and the dictionaries they land in. A leaf:
it imports only the spec layer. Loading the records and resolving names, files and
config.json files to a spec is tfcli.catalog's job."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from typing import Any, Callable

from tfcli.spec import ArchConfig


class Modality(str, enum.Enum):
    TEXT = "text"
    VISION = "vision"
    IMAGE = "image"
    IMAGE_TEXT = "image+text"
    IMAGE_PROMPTS = "image+prompts"
    LATENTS_TEXT = "image latents + text"
    TEXT_TO_IMAGE = "text → image"
    AUDIO = "audio"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Text:
    """A curated sentence in English and in the study notes' Chinese."""

    en: str
    zh: str

    def get(self, lang: str) -> str:
        return self.zh if lang.startswith("zh") else self.en


@dataclass(frozen=True)
class FamilyFacts:
    """What the module tree cannot say, typed by hand: how people name the model, its
    pre-training objective, typical tasks and why the design fits."""

    title: str
    objective: Text
    tasks: Text
    why: Text
    preset: str = ""  # the usual preset to build; "" = the family's first preset
    part_of: str = ""  # a part of a bigger system (shown after it)


@dataclass(frozen=True)
class Preset:
    """A published checkpoint's configuration and its reference numbers, which the parity
    tests read: `params` from the reference implementation, `macs` at the default input."""

    name: str
    make: Callable[[], ArchConfig]
    params: int
    macs: int
    reference: str  # the implementation whose parameter count this preset matches
    aliases: tuple[str, ...] = ()
    description: str = ""
    slow: bool = False  # too big for the counters in the fast test run
    family: str = ""  # filled by register()

    def config(self) -> ArchConfig:
        return self.make().validate()


# a Hugging Face config.json mapper: (Fields over the file) -> config; see tfcli.hf_config
HFMapper = Callable[[Any], ArchConfig]


@dataclass(frozen=True)
class Family:
    """One family record: config class, the module that builds it, presets, facts, HF mappers."""

    name: str
    config_cls: type[ArchConfig]
    builder: str  # "module:Class" building an nn.Module from the config
    kind: str  # declared class; tests check it against the class derived from the built model
    modality: Modality
    description: str
    presets: tuple[Preset, ...] = ()
    facts: FamilyFacts | None = None
    hf_mappers: dict[str, HFMapper] = field(default_factory=dict)  # model_type -> mapper


FAMILIES: dict[str, Family] = {}
PRESETS: dict[str, Preset] = {}
ALIASES: dict[str, str] = {}  # lower-cased alias -> preset name
HF_MAPPERS: dict[str, HFMapper] = {}  # model_type -> mapper


def register(family: Family) -> Family:
    """Add a family record, its presets, aliases and config.json mappers."""
    if family.name in FAMILIES:
        raise ValueError(f"family {family.name} registered twice")
    family.config_cls.family = family.name
    FAMILIES[family.name] = family
    for preset in family.presets:
        if preset.name in PRESETS:
            raise ValueError(f"preset {preset.name} registered twice")
        preset = replace(preset, family=family.name)
        PRESETS[preset.name] = preset
        for alias in (preset.name, *preset.aliases):
            key = alias.lower()
            if key in ALIASES and ALIASES[key] != preset.name:
                raise ValueError(f"alias {alias} names both {ALIASES[key]} and {preset.name}")
            ALIASES[key] = preset.name
    for model_type, mapper in family.hf_mappers.items():
        if model_type in HF_MAPPERS:
            raise ValueError(f"model_type {model_type} mapped twice")
        HF_MAPPERS[model_type] = mapper
    return family

