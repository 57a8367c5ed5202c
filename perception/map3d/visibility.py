"""Which map voxels a depth frame sees, and which it sees through (free space in front of the measured surface)."""

from __future__ import annotations

import cv2
import numpy as np

from perception.lifting import depth_spread
from perception.types import Intrinsics


def project(centers: np.ndarray, k: Intrinsics, pose: np.ndarray, min_depth: float
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rows, flat pixel index, camera z) of the Nx3 float32 world points that land inside the image."""
    t = pose[:3, 3].astype(np.float32)
    rel = np.empty((3, len(centers)), np.float32)  # 3 x N: each coordinate contiguous
    for j in range(3):
        np.subtract(centers[:, j], t[j], out=rel[j])
    x, y, z = pose[:3, :3].astype(np.float32).T @ rel
    front = z > min_depth
    rows = np.flatnonzero(front)
    zf = z[front]
    u = np.round(x[front] / zf * k.fx + k.cx).astype(np.int64)
    v = np.round(y[front] / zf * k.fy + k.cy).astype(np.int64)
    inside = (u >= 0) & (u < k.width) & (v >= 0) & (v < k.height)
    return rows[inside], v[inside] * k.width + u[inside], zf[inside]


def see(centers: np.ndarray, depth: np.ndarray, k: Intrinsics, pose: np.ndarray, min_depth: float, tol: float,
        carve_margin: float) -> tuple[np.ndarray, np.ndarray]:
    """(visible rows, seen-through rows) of voxel ``centers`` in one depth frame.

    A voxel is visible within ``tol`` of the measured depth (plus the depth spread across its pixel on
    grazing surfaces); it is seen through when the surface lies ``carve_margin`` (plus spread) behind it,
    except within two pixels of a depth edge.
    """
    rows, pix, z = project(centers, k, pose, min_depth)
    dm = np.ravel(depth).take(pix)
    ok = np.isfinite(dm) & (dm > 0)
    rows, pix, z, dm = rows[ok], pix[ok], z[ok], dm[ok]
    spread_img, edge_img = depth_spread(depth)
    spread = spread_img.ravel().take(pix)  # depth change across a pixel: grazing surfaces
    edges = cv2.dilate(edge_img.view(np.uint8), np.ones((5, 5), np.uint8)).ravel().take(pix) > 0
    vis = rows[np.abs(z - dm) < tol + np.where(edges, 0, spread)]
    free = rows[(dm > z + carve_margin + spread) & ~edges]
    return vis, free
