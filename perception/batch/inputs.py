"""Which recordings a batch covers: globs, list files and plain specs, each given a stable output name."""

from __future__ import annotations

import glob
import hashlib
import os
import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from perception.types import InputError

LIST_SUFFIXES = (".txt", ".lst", ".list")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _read_list(path: Path) -> list[str]:
    """Non-blank, non-comment lines of a list file; relative paths are taken from the file's folder."""
    specs = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            specs.extend(_expand(line, path.parent))
    return specs


def _expand(item: str, base: Path) -> list[str]:
    """One ``--inputs`` item (or list-file line) as recording specs."""
    if glob.has_magic(item):
        pattern = item if Path(item).expanduser().is_absolute() else str(base / item)
        matches = sorted(glob.glob(str(Path(pattern).expanduser()), recursive=True))
        if not matches:
            raise InputError(f"no recordings match '{item}'")
        return [os.path.abspath(m) for m in matches]
    path = Path(item).expanduser()
    if not path.is_absolute():
        path = base / path
    if path.is_file() and path.suffix.lower() in LIST_SUFFIXES:
        return _read_list(path)
    if path.exists() or ":" not in item:
        return [os.path.abspath(path)]
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
    name = Path(spec).stem if Path(spec).suffix else Path(spec).name
    return _UNSAFE.sub("_", name).strip("._") or "recording"


def recording_keys(specs: Sequence[str]) -> dict[str, str]:
    """A folder name per spec: its file stem, with a short hash of the spec added where stems collide."""
    counts = Counter(_stem(s) for s in specs)
    return {s: _stem(s) if counts[_stem(s)] == 1 else f"{_stem(s)}-{hashlib.sha1(s.encode()).hexdigest()[:8]}"
            for s in specs}
