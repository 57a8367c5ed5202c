"""Thin objects lying on a support plane (a marker, a spoon, a flat box): too low for the coarse grid's depth
jumps, so the plane takes them. On a finer grid, plane pixels standing clearly above the plane on the camera's
side become objects. Their masks follow depth alone: an RGB-D sensor's colour is registered to its depth only to a
few pixels, as wide as a marker's low rim, so colour would move the mask onto the plane beside the object.
"""

from __future__ import annotations

import cv2
import numpy as np

from perception.segmentation.base import subsample
from perception.types import Intrinsics

Plane = tuple[np.ndarray, float]  # unit normal n and offset c of n . x + c = 0, camera frame


def raised_objects(lab: np.ndarray, stride: int, planes: dict[int, Plane], depth: np.ndarray, image: np.ndarray,
                   k: Intrinsics, min_pixels: int, fine: int = 2, margin: int = 3,
                   max_height: float = 0.05) -> tuple[np.ndarray, int, np.ndarray, np.ndarray] | None:
    """``lab`` (on ``image[::stride, ::stride]``) with the thin objects on its ``planes`` as new segments, on the
    grid ``image[::r, ::r]`` with ``r = stride // fine``, ``r``, that grid's colours and, per label, whether it is an
    object lying on a plane (no tenth of it above 0.7 ``max_height``: not the foot of a taller object whose upper part
    the coarse grid left unsegmented); None when no plane holds one.

    Candidates are plane or unlabelled pixels higher than the noise and lower than ``max_height`` above the plane,
    in pieces reaching within ``margin`` fine pixels of its pixels (an object whose middle the coarse grid left
    unlabelled comes whole, not as its outline), away from segmented objects (their unlabelled rim), with a tenth of
    their pixels above twice the noise threshold (noise on a far wall or floor barely clears it). Segments of
    ``lab`` under ``min_pixels`` (full-resolution pixels) are dropped; a thin object needs a quarter of that, and
    one under half of it (a marker a metre away) also takes the pixels around it above half the noise threshold,
    its low rim being much of it.
    """
    r = max(1, stride // fine)
    if r >= stride or not planes:
        return None
    height, width = depth.shape
    hr, wr = -(-height // r), -(-width // r)
    n_lab = int(lab.max()) + 1
    counts = np.bincount(lab[lab >= 0], minlength=n_lab) * stride * stride
    keep = np.append(np.where(counts >= min_pixels, np.arange(n_lab), -1), -1).astype(np.int32)  # [-1] -> -1
    fine_lab = cv2.resize(keep[lab], (wr, hr), interpolation=cv2.INTER_NEAREST)
    plane_lut = np.zeros(n_lab + 1, bool)
    plane_lut[[p for p in planes if p < n_lab]] = True
    z = np.nan_to_num(depth[::r, ::r], nan=0.0).astype(np.float32, copy=False)
    z = cv2.medianBlur(z, 3)  # single-pixel spikes and flying pixels
    x = (np.arange(wr, dtype=np.float32) * r - k.cx) / k.fx * z
    y = (np.arange(hr, dtype=np.float32)[:, None] * r - k.cy) / k.fy * z
    thresh = np.clip(0.006 * z, 0.004, 0.03)  # above axial noise at table range (after the median), below a marker
    ring = np.ones((2 * margin + 1, 2 * margin + 1), np.uint8)
    is_plane = plane_lut[fine_lab]
    # the unlabelled rim around a segmented object stands above the plane too; it is that object's, not a new one
    objects = np.flatnonzero(cv2.dilate(((fine_lab >= 0) & ~is_plane).astype(np.uint8), ring))
    free = (z > 0) & (is_plane | (fine_lab < 0))
    colour = subsample(image, r)
    found = np.zeros((hr, wr), np.uint16)  # 1.. objects found on any plane
    lying: list[int] = []
    for label, (normal, offset) in planes.items():
        on = fine_lab == label
        near = free & (cv2.dilate(on.astype(np.uint8), ring) > 0)
        above = x * normal[0] + y * normal[1] + z * normal[2] + offset
        above *= np.float32(np.sign(offset))  # camera side > 0 (in place: the sign is exact in float32)
        up = free & (above > thresh) & (above < np.float64(max_height))  # compared as in float64
        up = cv2.morphologyEx(up.astype(np.uint8), cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8)) & free
        n, comp, stats = _components(up)
        area = stats[:, cv2.CC_STAT_AREA]
        by_object = np.bincount(comp.ravel()[objects], minlength=n) / np.maximum(area, 1)
        touch = np.zeros(n, bool)
        touch[comp[near & (up > 0)]] = True  # reaching in from the plane's margin
        clear = _share(comp, n, area, (above > 2 * thresh) & (up > 0)) >= 0.1
        big = np.flatnonzero((area * r * r >= min_pixels / 4) & clear & (by_object < 0.5) & touch)
        big = big[big > 0]
        if len(big) == 0:
            continue
        ids = np.zeros(n, np.uint16)
        ids[big] = found.max() + 1 + np.arange(len(big))
        x0, y0 = stats[big, :2].min(0)
        x1, y1 = (stats[big, :2] + stats[big, 2:4]).max(0)
        box = np.s_[y0:y1, x0:x1]
        crop = ids[comp[box]]
        found[box] = np.where(crop > 0, crop, found[box])
        low = _share(comp, n, area, (above > 0.7 * max_height) & (up > 0)) <= 0.1
        lying += ids[big[low[big]]].tolist()
        rim = free & (found == 0) & (above > np.float32(0.5) * thresh) & (above < np.float64(max_height))
        found = _grow(found, ids[big[area[big] * r * r < min_pixels / 2]], rim)
    if not found.any():
        return None
    out = np.where(found > 0, found.astype(np.int32) + n_lab - 1, fine_lab)
    thin = np.zeros(int(out.max()) + 1, bool)
    thin[np.array(lying, np.int64) + n_lab - 1] = True
    return out.astype(np.int32), r, colour, thin


def _share(comp: np.ndarray, n: int, area: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Per component of ``comp`` (``n`` of them, ``area`` pixels each): the share of its pixels in ``mask``."""
    return np.bincount(comp.ravel(), mask.ravel(), n) / np.maximum(area, 1)


def _grow(found: np.ndarray, ids: np.ndarray, into: np.ndarray) -> np.ndarray:
    """``found`` with the objects ``ids`` grown by one pixel (8-neighbourhood) into the pixels ``into``."""
    if len(ids) == 0:
        return found
    grown = cv2.dilate(np.where(np.isin(found, ids), found, 0).astype(found.dtype), np.ones((3, 3), np.uint8))
    return np.where(into & (grown > 0), grown, found)


def _components(mask: np.ndarray) -> tuple[int, np.ndarray, np.ndarray]:
    """``cv2.connectedComponentsWithStats(mask, connectivity=8)`` run on the box of its pixels only (from an even
    row and column, so the 2x2-block scan numbers the components the same); stats[0] is the box's background."""
    x, y, w, h = cv2.boundingRect(mask)
    comp = np.zeros(mask.shape, np.int32)
    if w == 0:
        return 1, comp, np.zeros((1, 5), np.int32)
    box = np.s_[y - y % 2:y + h, x - x % 2:x + w]
    n, comp[box], stats, _ = cv2.connectedComponentsWithStats(mask[box], connectivity=8)
    stats[:, :2] += (x - x % 2, y - y % 2)
    return n, comp, stats

