"""One counter's answer as data, and how per-module op counts become categories."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from tfcli.analysis.analytic import CATEGORIES, Breakdown


@dataclass
class Count:
    """One method's answer, in MACs."""

    method: str
    total: int
    by_category: dict[str, int]
    by_operator: dict[str, int] = field(default_factory=dict)
    by_module: dict[str, int] = field(default_factory=dict)  # own MACs of each module path
    uncounted: dict[str, int] = field(default_factory=dict)  # op → calls with no handle
    elementwise: dict[str, int] = field(default_factory=dict)  # op → calls, not counted by convention
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return {
            "method": self.method,
            "macs": self.total,
            "flops": 2 * self.total,
            "macs_by_category": self.by_category,
            "macs_by_operator": self.by_operator,
            "uncounted_op_calls": self.uncounted,
            "elementwise_op_calls": self.elementwise,  # not counted, by convention
            "time_s": round(self.seconds, 3),  # how long this method took to count
        }


# -- attributing ops to categories --------------------------------------------------------


PROJ_OPS = {"linear", "addmm", "mm"}


def category_of(module_category: str, op: str) -> str:
    """A module's category (tfcli.spec.tally's one vocabulary) → the MAC category of its op."""
    if module_category == "attention":
        return "attn_proj" if op in PROJ_OPS else "attn_scores"
    return module_category if module_category in CATEGORIES else "other"


def own_counts(inclusive: dict[str, Counter], names: list[str]) -> dict[str, Counter]:
    """Inclusive per-module op counts → each module's own, minus its nearest counted
    descendants (a ModuleList is never called, so torch's counter has no row for it)."""
    present = [n for n in names if n in inclusive]
    have = set(present)
    children: dict[str, list[str]] = defaultdict(list)
    for n in present:
        if not n:
            continue
        parts = n.split(".")
        parent = next((p for p in (".".join(parts[:i]) for i in range(len(parts) - 1, 0, -1)) if p in have), "")
        children[parent].append(n)
    own: dict[str, Counter] = {}
    for n in present:
        c = Counter(inclusive[n])
        for ch in children.get(n, []):
            c.subtract(inclusive[ch])
        own[n] = +c
    return own


def categorise(model, own: dict[str, Counter], method: str, seconds: float,
               uncounted: dict[str, int], elementwise: dict[str, int]) -> Count:
    from tfcli.analysis.params import module_categories

    cats = module_categories(model)
    by_cat = dict.fromkeys(CATEGORIES, 0)
    by_op: Counter = Counter()
    by_module: dict[str, int] = {}
    for name, ops in own.items():
        for op, n in ops.items():
            n = int(n)
            by_cat[category_of(cats.get(name, "other"), op)] += n
            by_op[op] += n
        if ops:
            by_module[name] = int(sum(ops.values()))
    return Count(method, sum(by_cat.values()), by_cat, dict(by_op), by_module, uncounted, elementwise, seconds)


def from_breakdown(b: Breakdown, causal_half: bool) -> Count:
    cats = b.by_category(causal_half)
    return Count("analytic", sum(cats.values()), cats)
