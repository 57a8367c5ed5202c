"""Far pieces of one flat surface: coplanar flat instances with nothing seen behind their plane anywhere between them,
so their gap was never seen through (a floor split by the table in front of it), unlike two table tops with the floor
visible between them."""

from __future__ import annotations

import numpy as np

from perception.map3d.planar_merge import planar_fits


def hidden_gap_pairs(centers: np.ndarray, labels: np.ndarray, views: dict[int, np.ndarray], voxel: float,
                     min_voxels: int = 20, max_angle_deg: float = 12.0, sample: int = 4) -> list[tuple[int, int]]:
    """Pairs of flat instances seen from the same side (``views``: mean camera centre per instance) with parallel
    normals, each one's centroid within a few voxels of the other's plane, and fewer voxels than a flat instance
    needs lying further than that behind their plane within the in-plane box both span; every ``sample``-th voxel."""
    centers, labels = centers[::sample].astype(np.float64), labels[::sample]
    least = max(4, min_voxels // sample)
    fits = {i: f for i, f in planar_fits(centers, labels, least, voxel).items() if i in views}
    ids = sorted(fits)
    cos = np.cos(np.deg2rad(max_angle_deg))
    out = []
    for x, a in enumerate(ids):
        ca, na, ta, _ = fits[a]
        na = na if (views[a] - ca) @ na >= 0 else -na
        u = np.cross(na, [1.0, 0.0, 0.0] if abs(na[0]) < 0.9 else [0.0, 1.0, 0.0])
        u /= np.linalg.norm(u)
        rel = centers - ca
        height, uv = rel @ na, rel @ np.stack([u, np.cross(na, u)], 1)
        for b in ids[x + 1:]:
            cb, nb, tb, _ = fits[b]
            tol = 2 * voxel + 2 * max(ta, tb)
            if abs(na @ nb) < cos or abs((cb - ca) @ na) > tol or abs((cb - ca) @ nb) > tol or (views[b] - cb) @ na < 0:
                continue
            pair = (labels == a) | (labels == b)
            lo, hi = uv[pair].min(0), uv[pair].max(0)
            behind = (height < -tol) & np.all((uv >= lo) & (uv <= hi), 1)
            if np.count_nonzero(behind) < least:
                out.append((a, b))
    return out
