"""Lift 2D segment masks into world-space voxels with depth, intrinsics and a camera-to-world pose.

Vectorised end to end: pixels are subsampled, eroded against depth edges, back-projected, cleaned of
depth outliers per segment, then grouped into unique (segment, voxel) cells with mean colours.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from perception.types import InputError, Intrinsics

_BITS = 21
_OFFSET = 1 << (_BITS - 1)
_MASK = (1 << _BITS) - 1


def pack_coords(i: np.ndarray, j: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Pack integer voxel coordinate arrays (each within +-2^20) into int64 keys."""
    return ((i + _OFFSET) << (2 * _BITS)) | ((j + _OFFSET) << _BITS) | (k + _OFFSET)


def pack_keys(ijk: np.ndarray) -> np.ndarray:
    """Pack Nx3 integer voxel coordinates (each within +-2^20) into N int64 keys."""
    v = ijk.astype(np.int64)
    return pack_coords(v[:, 0], v[:, 1], v[:, 2])


def key_coords(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The three int64 voxel coordinate arrays of packed keys (inverse of ``pack_coords``)."""
    keys = np.asarray(keys, dtype=np.int64)
    return (keys >> (2 * _BITS)) - _OFFSET, ((keys >> _BITS) & _MASK) - _OFFSET, (keys & _MASK) - _OFFSET


def unpack_keys(keys: np.ndarray) -> np.ndarray:
    """Inverse of ``pack_keys``: N int64 keys -> Nx3 int64 voxel coordinates."""
    return np.stack(key_coords(keys), axis=1)


def compact_keys(keys: np.ndarray) -> np.ndarray:
    """Keys renumbered from 0 over their bounding box (small non-negative values), in the same order as the keys."""
    c = key_coords(keys)
    lo = [int(x.min()) for x in c]
    ext = [int(x.max()) - m + 1 for x, m in zip(c, lo)]
    return ((c[0] - lo[0]) * ext[1] + (c[1] - lo[1])) * ext[2] + (c[2] - lo[2])


def sort_order(major: np.ndarray, minor: np.ndarray) -> np.ndarray:
    """``np.lexsort((minor, major))`` for non-negative integers; one packed-int64 sort when the ranges fit."""
    n = len(major)
    if n == 0:
        return np.zeros(0, np.intp)
    span = int(minor.max()) + 1
    bits = n.bit_length()
    if (int(major.max()) + 1) * span << bits >= 1 << 63:
        return np.lexsort((minor, major))
    packed = ((major.astype(np.int64) * span + minor) << bits) | np.arange(n)
    return np.sort(packed) & ((1 << bits) - 1)


def take_rows(a: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``a[rows]``; rows of a 2D array move as single opaque items (several times faster than fancy indexing)."""
    if a.ndim == 1:
        return a.take(rows)
    flat = np.ascontiguousarray(a).view(np.dtype((np.void, a.shape[1] * a.itemsize))).ravel()
    return flat.take(rows).view(a.dtype).reshape(len(rows), a.shape[1])


def voxel_centers(keys: np.ndarray, voxel: float) -> np.ndarray:
    """Nx3 float64 world coordinates of voxel centres."""
    return (unpack_keys(keys) + 0.5) * voxel


def check_frame(depth: np.ndarray, intrinsics: Intrinsics | None, pose: np.ndarray | None) -> None:
    """Raise InputError unless depth, intrinsics and pose describe one usable RGB-D frame."""
    if intrinsics is None:
        raise InputError("3D lifting needs camera intrinsics")
    if depth.ndim != 2 or depth.shape != (intrinsics.height, intrinsics.width):
        raise InputError(f"depth of shape {depth.shape} does not match intrinsics {intrinsics.width}x{intrinsics.height}")
    if pose is None or np.shape(pose) != (4, 4) or not np.all(np.isfinite(pose)):
        raise InputError("3D lifting needs a finite 4x4 camera-to-world pose")


def depth_spread(depth: np.ndarray, rel: float = 0.03, abs_m: float = 0.02) -> tuple[np.ndarray, np.ndarray]:
    """Depth range (m) over each pixel's 3x3 neighbourhood, and the pixels where it exceeds ``rel * depth + abs_m``
    or that lie next to missing depth."""
    if depth.dtype == np.float32 and np.isfinite(depth).all():
        d = np.ascontiguousarray(depth)
    else:
        d = np.where(np.isfinite(depth), depth, 0).astype(np.float32)
    k = np.ones((3, 3), np.uint8)
    lo = cv2.erode(d, k)
    spread = cv2.dilate(d, k) - lo
    return spread, (spread > rel * d + abs_m) | (lo <= 0)


def depth_jumps(depth: np.ndarray, rel: float = 0.03, abs_m: float = 0.02) -> np.ndarray:
    """Pixels where inverse depth bends, between two row or column neighbours with depth, by more than a depth jump
    of ``rel * depth + abs_m`` metres would: jumps, not a plane seen at a grazing angle (a far floor), across which
    inverse depth is linear in the pixel coordinates."""
    d = np.where(np.isfinite(depth), depth, 0).astype(np.float32)
    inv = np.divide(1, d, out=np.zeros_like(d), where=d > 0)
    bend = np.zeros_like(d)
    for a, b, c in ((np.s_[:-2], np.s_[2:], np.s_[1:-1]), (np.s_[:, :-2], np.s_[:, 2:], np.s_[:, 1:-1])):
        both = (inv[a] > 0) & (inv[b] > 0) & (inv[c] > 0)
        bend[c] = np.maximum(bend[c], np.where(both, np.abs(inv[a] + inv[b] - 2 * inv[c]), 0))
    return bend * d * d > rel * d + abs_m


def paint_labels(masks: np.ndarray, stride: int = 1) -> np.ndarray:
    """Label image (H/stride x W/stride int32, -1 = none) with masks painted largest-first so small masks win."""
    sub = masks[:, ::stride, ::stride]
    labels = np.full(sub.shape[1:], -1, dtype=np.int32)
    sizes = sub.sum(axis=(1, 2)) if len(sub) else np.zeros(0, np.int64)
    for i in np.argsort(-sizes, kind="stable"):
        labels[sub[i]] = i
    return labels


@dataclass
class LiftedSegments:
    """Unique (segment, voxel) cells of one frame, sorted by segment then key."""

    keys: np.ndarray  # M int64 packed voxel keys
    segment: np.ndarray  # M int64 segment (detection) index
    colors: np.ndarray  # M x 3 uint8 RGB mean colour
    points: np.ndarray  # M int64 number of pixels that fell into the cell
    n_segments: int

    def sizes(self) -> np.ndarray:
        """Voxels per segment (n_segments,)."""
        return np.bincount(self.segment, minlength=self.n_segments)

    def first_segments(self, n: int) -> LiftedSegments:
        """Only the cells of segments 0..n-1 (cells are sorted by segment, so this is a prefix)."""
        end = int(np.searchsorted(self.segment, n))
        return LiftedSegments(self.keys[:end], self.segment[:end], self.colors[:end], self.points[:end], n)

    def per_voxel(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """One owner per voxel (the segment with most pixels there): (keys, segment, colors), sorted by key."""
        if len(self.keys) == 0:
            return self.keys, self.segment, self.colors
        order = sort_order(compact_keys(self.keys), self.points.max() - self.points)
        keys = self.keys.take(order)
        first = np.ones(len(keys), bool)
        first[1:] = keys[1:] != keys[:-1]
        sel = order[first]
        return keys[first], self.segment.take(sel), take_rows(self.colors, sel)


@dataclass
class LiftConfig:
    """Lifting options: voxel size (m), depth range (m), pixel stride, edge erosion (px), outlier cut (sigmas)."""

    voxel: float = 0.025
    min_depth: float = 0.1
    max_depth: float = 10.0
    stride: int = 4
    erode_px: int = 2
    outlier_sigma: float = 3.0


def scene_voxel(depth: np.ndarray, per_metre: float = 0.01, lo: float = 0.01, hi: float = 0.025) -> float:
    """Voxel size for a scene from one depth image: ``per_metre`` x the median depth, in 5 mm steps within
    [lo, hi] (about 1 cm over a tabletop, 2-2.5 cm in a room)."""
    d = depth[np.isfinite(depth) & (depth > 0.1)]
    if len(d) == 0:
        return hi
    return float(np.clip(np.round(per_metre * float(np.median(d[::7])) / 0.005) * 0.005, lo, hi))


def pixel_keys(u: np.ndarray, v: np.ndarray, z: np.ndarray, k: Intrinsics, pose: np.ndarray, voxel: float) -> np.ndarray:
    """Packed keys of the world voxels that pixels (u, v) at depth z (m) back-project into."""
    pc = k.backproject(u, v, z)
    return pack_keys(np.floor((pose[:3, :3] @ pc + pose[:3, 3:4]) / voxel).T)


def _erode_edges(d: np.ndarray, lab: np.ndarray, keep: np.ndarray, r: int, min_samples: int = 8) -> np.ndarray:
    """``keep`` less the samples within ``r`` of a depth jump or of a sample next to a hole; a segment that this
    leaves fewer than ``min_samples`` (a thin object beside its shadow) loses only those near jumps."""
    box = np.ones((2 * r + 1, 2 * r + 1), np.uint8)
    z = np.where(np.isfinite(d), d, 0).astype(np.float32)
    rim = cv2.erode(z, np.ones((3, 3), np.uint8)) <= 0
    jumps = depth_jumps(z)
    loose = keep & (cv2.dilate(jumps.view(np.uint8), box) == 0)
    strict = keep & (cv2.dilate((jumps | rim).view(np.uint8), box) == 0)
    few = np.bincount(lab[strict], minlength=int(lab.max(initial=-1)) + 1) < min_samples
    return strict | (loose & few[np.maximum(lab, 0)])


def lift_labels(labels: np.ndarray, depth: np.ndarray, image: np.ndarray | None, intrinsics: Intrinsics,
                pose: np.ndarray, n_segments: int, cfg: LiftConfig = LiftConfig()) -> LiftedSegments:
    """Lift a full-resolution label image (HxW int, -1 = none) into per-segment world voxels."""
    check_frame(depth, intrinsics, pose)
    s = max(1, int(cfg.stride))
    d = np.ascontiguousarray(depth[::s, ::s])
    lab = np.ascontiguousarray(labels[::s, ::s] if labels.shape == depth.shape else labels)
    if lab.shape != d.shape:
        raise InputError(f"label image of shape {labels.shape} does not match depth {depth.shape}")
    keep = (lab >= 0) & np.isfinite(d) & (d > cfg.min_depth) & (d < cfg.max_depth)
    if cfg.erode_px > 0:
        keep = _erode_edges(d, lab, keep, max(1, int(round(cfg.erode_px / s))))
    v, u = np.divmod(np.flatnonzero(keep), d.shape[1])
    z = d[keep].astype(np.float64)
    seg = lab[keep].astype(np.int64)
    uu, vv = u * s, v * s
    if len(z) and cfg.outlier_sigma > 0:
        n = np.bincount(seg, minlength=n_segments).astype(np.float64)
        mean = np.bincount(seg, z, n_segments) / np.maximum(n, 1)
        var = np.bincount(seg, z * z, n_segments) / np.maximum(n, 1) - mean ** 2
        ok = np.abs(z - mean[seg]) <= cfg.outlier_sigma * np.sqrt(np.maximum(var, 0))[seg] + cfg.voxel
        z, seg, uu, vv = z[ok], seg[ok], uu[ok], vv[ok]
    keys = pixel_keys(uu, vv, z, intrinsics, pose, cfg.voxel)
    if image is None:
        rgb = np.full((len(z), 3), 128, np.uint8)
    else:
        rgb = take_rows(image.reshape(-1, image.shape[2]), vv * image.shape[1] + uu)[:, ::-1]
    return _group(keys, seg, rgb, n_segments)


def lift_masks(masks: np.ndarray, depth: np.ndarray, image: np.ndarray | None, intrinsics: Intrinsics,
               pose: np.ndarray, cfg: LiftConfig = LiftConfig()) -> LiftedSegments:
    """Lift NxHxW boolean masks (painted largest-first, small masks win) into per-segment world voxels."""
    check_frame(depth, intrinsics, pose)
    if masks.ndim != 3 or masks.shape[1:] != depth.shape:
        raise InputError(f"masks of shape {masks.shape} do not match depth {depth.shape}")
    labels = paint_labels(masks, max(1, int(cfg.stride)))
    return lift_labels(labels, depth, image, intrinsics, pose, len(masks), cfg)


def _group(keys: np.ndarray, seg: np.ndarray, rgb: np.ndarray, n_segments: int) -> LiftedSegments:
    """Collapse points into unique (segment, key) cells with mean colour and point counts."""
    if len(keys) == 0:
        e = np.zeros(0, np.int64)
        return LiftedSegments(e, e.copy(), np.zeros((0, 3), np.uint8), e.copy(), n_segments)
    order = sort_order(seg, compact_keys(keys))
    keys, seg = keys.take(order), seg.take(order)
    start = np.ones(len(keys), bool)
    start[1:] = (keys[1:] != keys[:-1]) | (seg[1:] != seg[:-1])
    idx = np.flatnonzero(start)
    counts = np.diff(np.append(idx, len(keys)))
    cell = np.empty(len(keys), np.intp)  # cell of each point, in the input order
    cell[order] = np.cumsum(start) - 1
    sums = np.stack([np.bincount(cell, rgb[:, c], len(idx)) for c in range(rgb.shape[1])], axis=1)
    return LiftedSegments(keys[idx], seg[idx], (sums / counts[:, None]).astype(np.uint8), counts.astype(np.int64),
                          n_segments)
