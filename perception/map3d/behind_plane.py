"""Surfaces are opaque: voxels of an instance standing in front of a flat instance (an object on a table) that lie
just behind that flat instance's plane are the plane's own surface, taken by a mask that spilled past the object."""

from __future__ import annotations

import numpy as np

from perception.lifting import key_coords
from perception.map3d.planar_merge import planar_fits
from perception.map3d.support import neighbours


def behind_planes(keys: np.ndarray, centers: np.ndarray, labels: np.ndarray, views: dict[int, np.ndarray],
                  voxel: float, min_voxels: int = 20, sample: int = 4) -> np.ndarray:
    """Labels (``keys`` sorted, packed) where each voxel of a smaller instance whose centroid is in front of a flat
    instance (facing its mean camera centre in ``views``) lies from a quarter voxel to a voxel plus the plane's
    thickness behind its plane and touches it (26-neighbourhood) takes the flat instance's label; fits from one voxel
    in ``sample``, picked by its own coordinates."""
    out = labels.copy()
    i, j, k = key_coords(keys)
    pick = (i + 2 * j + 3 * k) % sample == 0  # an even thinning that no other voxel's coming or going changes
    fits = planar_fits(centers[pick], labels[pick], max(4, min_voxels // sample), voxel)
    sizes = np.bincount(labels)
    for p in sorted(fits, key=lambda i: -sizes[i]):
        if p not in views:
            continue
        mean, normal, thick, _ = fits[p]
        normal = normal if (views[p] - mean) @ normal >= 0 else -normal
        height = (centers - mean) @ normal
        n = len(sizes)
        front = np.bincount(out, height, n) / np.maximum(np.bincount(out, minlength=n), 1) > 0
        other = (out > 0) & (out != p) & (sizes[out] < sizes[p]) & front[out]
        rows = np.flatnonzero(other & (height < -0.25 * voxel) & (height > -voxel - thick))
        if len(rows) == 0:
            continue
        pos, hit = neighbours(keys, rows)
        touch = (hit & (out.take(pos) == p)).reshape(len(rows), -1).any(1)
        out[rows[touch]] = p
    return out
