"""RGB-D folders (ESAM/ScanNet export, TUM RGB-D, 7-Scenes) as one seekable source, layout auto-detected.

Depth is delivered as float32 metres with 0 for invalid pixels; poses are 4x4 camera-to-world.
Missing files, non-finite poses and bad intrinsics are detected when the folder is opened (see
``rgbd_layouts``); a frame whose depth is not the colour image's size raises InputError when read.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from perception.sources.base import IndexedSource
from perception.sources.images import imread
from perception.sources.rgbd_layouts import PARSERS, Pinhole, detect_layout
from perception.types import FramePacket, InputError, Intrinsics, SourceInfo

IntrinsicsLike = Intrinsics | Sequence[float] | np.ndarray


def _as_pinhole(k: IntrinsicsLike) -> Pinhole:
    """(fx, fy, cx, cy) from an Intrinsics, a 4-sequence or a 3x3 matrix."""
    if isinstance(k, Intrinsics):
        return k.fx, k.fy, k.cx, k.cy
    a = np.asarray(k, dtype=np.float64)
    if a.shape == (4,):
        return tuple(float(v) for v in a)  # type: ignore[return-value]
    if a.ndim == 2 and a.shape[0] >= 3 and a.shape[1] >= 3:
        return float(a[0, 0]), float(a[1, 1]), float(a[0, 2]), float(a[1, 2])
    raise InputError(f"intrinsics must be Intrinsics, (fx, fy, cx, cy) or a 3x3 matrix, got shape {a.shape}")


class RGBDFolderSource(IndexedSource):
    """Colour + metric depth + pose per frame from an RGB-D folder; ``layout`` overrides auto-detection.

    ``intrinsics`` overrides the folder's camera model (needed for TUM, whose folders store none);
    ``skip_invalid_poses`` drops frames with a non-finite pose instead of refusing the folder.
    """

    def __init__(self, path: str | os.PathLike[str], intrinsics: IntrinsicsLike | None = None,
                 fps: float | None = None, layout: str | None = None, skip_invalid_poses: bool = False):
        path = Path(path)
        if not path.is_dir():
            raise InputError(f"RGB-D folder not found: {path}")
        layout = layout or detect_layout(path)
        if layout not in PARSERS:
            raise InputError(f"{path} is not an RGB-D folder of a known layout (ESAM: color/ depth/ pose/ "
                             "intrinsic.txt; TUM: rgb.txt depth.txt; 7-Scenes: frame-*.color.jpg)"
                             if layout is None else f"unknown RGB-D layout {layout!r}; use one of {sorted(PARSERS)}")
        if fps is not None and fps <= 0:
            raise InputError(f"fps must be positive, got {fps}")
        self.index = PARSERS[layout](path, fps, None if intrinsics is None else _as_pinhole(intrinsics),
                                     skip_invalid_poses)
        self.path = path
        first = self._color(0)
        h, w = first.shape[:2]
        try:
            self.intrinsics = Intrinsics(*self.index.intrinsics, width=w, height=h)
        except InputError as exc:
            raise InputError(f"{path}: bad camera intrinsics: {exc}") from None
        self.info = SourceInfo(name=path.name, kind=f"rgbd-{layout}", fps=float(self.index.fps), width=w, height=h,
                               length=len(self.index.colors), has_depth=True)
        self._next = 0

    @property
    def layout(self) -> str:
        """'esam', 'tum' or '7scenes'."""
        return self.index.layout

    def _color(self, i: int) -> np.ndarray:
        img = imread(self.index.colors[i])
        if img is None:
            raise InputError(f"cannot decode colour image {self.index.colors[i]}")
        return img

    def depth(self, i: int) -> np.ndarray:
        """Depth of frame ``i`` in metres (float32, 0 = invalid)."""
        path = self.index.depths[i]
        raw = imread(path, cv2.IMREAD_UNCHANGED)
        if raw is None:
            raise InputError(f"cannot decode depth image {path}")
        if raw.ndim != 2 or raw.dtype != np.uint16:
            raise InputError(f"depth image {path} must be single-channel 16-bit, got {raw.dtype} with shape {raw.shape}")
        depth = raw.astype(np.float32) * np.float32(1.0 / self.index.depth_scale)
        for value in self.index.invalid_depth:
            if value:  # raw 0 is already 0 m
                depth[raw == value] = 0.0
        return depth

    def read(self) -> FramePacket | None:
        """The next frame with depth, intrinsics and pose; None after the last."""
        if self._next >= len(self.index.colors):
            return None
        i = self._next
        self._next += 1
        color, depth = self._color(i), self.depth(i)
        if depth.shape != color.shape[:2]:
            raise InputError(f"depth image {self.index.depths[i]} is {depth.shape[1]}x{depth.shape[0]} but colour "
                             f"{self.index.colors[i].name} is {color.shape[1]}x{color.shape[0]}")
        return FramePacket(i, float(self.index.timestamps[i]), color, self.info, depth=depth,
                           intrinsics=self.intrinsics, pose=self.index.poses[i])


def open_rgbd_folder(path: str | os.PathLike[str], **options) -> RGBDFolderSource:
    """Open an RGB-D folder of any supported layout (options: intrinsics, fps, layout, skip_invalid_poses)."""
    return RGBDFolderSource(path, **options)
