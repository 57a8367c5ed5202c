"""Foreground mask -> object boxes: clean-up, connected components, and splitting of merged groups.

A blob wider or taller than one person at its foot row (the perspective size model says how big that is) is
explained greedily by person-sized boxes: each step places the box that covers the most still-unexplained
foreground, net of the empty pixels it encloses, until no placement is mostly foreground. People walking side
by side hide each other's flanks, so a group is already a group at 1.3 person widths, and the boxes placed in
it are narrower than a lone walker's (``core`` of the size model's width, which includes swinging limbs).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from perception.detection.size_model import PersonSizeModel


@dataclass
class Blob:
    """One connected foreground component at working resolution: box (x0, y0, x1, y1, exclusive ends),
    its pixel count and its component label."""

    box: np.ndarray
    area: int
    label: int


def clean_mask(fg: np.ndarray, close_height: int) -> np.ndarray:
    """Drop isolated pixels (3x3 median) and bridge small gaps (an upright elliptic closing), as uint8 0/1."""
    m = cv2.medianBlur(fg.astype(np.uint8), 3)
    h = max(3, close_height | 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (max(3, (h // 2) | 1), h))
    return cv2.morphologyEx(m, cv2.MORPH_CLOSE, kernel)


def find_blobs(mask: np.ndarray, min_area: int) -> tuple[np.ndarray, list[Blob]]:
    """Label image and the components of at least ``min_area`` pixels."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    blobs = []
    for i in range(1, n):
        x, y, w, h, area = stats[i]
        if area >= min_area:
            blobs.append(Blob(np.array([x, y, x + w, y + h], np.float64), int(area), i))
    return labels, blobs


def oversized(box: np.ndarray, size: PersonSizeModel, wide: float = 1.3, tall: float = 1.5) -> bool:
    """True when ``box`` is wider or taller than one person at its foot row by the given factors."""
    foot = box[3]
    return bool((box[2] - box[0]) > wide * size.width(foot) or (box[3] - box[1]) > tall * size.height(foot))


def split_blob(mask: np.ndarray, origin: tuple[int, int], size: PersonSizeModel, min_fill: float = 0.45,
               empty_cost: float = 0.4, max_boxes: int = 12, core: float = 0.85) -> list[np.ndarray]:
    """Person-sized boxes (x0, y0, x1, y1 in the frame) that explain the 0/1 ``mask`` of one blob whose top-left
    pixel is ``origin``, ``core`` times the size model's width; each box is tightened to the foreground it
    encloses."""
    hc, wc = mask.shape
    ox, oy = origin
    feet = np.arange(1, hc + 1)  # bottom edges (exclusive) in crop rows
    heights = np.maximum(np.round(size.height(oy + feet)).astype(int), 2)
    widths = np.maximum(np.round(core * size.width(oy + feet)).astype(int), 2)
    pad_x, pad_y = int(widths.max()), int(heights.max())
    rem = np.zeros((hc + pad_y, wc + 2 * pad_x), np.uint8)
    rem[pad_y:, pad_x:pad_x + wc] = mask
    xs = np.arange(wc + pad_x)  # left edges in padded columns
    b = (feet + pad_y)[:, None]
    t = b - heights[:, None]
    x1 = np.minimum(xs[None, :] + widths[:, None], rem.shape[1])
    area = (heights * widths)[:, None].astype(np.float64)
    corners = _box_corners(b, t, xs, x1, rem.shape[1] + 1)
    boxes: list[np.ndarray] = []
    for _ in range(max_boxes):
        ii = cv2.integral(rem).ravel()  # (rows + 1) x (cols + 1), flat
        bx1, tx1, bx0, tx0 = (ii.take(k) for k in corners)
        s = bx1 - tx1 - bx0 + tx0
        gain = np.where(s >= min_fill * area, s - empty_cost * area, -np.inf)
        r, c = np.unravel_index(int(np.argmax(gain)), gain.shape)
        if not np.isfinite(gain[r, c]):
            break
        top, bottom, left, right = int(t[r, 0]), int(b[r, 0]), int(c), int(x1[r, c])
        core = rem[top:bottom, left:right]
        ys, xs_on = np.nonzero(core)
        boxes.append(np.array([left + xs_on.min() - pad_x + ox, top + ys.min() - pad_y + oy,
                               left + xs_on.max() + 1 - pad_x + ox, top + ys.max() + 1 - pad_y + oy], np.float64))
        margin = (right - left) // 6  # keep the flanks: they may belong to a neighbour partly hidden behind
        rem[top:bottom, left + margin:right - margin] = 0
    return boxes


def _box_corners(b: np.ndarray, t: np.ndarray, x0: np.ndarray, x1: np.ndarray, cols: int) -> list[np.ndarray]:
    """Flat indices into a ``cols``-wide integral image of each candidate box's corners: (bottom, right),
    (top, right), (bottom, left), (top, left); the same every step, so computed once."""
    return [b * cols + x1, t * cols + x1, b * cols + x0, t * cols + x0]
