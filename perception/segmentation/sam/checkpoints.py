"""Official SAM checkpoints: where they live, the per-user cache, and a verified download on demand."""

from __future__ import annotations

import os
from pathlib import Path

from perception.types import InputError

BASE_URL = "https://dl.fbaipublicfiles.com/segment_anything/"
# File names carry the first hex digits of the file's SHA-256 (the torch.hub convention).
OFFICIAL = {
    "vit_b": "sam_vit_b_01ec64.pth",
    "vit_l": "sam_vit_l_0b3195.pth",
    "vit_h": "sam_vit_h_4b8939.pth",
}


def cache_dir() -> Path:
    """Per-user checkpoint folder: $PERCEPTION_CACHE/sam, else $XDG_CACHE_HOME or ~/.cache, /perception-studio/sam."""
    root = os.environ.get("PERCEPTION_CACHE") or Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "perception-studio"
    return Path(root) / "sam"


def hash_prefix(filename: str) -> str:
    """The SHA-256 prefix a torch.hub-style file name ends with (``name_<hex>.pth``)."""
    stem = Path(filename).stem
    prefix = stem.rsplit("_", 1)[-1]
    if not prefix or any(c not in "0123456789abcdef" for c in prefix):
        raise InputError(f"checkpoint file name {filename} does not end with a SHA-256 prefix (name_<hex>.pth)")
    return prefix


def download(url: str, folder: str | os.PathLike[str] | None = None, progress: bool = True) -> Path:
    """Fetch ``url`` into ``folder`` (default: the cache) unless already there; verify the name's SHA-256 prefix.

    The file is written to a temporary name and moved into place only after the checksum matches, so a
    truncated or corrupt download never lands in the cache.
    """
    import torch.hub

    folder = Path(folder) if folder is not None else cache_dir()
    name = url.rstrip("/").rsplit("/", 1)[-1]
    prefix = hash_prefix(name)
    dst = folder / name
    if dst.is_file():
        return dst
    folder.mkdir(parents=True, exist_ok=True)
    try:
        torch.hub.download_url_to_file(url, str(dst), hash_prefix=prefix, progress=progress)
    except RuntimeError as exc:
        raise InputError(f"download of {url} failed its checksum ({exc}); nothing was cached") from None
    except OSError as exc:
        raise InputError(f"cannot download {url}: {exc}") from None
    return dst


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
    cached = cache_dir() / OFFICIAL[variant]
    if cached.is_file():
        return cached
    if not allow_download:
        raise InputError(f"no SAM {variant} checkpoint at {cached}; pass --sam-checkpoint PATH or allow the download")
    return download(base_url + OFFICIAL[variant])
