"""Match a frame's lifted segments to map instances: visibility-aware IoU/recall + feature gate, Hungarian."""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment

from perception.lifting import key_coords, pack_coords


def coarse_keys(keys: np.ndarray, factor: int) -> np.ndarray:
    """Keys of the cells ``factor`` voxels wide that contain each packed voxel key."""
    if factor <= 1:
        return keys
    return pack_coords(*(c // factor for c in key_coords(keys)))


def unique_pairs(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unique (a, b) rows, sorted by a then b (integers; one packed-int64 sort when the ranges fit)."""
    if len(a) == 0:
        return a, b
    a0, b0 = int(a.min()), int(b.min())
    span = int(b.max()) - b0 + 1
    if (int(a.max()) - a0 + 1) * span > 1 << 63:
        order = np.lexsort((b, a))
        a, b = a[order], b[order]
        first = np.r_[True, (a[1:] != a[:-1]) | (b[1:] != b[:-1])]
        return a[first], b[first]
    packed = _distinct(np.sort((a.astype(np.int64) - a0) * span + (b.astype(np.int64) - b0)))
    return (packed // span + a0).astype(a.dtype, copy=False), (packed % span + b0).astype(b.dtype, copy=False)


def _distinct(s: np.ndarray) -> np.ndarray:
    """Distinct values of a sorted array (np.unique without its sort)."""
    first = np.ones(len(s), bool)
    first[1:] = s[1:] != s[:-1]
    return s[first]


def cell_overlaps(seg_cell: np.ndarray, seg: np.ndarray, n_segments: int, map_cell: np.ndarray,
                  map_label: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Overlap of segments and visible instances counted in coarse cells.

    Inputs are (cell, segment) pairs of the frame and (cell, label) pairs of the visible map, each unique.
    Returns (instance ids I, S x I shared cells, cells per segment S, visible cells per instance I).
    """
    inst_ids = _distinct(np.sort(map_label))
    col = np.searchsorted(inst_ids, map_label)  # instance column of each map pair
    vis_sizes = np.bincount(col, minlength=len(inst_ids))
    seg_sizes = np.bincount(seg, minlength=n_segments)
    order = np.argsort(map_cell, kind="stable")
    mc, col = map_cell.take(order), col.take(order)
    lo, hi = np.searchsorted(mc, seg_cell, "left"), np.searchsorted(mc, seg_cell, "right")
    n = hi - lo
    rows = np.repeat(np.arange(len(seg_cell)), n)
    pos = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n) + np.repeat(lo, n)
    flat = seg.take(rows) * len(inst_ids) + col.take(pos)
    inter = np.bincount(flat, minlength=n_segments * len(inst_ids)).reshape(n_segments, len(inst_ids))
    return inst_ids, inter, seg_sizes, vis_sizes


def associate(inter: np.ndarray, seg_sizes: np.ndarray, visible_sizes: np.ndarray, similarity: np.ndarray | None,
              iou_min: float = 0.3, recall_min: float = 0.5, feature_min: float = 0.3,
              cover_min: float = 0.5, cover_min_cells: int = 10) -> np.ndarray:
    """Column of the instance matched to each segment (-1: new), from S x I overlaps.

    One-to-one Hungarian on IoU first, where a segment may also match an instance it lies mostly inside (recall)
    or one of at least ``cover_min_cells`` visible cells it mostly contains (cover: an object seen growing as more
    of it comes into view); a segment left
    over that lies mostly inside an instance joins it too, so an over-segmented object does not spawn duplicates.
    """
    n_seg, n_inst = inter.shape
    match = np.full(n_seg, -1, np.int64)
    if n_seg == 0 or n_inst == 0:
        return match
    union = np.maximum(seg_sizes[:, None] + np.maximum(visible_sizes[None, :], inter) - inter, 1)
    iou = inter / union
    recall = inter / np.maximum(seg_sizes[:, None], 1)
    cover = np.where(visible_sizes[None, :] >= cover_min_cells, inter / np.maximum(visible_sizes[None, :], 1), 0.0)
    ok = (iou >= iou_min) | (recall >= recall_min) | (cover >= cover_min)
    if similarity is not None:
        ok &= similarity >= feature_min
    score = np.where(ok, iou + 0.5 * recall + 0.25 * cover, 0.0)
    rows, cols = linear_sum_assignment(-score)
    good = ok[rows, cols]
    match[rows[good]] = cols[good]
    left = (match < 0) & ok.any(axis=1)
    r = np.flatnonzero(left)
    best = np.argmax(np.where(ok[r], recall[r], -1.0), axis=1)
    joins = recall[r, best] >= recall_min
    match[r[joins]] = best[joins]
    return match
