"""Atomic file writes: a temp file in the target folder, fsync, then rename over the target."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from perception.types import InputError


class ExportExistsError(InputError):
    """The export target exists and overwriting was not allowed."""


class ExportError(InputError):
    """An export could not be written (disk full, I/O error); any previous file is intact."""


def check_export_path(path: str | os.PathLike[str], overwrite: bool = True) -> Path:
    """Validate an export destination before any work is done; return it as a Path."""
    path = Path(path)
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise InputError(f"cannot write {path}: folder {parent} does not exist")
    if not os.access(parent, os.W_OK):
        raise InputError(f"cannot write {path}: folder {parent} is not writable")
    if path.is_dir():
        raise InputError(f"cannot write {path}: it is a folder")
    if path.exists() and not overwrite:
        raise ExportExistsError(f"{path} already exists (pass --overwrite to replace it)")
    return path


def _umask() -> int:
    """The process umask (reading it means setting it, so it is restored at once)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike[str], mode: str = "w", encoding: str | None = "utf-8") -> Iterator[IO]:
    """Open a temp file beside ``path``; on success it replaces ``path``, on error it is removed.

    An interrupted or failed write (disk full, Ctrl-C) leaves any previous ``path`` intact; an OSError
    while writing becomes an ExportError naming the file.
    """
    path = Path(path)
    check_export_path(path)
    binary = "b" in mode
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600 files; exports follow the user's umask
        with os.fdopen(fd, mode, encoding=None if binary else encoding) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise ExportError(f"cannot write {path}: {exc.strerror or exc} (any previous file is kept)") from exc
        raise


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` to ``path`` atomically."""
    with atomic_open(path, "w") as f:
        f.write(text)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_open(path, "wb") as f:
        f.write(data)
