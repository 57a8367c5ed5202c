"""Writes RGB-D frames in the ESAM / ScanNet export layout that perception/sources/rgbd_layouts.py reads back.

``color/N.jpg``, ``depth/N.png`` (uint16 millimetres, 0 = invalid), ``pose/N.txt`` (4x4 camera-to-world),
optional ``instance/N.png`` (instance ids), and ``intrinsic.txt`` (3x3 camera matrix of the colour image).
"""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np

from perception.io.atomic import ExportError

DEPTH_SCALE = 1000.0
"""Raw depth units per metre in ``depth/N.png``."""


def _imwrite(path: Path, image: np.ndarray, params: list[int] | None = None) -> None:
    if not cv2.imwrite(str(path), image, params or []):
        raise ExportError(f"cannot write {path}")


class EsamWriter:
    """Frames into ``folder`` (which must exist and should be a temporary one made atomic by the caller)."""

    def __init__(self, folder: str | os.PathLike[str], poses: bool = True, instances: bool = False,
                 jpeg_quality: int = 95):
        self.folder = Path(folder)
        self.jpeg_quality = jpeg_quality
        subs = ["color", "depth"] + (["pose"] if poses else []) + (["instance"] if instances else [])
        for sub in subs:
            (self.folder / sub).mkdir(exist_ok=True)

    def write_intrinsics(self, k: np.ndarray) -> None:
        """The 3x3 camera matrix of the colour image."""
        np.savetxt(self.folder / "intrinsic.txt", np.asarray(k, dtype=np.float64)[:3, :3], fmt="%.6f")

    def write_frame(self, n: int, image: np.ndarray, depth: np.ndarray | None, pose: np.ndarray | None = None,
                    instance: np.ndarray | None = None) -> None:
        """Frame ``n``: BGR uint8 image, depth float metres (None = all invalid), optional pose and instance ids."""
        _imwrite(self.folder / "color" / f"{n}.jpg", image, [cv2.IMWRITE_JPEG_QUALITY, self.jpeg_quality])
        d = np.zeros(image.shape[:2], np.float32) if depth is None else depth
        raw = np.clip(np.nan_to_num(d, nan=0.0, posinf=0.0, neginf=0.0) * DEPTH_SCALE + 0.5, 0, 65535).astype(np.uint16)
        _imwrite(self.folder / "depth" / f"{n}.png", raw)
        if pose is not None:
            np.savetxt(self.folder / "pose" / f"{n}.txt", pose, fmt="%.9f")
        if instance is not None:
            _imwrite(self.folder / "instance" / f"{n}.png", instance)
