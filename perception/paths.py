"""The one per-user cache folder: ``$PERCEPTION_STUDIO_CACHE``, default ``~/.cache/perception-studio``.

Sub-folders: ``synthetic/`` (generated scenes), ``sam/`` (SAM checkpoints), ``torchvision/`` (detector weights).
"""

from __future__ import annotations

import os
from pathlib import Path

from perception.types import InputError

CACHE_ENV = "PERCEPTION_STUDIO_CACHE"


def cache_root() -> Path:
    """The cache folder (not created)."""
    root = os.environ.get(CACHE_ENV)
    return Path(root).expanduser() if root else Path.home() / ".cache" / "perception-studio"


def cache_dir(name: str, create: bool = True) -> Path:
    """The cache sub-folder ``name``, created unless ``create`` is False; InputError if it cannot be."""
    folder = cache_root() / name
    if create:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(f"cannot create the cache folder {folder} ({exc.strerror}); set {CACHE_ENV}") from None
    return folder
