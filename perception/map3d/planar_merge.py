"""Fragments of one flat surface (a wall seen piece by piece, split by what stands in front of it): instance pairs
that are each planar, lie in one plane and come within a short gap of each other."""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree


def planar_fits(centers: np.ndarray, labels: np.ndarray, min_voxels: int, voxel: float,
                flatness: float = 0.2) -> dict[int, tuple[np.ndarray, np.ndarray, float]]:
    """Per instance with ``min_voxels`` or more that is flat (thickness, the spread off its plane once stray voxels
    (at most 30 %) are dropped, under ``flatness`` x its smaller in-plane spread and under 3 voxels): (centroid, unit normal,
    thickness in m)."""
    out = {}
    order = np.argsort(labels, kind="stable")
    lab = labels[order]
    start = np.flatnonzero(np.r_[True, lab[1:] != lab[:-1]])
    for s, e in zip(start, np.append(start[1:], len(lab))):
        i = int(lab[s])
        if i <= 0 or e - s < min_voxels:
            continue
        pts = centers[order[s:e]].astype(np.float64)
        n = len(pts)
        for _ in range(3):  # refit on the voxels near the plane: stray pieces of other surfaces do not count
            c = pts.mean(0)
            w, v = np.linalg.eigh(np.cov((pts - c).T))
            dist = np.abs((pts - c) @ v[:, 0])
            pts = pts[dist <= max(3 * 1.4826 * float(np.median(dist)), voxel)]
            if len(pts) < 0.7 * n or len(pts) < 4:
                break
        thick, mid = float(np.sqrt(max(w[0], 0.0))), float(np.sqrt(max(w[1], 0.0)))
        if len(pts) < 0.7 * n:
            continue
        if thick < flatness * mid and thick < 3 * voxel:
            out[i] = (c, v[:, 0], thick)
    return out


def coplanar_pairs(centers: np.ndarray, labels: np.ndarray, voxel: float, min_voxels: int = 20,
                   max_angle_deg: float = 12.0, max_gap: float = 0.15) -> list[tuple[int, int]]:
    """Pairs of flat instances with parallel normals, each one's voxels within a few voxels of the other's
    plane, and a gap of at most ``max_gap`` m between their nearest voxels."""
    fits = planar_fits(centers, labels, min_voxels, voxel)
    if len(fits) < 2:
        return []
    ids = sorted(fits)
    cos_max = np.cos(np.deg2rad(max_angle_deg))
    trees: dict[int, cKDTree] = {}
    out = []
    rows = {i: np.flatnonzero(labels == i) for i in ids}
    for a_i, a in enumerate(ids):
        ca, na, ta = fits[a]
        for b in ids[a_i + 1:]:
            cb, nb, tb = fits[b]
            tol = 2 * voxel + 2 * max(ta, tb)
            if abs(na @ nb) < cos_max or abs((cb - ca) @ na) > tol or abs((ca - cb) @ nb) > tol:
                continue
            small, big = sorted((a, b), key=lambda i: len(rows[i]))
            if big not in trees:
                trees[big] = cKDTree(centers[rows[big]])
            if np.isfinite(trees[big].query(centers[rows[small]], distance_upper_bound=max_gap)[0]).any():
                out.append((a, b))
    return out
