"""Every output path of one command checked together before any work: writable, distinct, never an input."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from perception.io.atomic import check_export_path
from perception.types import InputError

PathLike = str | os.PathLike[str]


def same_file(a: PathLike, b: PathLike) -> bool:
    """Whether two paths name one file (through links, '..' and hard links)."""
    if os.path.realpath(a) == os.path.realpath(b):
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def is_within(inner: PathLike, outer: PathLike) -> bool:
    """Whether ``inner`` is ``outer`` or lies somewhere below it (links resolved)."""
    inner_r, outer_r = Path(os.path.realpath(inner)), Path(os.path.realpath(outer))
    return inner_r == outer_r or outer_r in inner_r.parents


def check_output_paths(outputs: Mapping[str, PathLike | None], inputs: Iterable[PathLike | None] = (),
                       overwrite: bool = False) -> dict[str, Path]:
    """Validate the outputs (flag -> path) as one set; returns the ones given.

    Each must be writable and, without ``overwrite``, absent; no two may name one file; none may be an
    input file (an input folder is already refused as a folder).
    """
    given = {flag: Path(p) for flag, p in outputs.items() if p}
    for flag, path in given.items():
        if not path.name or len(os.fsencode(path.name)) > 255:
            raise InputError(f"{flag}: '{str(path)[:80]}' is not a usable file name")
        try:
            check_export_path(path, overwrite=overwrite)
        except InputError as exc:
            raise type(exc)(f"{flag}: {exc}") from None
    flags = list(given)
    for i, a in enumerate(flags):
        for b in flags[i + 1:]:
            if same_file(given[a], given[b]):
                raise InputError(f"{a} and {b} name the same file {given[a]}; give each output its own path")
    for source in (Path(p) for p in inputs if p and os.path.exists(p)):
        for flag, path in given.items():
            if same_file(path, source):
                raise InputError(f"{flag} {path} is an input of this command; writing it would destroy the input")
    return given
