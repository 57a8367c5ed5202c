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
    n = len(sizes)
    for p in sorted(fits, key=lambda i: -sizes[i]):
        if p not in views:
            continue
        mean, normal, thick, _ = fits[p]
        normal = normal if (views[p] - mean) @ normal >= 0 else -normal
        height = (centers - mean) @ normal
        rows = np.flatnonzero((height < -0.25 * voxel) & (height > -voxel - thick))
        lab = out[rows]
        smaller = (lab > 0) & (lab != p) & (sizes[lab] < sizes[p])
        rows, lab = rows[smaller], lab[smaller]
        if len(rows) == 0:
            continue
        # which of those instances have their centroid in front of the plane, summed over their own voxels alone in
        # row order (the very sums a bincount over all voxels makes)
        want = np.zeros(n, bool)
        want[lab] = True
        mine = np.flatnonzero(want[out])
        front = np.bincount(out[mine], height[mine], n) / np.maximum(np.bincount(out[mine], minlength=n), 1) > 0
        rows = rows[front[lab]]
        if len(rows) == 0:
            continue
        pos, hit = neighbours(keys, rows)
        touch = (hit & (out.take(pos) == p)).reshape(len(rows), -1).any(1)
        out[rows[touch]] = p
    return out
