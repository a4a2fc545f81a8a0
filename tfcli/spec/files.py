"""The one path by which user text becomes data: spec files, config.json files and --set values.

Limits first, so no input can hang tfcli or fill its memory: regular files only (a FIFO
would block, /dev/zero never ends), at most MAX_FILE_BYTES read, YAML through the safe
loader with a small alias budget (no "billion laughs"), JSON and YAML nested at most
MAX_DEPTH deep. Every problem is a SpecError naming the file.
"""

from __future__ import annotations

import errno
import json
import os
import re
import stat
from pathlib import Path
from typing import Any

from tfcli.errors import SpecError
from tfcli.spec.values import clip, short

MAX_FILE_BYTES = 8 * 1024 * 1024  # the largest real config.json is a few hundred KiB
MAX_ALIASES = 20  # YAML aliases one file may use
MAX_VALUES = 1_000_000  # values in one file, aliases expanded
MAX_DEPTH = 64  # nesting of mappings and lists
SUFFIXES = (".yaml", ".yml", ".toml", ".json")


def looks_like_file(target: str) -> bool:
    """A spec file is named by its suffix or by a path; a bare word is a preset name even when
    a directory of that name is here (a folder called gpt2 must not shadow the preset)."""
    p = Path(target)
    if p.suffix.lower() in SUFFIXES:
        return True
    return (p.exists() or p.is_symlink()) and not p.is_dir()


def read_text(path: Path) -> str:
    """The file's text, refused in one line if it is not a regular, readable, small file."""
    try:
        info = os.stat(path)  # follows symlinks: a loop raises ELOOP
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise SpecError(f"{path}: a symbolic link that loops back on itself") from None
        if e.errno == errno.ENOENT:
            if os.path.islink(path):
                raise SpecError(f"{path}: a symbolic link to a file that does not exist") from None
            raise SpecError(f"no such file: {path}") from None
        raise SpecError(f"cannot read {path}: {e.strerror}") from None
    if stat.S_ISDIR(info.st_mode):
        raise SpecError(f"{path} is a directory; give a .yaml, .toml or .json file")
    if not stat.S_ISREG(info.st_mode):
        raise SpecError(f"{path} is not a regular file (a device, pipe or socket); give a .yaml, .toml or .json file")
    if info.st_size > MAX_FILE_BYTES:
        raise SpecError(f"{path} is {info.st_size:,} bytes; spec and config files are read up to {MAX_FILE_BYTES:,}")
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_FILE_BYTES + 1)
    except OSError as e:
        raise SpecError(f"cannot read {path}: {e.strerror or e}") from None
    if len(raw) > MAX_FILE_BYTES:  # grew while we looked
        raise SpecError(f"{path} is over {MAX_FILE_BYTES:,} bytes; spec and config files are read up to that")
    return raw.decode("utf-8", errors="replace")


def _yaml_loader():
    import yaml

    class BoundedLoader(yaml.SafeLoader):
        """SafeLoader with an alias budget: each alias re-reads a node, so a few lines of
        nested aliases can expand to gigabytes."""

        aliases = 0

        def compose_node(self, parent, index):
            if self.check_event(yaml.AliasEvent):
                self.aliases += 1
                if self.aliases > MAX_ALIASES:
                    raise yaml.YAMLError(f"more than {MAX_ALIASES} aliases (&anchor/*alias); write the values out")
            return super().compose_node(parent, index)

    return BoundedLoader


def _check_size(value: Any, where: str) -> None:
    """Nesting and value count, aliases expanded (a few aliases can stand for millions)."""
    stack, seen = [(value, 1)], 0
    while stack:
        v, d = stack.pop()
        seen += 1
        if d > MAX_DEPTH:
            raise SpecError(f"{where}: nested more than {MAX_DEPTH} levels deep")
        if seen > MAX_VALUES:
            raise SpecError(f"{where}: more than {MAX_VALUES:,} values; spec and config files are far smaller")
        if isinstance(v, dict):
            stack.extend((x, d + 1) for x in v.values())
        elif isinstance(v, list):
            stack.extend((x, d + 1) for x in v)


def parse_text(text: str, suffix: str, where: str) -> Any:
    try:
        if suffix == ".json":
            data = json.loads(text)
        elif suffix == ".toml":
            import tomllib

            data = tomllib.loads(text)
        else:
            import yaml

            data = yaml.load(text, Loader=_yaml_loader())  # noqa: S506 - a SafeLoader subclass
    except RecursionError:
        raise SpecError(f"{where}: nested more than {MAX_DEPTH} levels deep") from None
    except Exception as e:  # each parser has its own error class
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        mark = getattr(e, "problem_mark", None)  # YAML says where
        if mark is not None:
            first = f"{getattr(e, 'problem', None) or first} (line {mark.line + 1}, column {mark.column + 1})"
        raise SpecError(f"{where}: cannot parse {suffix[1:].upper()}: {clip(first, 200)}") from None
    _check_size(data, where)
    return data


def load_file(path: Path) -> dict[str, Any]:
    """Read a YAML, TOML or JSON file into a dict; one clear error for anything wrong."""
    suffix = path.suffix.lower()
    text = read_text(path)  # missing, unreadable, not a regular file: said before the suffix
    if suffix not in SUFFIXES:
        raise SpecError(f"{path}: unknown file type '{suffix or '(none)'}'; use .yaml, .yml, .toml or .json")
    data = parse_text(text, suffix, str(path))
    if not isinstance(data, dict):
        raise SpecError(f"{path}: expected a mapping of fields at the top level")
    bad = [k for k in data if not isinstance(k, str)]
    if bad:
        raise SpecError(f"{path}: field names must be strings, got {short(bad[0])}")
    return data


DECIMAL = re.compile(r"[+-]?\d[\d_]*")
NUMBER = re.compile(r"[+-]?(\d[\d_]*\.?\d*|\.\d+)([eE][+-]?\d+)?")


def parse_override(text: str) -> tuple[str, Any]:
    """`key=value` with the value read as YAML, so 6, 1e-5, true and [2, 5] get their types.

    Two YAML 1.1 surprises are undone: 010 is ten (not octal eight) and 1e-5 is a number
    (YAML 1.1 wants 1.0e-5)."""
    if "=" not in text:
        raise SpecError(f"--set expects key=value, got '{clip(text)}' (e.g. --set num_layers=6)")
    key, raw = text.split("=", 1)
    key, value_text = key.strip(), raw.strip()
    if not key:
        raise SpecError(f"--set expects key=value, got '{clip(text)}'")
    if DECIMAL.fullmatch(value_text):
        return key, int(value_text.replace("_", ""))
    if NUMBER.fullmatch(value_text):
        return key, float(value_text.replace("_", ""))
    if not value_text:
        return key, raw
    try:
        value = parse_text(value_text, ".yaml", f"--set {key}")
    except SpecError:
        value = raw
    return key, value
