"""Fragments of one flat surface (a wall seen piece by piece, split by what stands in front of it): instance pairs
that are each planar, lie in one plane and come within a short gap of each other. Vectorised over instances."""

from __future__ import annotations

import numpy as np


def _moments(p: np.ndarray, g: np.ndarray, w: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per group: weight sum, mean (k x 3) and covariance (k x 3 x 3) of the points with weight ``w``."""
    n = np.bincount(g, w, k)
    mean = np.stack([np.bincount(g, w * p[:, j], k) for j in range(3)], 1) / np.maximum(n, 1e-9)[:, None]
    q = p - mean[g]
    cov = np.empty((k, 3, 3))
    for a in range(3):
        for b in range(a, 3):
            cov[:, a, b] = cov[:, b, a] = np.bincount(g, w * q[:, a] * q[:, b], k) / np.maximum(n, 1e-9)
    return n, mean, cov


def planar_fits(centers: np.ndarray, labels: np.ndarray, min_voxels: int, voxel: float,
                flatness: float = 0.2) -> dict[int, tuple[np.ndarray, np.ndarray, float]]:
    """Per instance (labels > 0) with ``min_voxels`` or more that is flat: once the voxels more than 2.5 standard
    deviations off its first plane fit (at most 30 %) are dropped, its thickness is under ``flatness`` x its
    smaller in-plane spread and under 3 voxels. Returns {id: (centroid, unit normal, thickness, smaller in-plane
    spread), lengths in m}."""
    k = int(labels.max(initial=0)) + 1
    counts = np.bincount(labels, minlength=k)
    big = counts >= max(min_voxels, 4)
    big[0] = False
    if not big.any():
        return {}
    sel = big[labels]
    p, g = centers[sel].astype(np.float64), labels[sel]
    w = np.ones(len(p))
    ids = np.flatnonzero(big)
    for _ in range(2):
        n, mean, cov = _moments(p, g, w, k)
        evals, evecs = np.linalg.eigh(cov[ids])
        normal = np.zeros((k, 3))
        normal[ids] = evecs[:, :, 0]
        thick = np.zeros(k)
        thick[ids] = np.sqrt(np.maximum(evals[:, 0], 0))
        w = (np.abs(((p - mean[g]) * normal[g]).sum(1)) <= np.maximum(2.5 * thick[g], voxel)).astype(np.float64)
    flat = (n[ids] >= 0.7 * counts[ids]) & (thick[ids] < 3 * voxel)
    spread = np.sqrt(np.maximum(evals[:, 1], 0))
    flat &= thick[ids] < flatness * spread
    return {int(i): (mean[i], normal[i], float(thick[i]), float(w)) for i, w in zip(ids[flat], spread[flat])}


def _near_pairs(centers: np.ndarray, labels: np.ndarray, ids: np.ndarray, cell: float) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs (a < b, into ``ids``) of instances with voxels in neighbouring cells of ``cell`` m."""
    index = np.full(int(labels.max()) + 1, -1, np.int64)
    index[ids] = np.arange(len(ids))
    rows = np.flatnonzero(index[labels] >= 0)
    n = len(ids)
    ijk = np.floor(centers[rows] / cell).astype(np.int64)
    ijk -= ijk.min(0) - 1  # a margin of one cell: a neighbour's flat index never wraps into another row
    ext = ijk.max(0) + 2
    code = np.unique(((ijk[:, 0] * ext[1] + ijk[:, 1]) * ext[2] + ijk[:, 2]) * n + index[labels[rows]])
    # each occupied cell also claims its 26 neighbours, so instances in neighbouring cells meet in one; the 3x3x3
    # box is claimed one axis at a time, keeping one row per (cell, instance) after each
    for stride in (int(ext[1] * ext[2]), int(ext[2]), 1):
        code = np.unique((code[:, None] + np.array([-stride, 0, stride], np.int64) * n).ravel())
    c, lab = np.divmod(code, n)
    pairs = [np.zeros(0, np.int64)]
    for step in range(1, 8):  # entries of one cell are consecutive; a cell holds only a few flat instances
        j = np.flatnonzero(c[step:] == c[:-step])
        pairs.append(lab[j] * n + lab[j + step])
    return np.divmod(np.unique(np.concatenate(pairs)), n)


def _stack(fits: dict, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Centroids, normals, thicknesses and in-plane spreads of ``ids`` as arrays."""
    return tuple(np.array([fits[i][j] for i in ids.tolist()]) for j in range(4))


def coplanar_pairs(centers: np.ndarray, labels: np.ndarray, voxel: float, min_voxels: int = 20,
                   max_angle_deg: float = 12.0, max_gap: float = 0.15, wide: float = 0.3, wide_gap: float = 0.5,
                   sample: int = 4) -> list[tuple[int, int]]:
    """Pairs of flat instances with parallel normals, each one's centroid within a few voxels of the other's
    plane, that occupy neighbouring cells of ``max_gap`` m (a gap of about ``max_gap`` or less between them),
    or of ``wide_gap`` m when both spread ``wide`` m or more in the plane (a wall behind furniture); fits and
    occupancy from every ``sample``-th voxel."""
    centers, labels = centers[::sample], labels[::sample]  # voxels are sorted by key: an even thinning
    fits = planar_fits(centers, labels, max(4, min_voxels // sample), voxel)
    if len(fits) < 2:
        return []
    ids = np.array(sorted(fits), np.int64)
    cen, nrm, thick, spread = _stack(fits, ids)
    a, b = _near_pairs(centers, labels, ids, max_gap)
    big = np.flatnonzero(spread >= wide)  # pieces of a wall bridge what stands before it (up to ~2 x wide_gap)
    if len(big) >= 2:
        a2, b2 = _near_pairs(centers, labels, ids[big], wide_gap)
        a, b = np.divmod(np.unique(np.concatenate([a, big[a2]]) * len(ids) + np.concatenate([b, big[b2]])), len(ids))
    tol = 2 * voxel + 2 * np.maximum(thick[a], thick[b])
    gap = cen[b] - cen[a]
    ok = (np.abs((nrm[a] * nrm[b]).sum(1)) >= np.cos(np.deg2rad(max_angle_deg)))
    ok &= (np.abs((gap * nrm[a]).sum(1)) <= tol) & (np.abs((gap * nrm[b]).sum(1)) <= tol)
    return list(zip(ids[a[ok]].tolist(), ids[b[ok]].tolist()))


def convex_pairs(centers: np.ndarray, labels: np.ndarray, views: dict[int, np.ndarray], voxel: float,
                 min_voxels: int = 20, min_angle_deg: float = 45.0, sample: int = 4) -> list[tuple[int, int]]:
    """Pairs of flat instances meeting at a convex edge (the top and a side of a table or cabinet): their
    planes cross at ``min_angle_deg`` or more, their voxels touch (neighbouring cells of 3 voxels), and each lies
    behind the other's plane as seen from where it was observed (``views``: mean camera centre per instance);
    a floor and a wall meet at a concave edge and stay apart."""
    centers, labels = centers[::sample], labels[::sample]
    fits = {i: f for i, f in planar_fits(centers, labels, max(4, min_voxels // sample), voxel).items() if i in views}
    if len(fits) < 2:
        return []
    ids = np.array(sorted(fits), np.int64)
    a, b = _near_pairs(centers, labels, ids, 3 * voxel)
    cen, nrm, _, _ = _stack(fits, ids)
    eye = np.stack([views[i] for i in ids.tolist()])
    nrm = nrm * np.where(((eye - cen) * nrm).sum(1) < 0, -1.0, 1.0)[:, None]  # normals face their observers
    gap = cen[b] - cen[a]
    ok = np.abs((nrm[a] * nrm[b]).sum(1)) <= np.cos(np.deg2rad(min_angle_deg))
    ok &= ((gap * nrm[a]).sum(1) < -voxel) & ((gap * nrm[b]).sum(1) > voxel)
    return list(zip(ids[a[ok]].tolist(), ids[b[ok]].tolist()))
