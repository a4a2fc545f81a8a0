"""The shape of the code: no import cycle (lazy imports included), a leaf registry, torch-free
records. The family records are the unit: a family is one presets module."""

import ast
from pathlib import Path

import tfcli

ROOT = Path(tfcli.__file__).parent


def _imports() -> dict[str, set[str]]:
    """module → the tfcli modules it imports anywhere in its body (top level or inside functions)."""
    graph: dict[str, set[str]] = {}
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        name = ".".join(parts)
        deps: set[str] = set()
        tree = ast.parse(path.read_text())
        # imports under `if TYPE_CHECKING:` never run
        typing_only = {id(n) for node in ast.walk(tree)
                       if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING"
                       for n in ast.walk(node)}
        for node in ast.walk(tree):
            if id(node) in typing_only:
                continue
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 and node.module.startswith("tfcli"):
                deps.add(node.module)
                deps.update(f"{node.module}.{a.name}" for a in node.names)
            elif isinstance(node, ast.Import):
                deps.update(a.name for a in node.names if a.name.startswith("tfcli"))
        graph[name] = deps
    return {m: {d for d in deps if d in graph and d != m} for m, deps in graph.items()}


def _closure(graph, start):
    seen, todo = set(), [start]
    while todo:
        for d in graph.get(todo.pop(), ()):
            if d not in seen:
                seen.add(d)
                todo.append(d)
    return seen


def test_no_import_cycle():
    graph = _imports()
    cycles = sorted(m for m in graph if m in _closure(graph, m) and not m.endswith("__init__"))
    # a package importing its own submodules is not a cycle unless a submodule imports the package back
    assert cycles == [], cycles


def test_registry_is_a_leaf():
    graph = _imports()
    assert {d for d in _closure(graph, "tfcli.registry") if not d.startswith("tfcli.spec")} <= {"tfcli.errors"}


def test_records_import_no_torch():
    for path in (ROOT / "presets").glob("*.py"):
        tree = ast.parse(path.read_text())
        names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        names |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        assert not any(n == "torch" or n.startswith(("torch.", "tfcli.models", "tfcli.blocks")) for n in names), path


def test_every_record_module_is_loaded():
    """A new family is one new file in tfcli/presets: the package imports every module in it."""
    import importlib
    import pkgutil

    import tfcli.presets
    from tfcli.catalog import families

    for m in pkgutil.iter_modules(tfcli.presets.__path__):
        if not m.name.startswith("_"):
            module = importlib.import_module(f"tfcli.presets.{m.name}")
            assert module.FAMILY.name in families(), m.name
