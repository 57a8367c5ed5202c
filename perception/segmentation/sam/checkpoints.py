"""Official SAM checkpoints: their URLs, their place in the cache, and a verified download on demand."""

from __future__ import annotations

import os
from pathlib import Path

from perception import download as downloader
from perception.paths import cache_dir as cache_folder
from perception.types import InputError

BASE_URL = "https://dl.fbaipublicfiles.com/segment_anything/"
# File names carry the first hex digits of the file's SHA-256 (the torch.hub convention).
OFFICIAL = {
    "vit_b": "sam_vit_b_01ec64.pth",
    "vit_l": "sam_vit_l_0b3195.pth",
    "vit_h": "sam_vit_h_4b8939.pth",
}


def cache_dir(create: bool = True) -> Path:
    """The SAM checkpoint folder of the one cache (``$PERCEPTION_STUDIO_CACHE/sam``)."""
    return cache_folder("sam", create)


def hash_prefix(filename: str) -> str:
    """The SHA-256 prefix a torch.hub-style file name ends with (``name_<hex>.pth``)."""
    prefix = downloader.hash_prefix(filename)
    if prefix is None:
        raise InputError(f"checkpoint file name {filename} does not end with a SHA-256 prefix (name_<hex>.pth)")
    return prefix


def download(url: str, folder: str | os.PathLike[str] | None = None, progress: downloader.Progress | None = None) -> Path:
    """Fetch ``url`` into ``folder`` (default: the cache) unless already there; verify the name's SHA-256 prefix."""
    name = url.rstrip("/").rsplit("/", 1)[-1]
    prefix = hash_prefix(name)
    dst = (Path(folder) if folder is not None else cache_dir()) / name
    if dst.is_file():
        return dst
    return downloader.download(url, dst, sha256=prefix, progress=progress)


def resolve_checkpoint(variant: str, checkpoint: str | os.PathLike[str] | None = None, allow_download: bool = True,
                       base_url: str = BASE_URL) -> Path:
    """A local checkpoint for ``variant``: the given path, the cached official file, or a fresh download."""
    if checkpoint is not None:
        path = Path(checkpoint).expanduser()
        if not path.is_file():
            raise InputError(f"SAM checkpoint {path} does not exist")
        return path
    if variant not in OFFICIAL:
        raise InputError(f"unknown SAM variant '{variant}'; choose one of {', '.join(OFFICIAL)}")
    return downloader.cached_download(base_url + OFFICIAL[variant], cache_dir(), allow_download,
                                      what=f"the SAM {variant} checkpoint")
