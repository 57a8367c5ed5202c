"""Whole-folder atomic output: build a folder under a temporary name, then rename it into place."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from perception.types import InputError

COMPLETE_MARKER = "COMPLETE"


def is_complete(folder: Path) -> bool:
    """Whether ``folder`` was fully written (it holds the completeness marker)."""
    return (folder / COMPLETE_MARKER).is_file()


@contextlib.contextmanager
def atomic_folder(out_dir: str | os.PathLike[str], overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary sibling of ``out_dir`` to fill; on success it gets the marker and becomes ``out_dir``.

    A failed or killed generation leaves no ``out_dir`` (only a hidden ``.name.tmp-*`` folder at worst).
    If another writer finished ``out_dir`` first, its complete folder is kept and this one is discarded.
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and not overwrite:
        raise InputError(f"{out_dir} already exists (choose another folder or allow overwriting)")
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))
    try:
        yield tmp
        (tmp / COMPLETE_MARKER).write_text("ok\n", encoding="utf-8")
        tmp.chmod(0o755)  # mkdtemp made it private; the finished folder is an ordinary one
        if out_dir.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=out_dir.parent))
            os.replace(out_dir, old / "previous")
            shutil.rmtree(old, ignore_errors=True)
        try:
            os.rename(tmp, out_dir)
        except OSError:
            if not is_complete(out_dir):
                raise
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
