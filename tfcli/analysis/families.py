"""The study notes' encoder / decoder table, made from real models.

Class and components come from each family's usual preset built on the meta device;
objective, typical tasks and the reasoning from each family record's curated facts.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class FamilyRow:
    family: str
    title: str
    preset: str  # what was built
    kind: str  # derived from the built structure (or published, for marked rows)
    declared: str  # what the family registered, for the consistency check
    components: list[str]
    positions: list[str]
    objective: str
    tasks: str
    why: str
    marked: bool = False  # architecture not public; class is the published one
    note: str = ""
    part_of: str = ""

    def to_dict(self) -> dict:
        d = asdict(self)
        d["declared_kind"] = d.pop("declared")
        return d


@dataclass
class FamiliesTable:
    lang: str
    rows: list[FamilyRow] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"lang": self.lang, "rows": [r.to_dict() for r in self.rows]}


_BUILT: dict[str, tuple] = {}


def _built(config, key: str = ""):
    """Classification and structure of a built model; memoised per preset name."""
    if key and key in _BUILT:
        return _BUILT[key]
    from tfcli.analysis.classify import classify
    from tfcli.analysis.structure import read_structure
    from tfcli.build import build_model

    model = build_model(config, device="meta")
    result = classify(model), read_structure(model)
    if key:
        _BUILT[key] = result
    return result


def families_table(lang: str = "en") -> FamiliesTable:
    from tfcli.vocab import UNPUBLISHED, class_name, component_names, say
    from tfcli.catalog import families, presets

    fams, pres = families(), presets()
    rows: list[FamilyRow] = []
    for name, fam in fams.items():
        facts = fam.facts
        own = [p for p in pres.values() if p.family == name]
        if facts and facts.preset in pres:
            preset_name, config = facts.preset, pres[facts.preset].config()
        elif own:
            preset_name, config = own[0].name, own[0].config()
        elif facts:  # a registered part with no preset of its own (CLIP's text tower): defaults
            preset_name, config = f"{name} defaults", fam.config_cls().validate()
        else:
            continue
        cls, s = _built(config, preset_name)
        kind = cls.kind
        rows.append(
            FamilyRow(
                family=name,
                title=facts.title if facts else name,
                preset=preset_name,
                kind=class_name(kind, lang),
                declared=fam.kind,
                components=component_names(s.components(), lang),
                positions=s.positions,
                objective=say(facts.objective, lang) if facts else "",
                tasks=say(facts.tasks, lang) if facts else "",
                why=say(facts.why, lang) if facts else fam.description,
                part_of=facts.part_of if facts else "",
            )
        )
    # parts (CLIP's text tower, SD's U-Net and VAE) right after the system they belong to
    ordered: list[FamilyRow] = []
    present = {r.family for r in rows}
    for r in rows:
        if r.part_of and r.part_of in present:
            continue
        ordered.append(r)
        ordered += [p for p in rows if p.part_of == r.family]
    for sysf in UNPUBLISHED:
        if sysf.stand_in not in pres:
            continue
        _, s = _built(pres[sysf.stand_in].config(), sysf.stand_in)
        ordered.append(
            FamilyRow(
                family="",
                title=sysf.title,
                preset=sysf.stand_in,
                kind=class_name(sysf.published_class, lang),
                declared=sysf.published_class,
                components=component_names(s.components(), lang),
                positions=s.positions,
                objective=say(sysf.objective, lang),
                tasks=say(sysf.tasks, lang),
                why=say(sysf.why, lang),
                marked=True,
                note=say(sysf.source, lang),
            )
        )
    return FamiliesTable(lang, ordered)
