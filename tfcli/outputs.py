"""What tfcli writes (-o, --plot, --csv, --json): a file's path checked before any model is
built or timed, its bytes written to a temporary file renamed into place, so nothing is
half-written; and the one JSON envelope and CSV form every command shares (docs/json.md)."""

from __future__ import annotations

import math
import os
import tempfile
from pathlib import Path

from tfcli.errors import UsageError


def check_output_path(path: str | Path, option: str, suffixes: tuple[str, ...]) -> Path:
    """Refuse, in one line, a path tfcli could not write: a wrong suffix, a missing or
    read-only directory, a directory or device in the file's place, a place like /proc."""
    target = Path(path)
    if target.suffix.lower() not in suffixes:
        raise UsageError(f"{option} writes {', '.join(suffixes)}; give a file ending in one of them, not '{target.name}'")
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.exists():
        raise UsageError(f"cannot write {target}: directory {parent} does not exist")
    if not parent.is_dir():
        raise UsageError(f"cannot write {target}: {parent} is not a directory")
    if target.is_dir():
        raise UsageError(f"cannot write {target}: it is a directory")
    if target.exists() and not target.is_file():
        raise UsageError(f"cannot write {target}: it is not a regular file")
    if not os.access(parent, os.W_OK):
        raise UsageError(f"cannot write {target}: directory {parent} is not writable")
    try:  # the only sure test: make (and remove) a file where the output will go
        with tempfile.NamedTemporaryFile(dir=parent, prefix=".tfcli-", suffix=".tmp"):
            pass
    except OSError as e:
        raise UsageError(f"cannot write {target}: cannot create a file in {parent} ({e.strerror or e})") from None
    return target


def write_atomic(path: Path, data: bytes | str) -> None:
    """Write beside `path`, then rename: a reader never sees half a file, a failure leaves none."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    parent = path.parent if str(path.parent) else Path(".")
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(dir=parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            f.write(raw)
        os.replace(tmp, path)
        tmp = None
    except OSError as e:
        raise UsageError(f"cannot write {path}: {e.strerror or e}") from None
    finally:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)


# -- JSON and CSV: one schema for every command (docs/json.md) ----------------------

SCHEMA_VERSION = 1  # raised when a key is renamed or removed, or its meaning or unit changes


def json_document(command: str, data: dict) -> dict:
    """`data` under the envelope every command's --json starts with."""
    return {"schema_version": SCHEMA_VERSION, "command": command, **data}


def json_text(data) -> str:
    """Strict JSON: numbers stay numbers, a non-finite float becomes null (JSON has no NaN),
    and anything that is not plain data is a bug to fix, not a string to hide it."""
    import json

    return json.dumps(_finite(data), indent=2, allow_nan=False)


def _finite(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def flat_row(record: dict, prefix: str = "") -> dict:
    """One CSV row from a JSON record: nested objects become dotted columns
    (`settings.dtype`), lists of plain values one cell joined by ';'."""
    row: dict = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            row.update(flat_row(value, f"{name}."))
        elif isinstance(value, (list, tuple)):
            row[name] = ";".join(_cell(v) for v in value)
        else:
            row[name] = _cell(value)
    return row


def _cell(value) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"  # as JSON writes them
    if isinstance(value, (dict, list, tuple)):  # a list of records (compare's heads): compact JSON
        import json

        return json.dumps(_finite(value), separators=(",", ":"), allow_nan=False, ensure_ascii=False)
    return str(value)  # repr precision for floats: the CSV holds the JSON's numbers


def write_csv(path: Path, records: list[dict]) -> None:
    """One row per record (flattened by flat_row) to `path`: the columns in first-seen
    order, a missing cell empty; written whole or not at all (write_atomic)."""
    import csv
    import io

    rows = [flat_row(r) for r in records]
    columns = list(dict.fromkeys(k for row in rows for k in row))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, restval="", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    write_atomic(path, buffer.getvalue())
