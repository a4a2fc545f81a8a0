"""Files tfcli writes (-o, --plot): the path checked before any model is built or timed,
and the bytes written to a temporary file renamed into place, so nothing is half-written."""

from __future__ import annotations

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
