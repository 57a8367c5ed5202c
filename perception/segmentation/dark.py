"""Dark objects (black plastic, dark paint): a structured-light sensor returns depth on only a few of their pixels,
too few for depth edges to outline them, and those few join a touching object's segment or none. A dark colour
region that mostly lacks depth and whose depth stands clear of every support plane becomes one segment.
"""

from __future__ import annotations

import cv2
import numpy as np

from perception.segmentation.base import subsample
from perception.segmentation.on_plane import Plane
from perception.types import Intrinsics


def dark_objects(lab: np.ndarray, planes: dict[int, Plane], image: np.ndarray, depth: np.ndarray, k: Intrinsics,
                 stride: int, min_pixels: int, value: int = 35, max_valid: float = 0.5,
                 min_height: float = 0.01) -> np.ndarray:
    """``lab`` (on ``image[::stride, ::stride]``) with each dark region (every channel under ``value``; unlabelled or
    in segments mostly not dark; not touching a mostly dark segment) of ``min_pixels`` or more full-resolution pixels,
    under ``max_valid`` of them with depth, and the median height of its interior's depth (its border ring left out:
    colour misregistration spills that onto the surfaces around it) ``min_height`` m or more above every plane, as a
    new segment, less the border cells whose depth lies ``min_height`` or more off that height."""
    if not planes:
        return lab
    h, w = lab.shape
    dark = cv2.medianBlur(subsample(image, stride).max(axis=2), 3) < value
    n_lab = int(lab.max()) + 1
    dark_share = np.bincount(lab[lab >= 0], dark[lab >= 0], n_lab) / np.maximum(np.bincount(lab[lab >= 0], None, n_lab), 1)
    mostly_dark = np.append(dark_share >= 0.5, False)  # [-1]: unlabelled
    taken = mostly_dark.copy()
    taken[[p for p in planes if p < n_lab]] = True  # planes and segments mostly dark keep their cells
    near_dark = cv2.dilate((mostly_dark[lab] & dark).view(np.uint8), np.ones((3, 3), np.uint8)) > 0
    n, comp, stats, _ = cv2.connectedComponentsWithStats((dark & ~taken[lab]).view(np.uint8), connectivity=8)
    big = np.flatnonzero(stats[:, cv2.CC_STAT_AREA] * stride * stride >= min_pixels)
    big = big[(big > 0) & (np.bincount(comp[near_dark], minlength=n)[big] == 0)]  # a dark object segmented already
    if len(big) == 0:
        return lab
    share, z = _block_depth(depth, stride, h, w)
    out = lab.copy()
    label = int(lab.max()) + 1
    for c in big.tolist():
        cells = comp == c
        if share[cells].mean() >= max_valid:
            continue
        height = _heights(cells, z, stride, k, planes)
        inner = cv2.erode(cells.view(np.uint8), np.ones((3, 3), np.uint8)).view(bool)
        core = height[(inner if inner.sum() * stride * stride >= min_pixels else cells) & (z > 0)]
        mid = np.median(core) if len(core) >= 3 else 0.0
        if mid < min_height:
            continue
        out[cells & (inner | ~(np.abs(height - mid) >= min_height))] = label  # less border cells off its height
        label += 1
    return out


def _block_depth(depth: np.ndarray, stride: int, h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    """Per ``stride`` block: the share of pixels with depth and their mean depth (0 where none)."""
    block = np.zeros((h * stride, w * stride), np.float32)
    np.copyto(block[:depth.shape[0], :depth.shape[1]], np.nan_to_num(depth[:h * stride, :w * stride]),
              where=np.isfinite(depth[:h * stride, :w * stride]) & (depth[:h * stride, :w * stride] > 0))
    share = cv2.resize((block > 0).astype(np.float32), (w, h), interpolation=cv2.INTER_AREA)
    total = cv2.resize(block, (w, h), interpolation=cv2.INTER_AREA)
    return share, np.where(share > 0, total / np.maximum(share, 1e-6), 0).astype(np.float32)


def _heights(cells: np.ndarray, z: np.ndarray, stride: int, k: Intrinsics, planes: dict[int, Plane]) -> np.ndarray:
    """Height (m) off the nearest plane, on the camera's side, of each of ``cells`` with depth ``z`` (NaN elsewhere)."""
    out = np.full(z.shape, np.nan, np.float32)
    v, u = np.nonzero(cells & (z > 0))
    off = (stride - 1) / 2
    p = k.backproject(u * stride + off, v * stride + off, z[v, u]).T
    out[v, u] = np.min([(p @ n + c) * np.sign(c) for n, c in planes.values()], axis=0)
    return out
