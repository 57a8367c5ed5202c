"""Appearance without downloaded weights: HSV colour histograms over the upper and lower body.

Given detector embeddings they are used as they are; given masks, the histograms count only mask
pixels. Every vector is L2-normalised, so a dot product is the cosine similarity.
"""

from __future__ import annotations

import cv2
import numpy as np

_BINS = [8, 4]  # hue x saturation per body part
_SAMPLE = (24, 48)  # crops are sampled (nearest pixel) on this width x height grid
_PARTS = 2  # upper and lower body


def _normalise(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, dtype=np.float32)
    return v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)


def _bin_lut() -> np.ndarray:
    """cv2.LUT table for HSV: hue -> hue bin x saturation bins, saturation -> saturation bin, value -> 0."""
    lut = np.zeros((256, 1, 3), np.uint8)
    v = np.arange(256)
    lut[:, 0, 0] = np.minimum(v * _BINS[0] // 180, _BINS[0] - 1) * _BINS[1]
    lut[:, 0, 1] = v * _BINS[1] // 256
    return lut


_LUT = _bin_lut()
_TOP = _SAMPLE[1] // 8  # head rows are skipped: never sampled
_COLS = np.arange(_SAMPLE[0]) + 0.5  # sample positions in grid cells
_ROWS = np.arange(_TOP, _SAMPLE[1]) + 0.5
_PART = np.arange(_TOP, _SAMPLE[1]) >= _SAMPLE[1] // 2  # lower body rows


def box_embeddings(image: np.ndarray, xyxy: np.ndarray, masks: np.ndarray | None = None) -> np.ndarray:
    """NxD unit vectors for the boxes of a HxWx3 uint8 BGR image (zero vector for empty crops).

    Every box is sampled on a fixed grid of ``_SAMPLE`` pixels (nearest pixel), all boxes at once, then
    hue x saturation histograms of the upper and lower body (the head rows skipped) are square-rooted."""
    xyxy = np.asarray(xyxy, dtype=np.float64).reshape(-1, 4)
    n = len(xyxy)
    bins = _BINS[0] * _BINS[1]
    if n == 0:
        return np.zeros((0, _PARTS * bins), dtype=np.float32)
    h, w = image.shape[:2]
    b = np.clip(xyxy, 0, np.array([w - 1, h - 1, w, h], np.float64))
    size = b[:, 2:] - b[:, :2]
    ok = (size[:, 0] >= 2) & (size[:, 1] >= 4)
    sw, sh = _SAMPLE
    xs = (b[:, None, 0] + _COLS * size[:, 0:1] / sw).astype(np.intp)
    ys = (b[:, None, 1] + _ROWS * size[:, 1:2] / sh).astype(np.intp)
    pixels = ys[:, :, None] * w + xs[:, None, :]  # N x (sh - top) x sw flat pixel indices
    patch = np.ascontiguousarray(image).reshape(-1, 3).take(pixels.ravel(), axis=0).reshape(-1, sw, 3)
    binned = cv2.LUT(cv2.cvtColor(patch, cv2.COLOR_BGR2HSV), _LUT).reshape(n, len(_ROWS), sw, 3)
    # histogram bin: (box, body part) block of ``bins``, then hue x saturation (< 32, no uint8 overflow)
    block = (np.arange(n)[:, None] * _PARTS + _PART) * bins
    code = np.add(binned[..., 0], binned[..., 1], dtype=np.intp)
    code += block[:, :, None]
    weights = None
    if masks is not None:
        weights = np.asarray(masks, dtype=bool).reshape(n, -1)[np.arange(n)[:, None, None], pixels].ravel()
    hist = np.bincount(code.ravel(), weights, minlength=n * _PARTS * bins).reshape(n, _PARTS, bins)
    hist[~ok] = 0.0
    hist = np.sqrt(hist / np.maximum(hist.sum(axis=2, keepdims=True), 1.0))
    return _normalise(hist.reshape(n, -1))


class LazyEmbeddings:
    """Unit appearance vectors of some detection rows, computed only when first asked for.

    Detector embeddings, when given, are used as they are; otherwise colour histograms of the image.
    """

    def __init__(self, image: np.ndarray | None, xyxy: np.ndarray, masks: np.ndarray | None,
                 embeddings: np.ndarray | None, rows: np.ndarray):
        if embeddings is None and image is None:
            raise ValueError("appearance needs an image or detector embeddings")
        self._image, self._xyxy, self._masks, self._rows = image, xyxy, masks, rows
        if embeddings is not None:
            self._vectors = _normalise(embeddings[rows])
            self._done = np.ones(len(rows), dtype=bool)
        else:
            self._vectors = np.zeros((len(rows), _PARTS * _BINS[0] * _BINS[1]), dtype=np.float32)
            self._done = np.zeros(len(rows), dtype=bool)

    @property
    def dim(self) -> int:
        """Vector length."""
        return self._vectors.shape[1]

    def computed(self, j: int) -> bool:
        """Whether candidate ``j`` already has its vector."""
        return bool(self._done[j])

    def computed_mask(self) -> np.ndarray:
        """Boolean per candidate: vector already known."""
        return self._done.copy()

    def get(self, idx: np.ndarray | list[int]) -> np.ndarray:
        """Vectors of candidates ``idx`` (positions in ``rows``), computing the missing ones in one batch."""
        idx = np.asarray(idx, dtype=int).reshape(-1)
        todo = idx[~self._done[idx]]
        if len(todo):
            todo = np.unique(todo)
            rows = self._rows[todo]
            self._vectors[todo] = box_embeddings(self._image, self._xyxy[rows],
                                                 None if self._masks is None else self._masks[rows])
            self._done[todo] = True
        return self._vectors[idx]
