"""An object that left the view and came back showing another side: its new instance touches the old one, and the
two were never observed in one frame (objects side by side are seen together), nor span much more than either.
Flat instances have no other side to show (pieces of a wall merge by ``planar_merge``)."""

from __future__ import annotations

import numpy as np

from perception.map3d.pair_evidence import PAIR
from perception.map3d.planar_merge import planar_fits
from perception.map3d.support import neighbours
from perception.types import Instances3D


def other_side_pairs(keys: np.ndarray, centers: np.ndarray, labels: np.ndarray, boxes: Instances3D,
                     seen: dict[int, tuple[int, int]], young: list[int], voxel: float,
                     max_growth: float = 1.5) -> list[tuple[int, int]]:
    """Pairs (old, young) of instances (``boxes``: their boxes) whose voxels touch (26-neighbourhood; ``keys``
    sorted, packed) where the old one was last observed before the young one was first (``seen``: first and last
    frame per instance) and the box of both is at most ``max_growth`` times as long as the longer one's; neither
    may be flat."""
    pairs = _box_pairs(boxes, seen, young, voxel, max_growth)
    if not pairs:
        return []
    sel = np.isin(labels, [i for p in pairs for i in p])
    flat = planar_fits(centers[sel], labels[sel], 4, voxel)
    pairs = [(old, new) for old, new in pairs if old not in flat and new not in flat]
    touching = _touching(keys, labels, [new for _, new in pairs])
    return [(old, new) for old, new in pairs if new * PAIR + old in touching]


def _box_pairs(boxes: Instances3D, seen: dict[int, tuple[int, int]], young: list[int], voxel: float,
               max_growth: float) -> list[tuple[int, int]]:
    """Candidate (old, young) pairs from the boxes alone: observed one after the other, boxes within a voxel of each
    other, and not much longer together than apart."""
    ids, lo, hi = boxes.ids, boxes.box_min, boxes.box_max
    y = np.flatnonzero(np.isin(ids, young))
    first = np.array([seen[i][0] for i in ids.tolist()])
    last = np.array([seen[i][1] for i in ids.tolist()])
    near = np.all((lo[None] <= hi[y, None] + voxel) & (lo[y, None] <= hi[None] + voxel), axis=2)
    joint = (np.maximum(hi[y, None], hi[None]) - np.minimum(lo[y, None], lo[None])).max(2)
    own = (hi - lo).max(1)
    ok = near & (last[None] < first[y, None]) & (joint <= max_growth * np.maximum(own[y, None], own[None]))
    r, c = np.nonzero(ok)
    return list(zip(ids[c].tolist(), ids[y[r]].tolist()))


def _touching(keys: np.ndarray, labels: np.ndarray, ids: list[int]) -> set[int]:
    """Packed pairs (a * PAIR + b) where a voxel of instance a in ``ids`` has one of instance b among its 26
    neighbours."""
    rows = np.flatnonzero(np.isin(labels, ids))
    if len(rows) == 0:
        return set()
    pos, hit = neighbours(keys, rows)
    own = np.repeat(labels[rows], len(hit) // len(rows))[hit]
    return set(np.unique(own * PAIR + labels.take(pos[hit])).tolist())
