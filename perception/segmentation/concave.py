"""Concave objects (a mug, a bowl, a pot): the rim is a depth jump, so the inside seen over the near rim becomes a
segment of its own. Such an inside lies behind the outside along their seam, reaches up to the same rim height
above the support plane, and lies within the container's footprint: on the plane, the two together are hardly
wider than the wider of them (a neighbouring object beside or behind widens it by its own size); it joins the outside.
"""

from __future__ import annotations

import cv2
import numpy as np
from scipy.ndimage import find_objects

from perception.segmentation.on_plane import Plane


def merge_insides(lab: np.ndarray, pts: np.ndarray, planes: dict[int, Plane], min_size: int, reach: int = 3,
                  jump: float = 0.02) -> np.ndarray:
    """``lab`` with each non-plane segment seen through the opening of a neighbour (behind it along at least
    3/4 of their seam, at least 4 pixel pairs up to ``reach`` apart) joined to that neighbour when it lies inside
    one container with it (``_one_container``); both hold ``min_size`` pixels or more (smaller ones are left to
    later passes). ``jump``: relative depth step that makes a pixel pair "behind"."""
    n = int(lab.max()) + 1
    if n < 2 or not planes:
        return lab
    skip = np.append(np.bincount(lab.ravel() + 1, minlength=n + 1)[1:] < min_size, True)  # [-1]: unlabelled
    skip[[p for p in planes if p < n]] = True
    use = ~skip[lab]
    rows, cols = np.flatnonzero(use.any(1)), np.flatnonzero(use.any(0))
    if len(rows) == 0:
        return lab
    box = np.s_[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]  # the pairs lie in the box of the segments taking part
    sub, z, use = lab[box], pts[..., 2][box], use[box]
    h, w = sub.shape
    keys, behind = [], []
    for dy, dx in [(0, r) for r in range(1, reach + 1)] + [(r, 0) for r in range(1, reach + 1)]:
        a, b = sub[:h - dy, :w - dx], sub[dy:, dx:]
        sel = use[:h - dy, :w - dx] & use[dy:, dx:] & (a != b)
        a, b, za, zb = a[sel], b[sel], z[:h - dy, :w - dx][sel], z[dy:, dx:][sel]
        keys.append(np.concatenate([a * n + b, b * n + a]))  # (back, front) for a behind b, then b behind a
        behind.append(np.concatenate([za > zb * (1 + jump), zb > za * (1 + jump)]))
    key, back = np.concatenate(keys), np.concatenate(behind)
    if len(key) == 0:
        return lab
    pairs, inv = np.unique(key, return_inverse=True)
    total, votes = np.bincount(inv), np.bincount(inv, back.astype(np.float64))
    ok = (total >= 4) & (votes >= 0.75 * total)
    cand, votes = pairs[ok], votes[ok]
    roots = np.arange(n)
    xyz, boxes = pts[box], find_objects(sub + 1)  # box of segment k at k
    for k in cand[np.argsort(-votes)].tolist():  # most evident seams first
        inner, outer = divmod(k, n)
        if roots[inner] != inner or roots[outer] != outer:
            continue  # a segment that joined another stays there
        if _one_container(_points(xyz, sub, boxes, inner), _points(xyz, sub, boxes, outer), planes):
            roots[roots == inner] = outer  # with what joined ``inner`` before
    if (roots == np.arange(n)).all():
        return lab
    return np.where(lab >= 0, roots[np.maximum(lab, 0)], -1).astype(lab.dtype)


def _points(xyz: np.ndarray, lab: np.ndarray, boxes: list[tuple[slice, slice]], k: int) -> np.ndarray:
    """The points (m x 3, row by row) of segment ``k`` of ``lab``, looked for in its box only."""
    return xyz[boxes[k]][lab[boxes[k]] == k]


def _one_container(inner: np.ndarray, outer: np.ndarray, planes: dict[int, Plane], rim: float = 0.015,
                   widen: float = 1.3) -> bool:
    """Whether ``inner`` and ``outer`` reach the same height (95th percentile, within ``rim`` m) above the plane
    ``outer`` stands on (the one its lowest points are nearest) and their joint footprint on it is at most ``widen``
    times as wide as the wider one's."""
    nrm, off = min(planes.values(), key=lambda p: abs(_rank(np.sign(p[1]) * (outer @ p[0] + p[1]), 0.02)))
    up = np.sign(off) * nrm  # towards the camera
    hi, ho = inner @ up + abs(off), outer @ up + abs(off)
    if abs(_rank(hi, 0.95) - _rank(ho, 0.95)) > rim:
        return False
    u = np.cross(up, [1.0, 0.0, 0.0] if abs(up[0]) < 0.9 else [0.0, 1.0, 0.0])
    basis = np.stack([u / np.linalg.norm(u), np.cross(up, u) / np.linalg.norm(u)], axis=1).astype(np.float32)
    hull_i, hull_o = _hull(inner @ basis), _hull(outer @ basis)
    wide = max(_diameter(hull_i), _diameter(hull_o))
    return bool(_diameter(np.vstack([hull_i, hull_o])) <= widen * wide)


def _rank(x: np.ndarray, q: float) -> float:
    """The value at quantile ``q`` of ``x`` (nearest rank; a partition, cheaper than ``np.percentile``)."""
    i = int(round(q * (len(x) - 1)))
    return float(np.partition(x, i)[i])


def _hull(xy: np.ndarray) -> np.ndarray:
    """Convex hull vertices (k x 2) of 2-D points."""
    return cv2.convexHull(np.ascontiguousarray(xy, np.float32)).reshape(-1, 2)


def _diameter(xy: np.ndarray) -> float:
    """Largest distance between two of the points."""
    return float(np.sqrt(((xy[:, None] - xy[None]) ** 2).sum(2).max()))
