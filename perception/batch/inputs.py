"""Which recordings a batch covers: globs, list files and plain specs, each given a stable output name."""

from __future__ import annotations

import glob
import hashlib
import os
import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from perception.batch.manifest import RESERVED_NAMES
from perception.types import InputError

LIST_SUFFIXES = (".txt", ".lst", ".list")
MAX_LIST_DEPTH = 16
MAX_KEY_CHARS = 100  # folder names stay far below the 255-byte limit of file systems
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _read_list(path: Path, within: tuple[str, ...]) -> list[str]:
    """Non-blank, non-comment lines of a list file; relative paths are taken from the file's folder."""
    real = os.path.realpath(path)
    if real in within:
        raise InputError(f"list file {path} includes itself (through {' -> '.join(within[-3:])})")
    if len(within) >= MAX_LIST_DEPTH:
        raise InputError(f"list file {path}: lists nested more than {MAX_LIST_DEPTH} deep")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError(f"list file {path} is not UTF-8 text") from None
    except OSError as exc:
        raise InputError(f"cannot read list file {path}: {exc.strerror}") from None
    specs = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            specs.extend(_expand(line, path.parent, (*within, real)))
    return specs


def _expand(item: str, base: Path, within: tuple[str, ...] = ()) -> list[str]:
    """One ``--inputs`` item (or list-file line) as recording specs."""
    if not item.strip():
        raise InputError("an empty recording path was given")
    if glob.has_magic(item):
        pattern = item if Path(item).expanduser().is_absolute() else str(base / item)
        matches = sorted(glob.glob(str(Path(pattern).expanduser()), recursive=True))
        if not matches:
            raise InputError(f"no recordings match '{item}'")
        return [os.path.abspath(m) for m in matches]
    path = Path(item).expanduser()
    if not path.is_absolute():
        path = base / path
    if "\0" in item:
        raise InputError(f"input {item[:60]!r} contains a NUL character")
    if path.is_file() and path.suffix.lower() in LIST_SUFFIXES:
        return _read_list(path, within)
    if path.exists():
        return [os.path.abspath(path)]
    if ":" not in item:
        raise InputError(f"recording not found: {path}")
    return [item]  # a non-path spec such as synthetic:NAME


def resolve_inputs(items: Sequence[str], base: str | Path = ".") -> list[str]:
    """Recording specs from globs, list files (.txt/.lst/.list, one path a line) and paths, de-duplicated in order.

    Paths become absolute (links are kept, not resolved) so workers in any folder or node open the same file.
    """
    specs: list[str] = []
    for item in items:
        specs.extend(_expand(item, Path(base)))
    specs = list(dict.fromkeys(specs))
    if not specs:
        raise InputError("no recordings given")
    return specs


def _stem(spec: str) -> str:
    """A safe folder name from a spec: its stem, at most MAX_KEY_CHARS, never one of the batch's own file names."""
    name = Path(spec).stem if Path(spec).suffix else Path(spec).name
    name = _UNSAFE.sub("_", name).strip("._")[:MAX_KEY_CHARS].strip("._") or "recording"
    return f"{name}-recording" if name.lower() in RESERVED_NAMES else name


def recording_keys(specs: Sequence[str]) -> dict[str, str]:
    """A folder name per spec: its file stem, with a short hash of the spec added where stems collide."""
    counts = Counter(_stem(s) for s in specs)
    return {s: _stem(s) if counts[_stem(s)] == 1 else f"{_stem(s)}-{hashlib.sha1(s.encode()).hexdigest()[:8]}"
            for s in specs}
