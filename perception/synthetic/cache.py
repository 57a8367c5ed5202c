"""Per-user cache of generated synthetic scenes, including the bundled sample (the app's default source).

Folder: ``$PERCEPTION_STUDIO_CACHE/synthetic`` or ``~/.cache/perception-studio/synthetic``. Each scene is
generated once into a temporary folder and renamed into place with a completeness marker, so a killed
generation never leaves a half scene; later calls reuse the complete folder.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path

from perception import paths
from perception.synthetic.folder import is_complete
from perception.synthetic.rgbd_scene import generate_rgbd_scene, scene_name
from perception.types import InputError

CACHE_ENV = paths.CACHE_ENV
STALE_TEMP_S = 3600.0
SAMPLE_OPTIONS = {"seed": 0, "n_frames": 90, "width": 640, "height": 480, "n_objects": 10, "moving": True,
                  "heavy_occlusion": False}


def cache_dir() -> Path:
    """The folder holding generated synthetic scenes (created if missing)."""
    return paths.cache_dir("synthetic")


def _remove_stale_temps(folder: Path, name: str) -> None:
    """Delete temporary folders of ``name`` left by generations killed more than an hour ago."""
    for tmp in folder.glob(f".{name}.*-*"):
        if time.time() - tmp.stat().st_mtime > STALE_TEMP_S:
            shutil.rmtree(tmp, ignore_errors=True)


def cached_scene(name: str, generate: Callable[[Path, bool], Path]) -> Path:
    """The complete cached scene ``name``, calling ``generate(path, overwrite)`` first if it is missing."""
    folder = cache_dir()
    path = folder / name
    if is_complete(path):
        return path
    _remove_stale_temps(folder, name)
    try:
        generate(path, path.exists())
    except InputError:
        if not is_complete(path):  # else another process finished the same scene first
            raise
    return path


def sample_path() -> Path:
    """The bundled sample: a 90-frame 640x480 synthetic RGB-D room with moving objects (generated on first use)."""
    return cached_scene(scene_name(**SAMPLE_OPTIONS),
                        lambda path, overwrite: generate_rgbd_scene(path, overwrite=overwrite, **SAMPLE_OPTIONS))
