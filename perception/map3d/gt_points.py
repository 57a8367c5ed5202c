"""Ground truth as fused 3D points: read ``gt_points.npz`` or fuse per-frame instance label images into it.

Fusion follows the ycbv-0000 recipe: labelled depth is back-projected with the given poses, pixels near a label
boundary or flying (far from the 5x5 median depth) are dropped, and points are fused into small voxels that keep
the majority label when it holds a clear share.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from perception.lifting import pixel_keys, voxel_centers
from perception.types import InputError

LABEL_DIRS = ("instance-filt", "instance")


def load_gt_points(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """(xyz Nx3 float64, instance N int64; 0 = unlabelled) from an npz with ``xyz`` and ``instance``."""
    try:
        with np.load(Path(path)) as data:
            xyz, inst = np.asarray(data["xyz"], np.float64), np.asarray(data["instance"], np.int64)
    except (OSError, ValueError, KeyError) as exc:
        raise InputError(f"cannot read ground-truth points {path}: {exc}") from None
    if xyz.ndim != 2 or xyz.shape[1] != 3 or inst.shape != (len(xyz),):
        raise InputError(f"{path}: xyz must be Nx3 and instance N, got {xyz.shape} and {inst.shape}")
    return xyz, inst


def find_label_dir(folder: Path) -> Path | None:
    """The folder's per-frame instance label images (instance-filt/ or instance/), if any."""
    for name in LABEL_DIRS:
        if (folder / name).is_dir():
            return folder / name
    return None


def read_label_image(path: Path, shape: tuple[int, int]) -> np.ndarray:
    """One HxW int64 instance label image (0 = unlabelled)."""
    img = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if img is None:
        raise InputError(f"cannot read ground-truth label image {path}")
    if img.shape[:2] != shape:
        raise InputError(f"{path}: size {img.shape[1]}x{img.shape[0]} differs from the depth {shape[1]}x{shape[0]}")
    return img.astype(np.int64) if img.ndim == 2 else img[..., 0].astype(np.int64)


class GTFuser:
    """Accumulates labelled depth frames into voxel label votes; ``points()`` gives the fused ground truth."""

    def __init__(self, voxel: float = 0.005, edge_px: int = 2, flying_m: float = 0.02, min_share: float = 0.7,
                 max_depth: float = 3.0):
        self.voxel, self.edge_px, self.flying_m = voxel, edge_px, flying_m
        self.min_share, self.max_depth = min_share, max_depth
        self._pairs: list[np.ndarray] = []  # (key, label, count) rows, merged every few frames

    def add(self, labels: np.ndarray, depth: np.ndarray, intrinsics, pose: np.ndarray) -> None:
        """Fuse one frame (HxW labels, 0 = unlabelled; depth in metres; camera-to-world pose)."""
        d = np.nan_to_num(depth, nan=0.0).astype(np.float32)
        med = cv2.medianBlur(d, 5)
        ok = (d > 0.1) & (d < self.max_depth) & (np.abs(d - med) <= self.flying_m)
        lab16 = labels.astype(np.float32)
        k = np.ones((2 * self.edge_px + 1,) * 2, np.uint8)
        ok &= cv2.dilate(lab16, k) == cv2.erode(lab16, k)
        v, u = np.nonzero(ok)
        if len(v) == 0:
            return
        keys = pixel_keys(u.astype(np.float64), v.astype(np.float64), d[v, u].astype(np.float64), intrinsics,
                          pose, self.voxel)
        rows, counts = np.unique(np.stack([keys, labels[v, u]], 1), axis=0, return_counts=True)
        self._pairs.append(np.column_stack([rows, counts]))
        if len(self._pairs) >= 8:
            self._pairs = [self._merged()]

    def _merged(self) -> np.ndarray:
        rows = np.concatenate(self._pairs)
        uniq, inv = np.unique(rows[:, :2], axis=0, return_inverse=True)
        return np.column_stack([uniq, np.bincount(inv.ravel(), rows[:, 2], len(uniq)).astype(np.int64)])

    def points(self) -> tuple[np.ndarray, np.ndarray]:
        """(xyz, instance) of the fused voxels; voxels without a ``min_share`` majority are dropped."""
        if not self._pairs:
            return np.zeros((0, 3)), np.zeros(0, np.int64)
        rows = self._merged()
        keys, lab, cnt = rows[:, 0], rows[:, 1], rows[:, 2]
        order = np.lexsort((-cnt, keys))
        keys, lab, cnt = keys[order], lab[order], cnt[order]
        first = np.r_[True, keys[1:] != keys[:-1]]
        start = np.flatnonzero(first)
        total = np.add.reduceat(cnt, start)
        good = cnt[start] >= self.min_share * total
        return voxel_centers(keys[start][good], self.voxel), lab[start][good]
