"""Appearance without downloaded weights: HSV colour histograms over the upper and lower body.

Given detector embeddings they are used as they are; given masks, the histograms count only mask
pixels. Every vector is L2-normalised, so a dot product is the cosine similarity.
"""

from __future__ import annotations

import cv2
import numpy as np

_BINS = [8, 4]  # hue x saturation per body part
_RANGES = [0, 180, 0, 256]
_SAMPLE = (24, 48)  # crops are sampled (nearest pixel) on this width x height grid
_PARTS = 2  # upper and lower body


def _normalise(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, dtype=np.float32)
    return v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)


def box_embeddings(image: np.ndarray, xyxy: np.ndarray, masks: np.ndarray | None = None) -> np.ndarray:
    """NxD unit vectors for the boxes of a HxWx3 uint8 BGR image (zero vector for empty crops).

    Every box is sampled on a fixed grid of ``_SAMPLE`` pixels (nearest pixel), all boxes at once, then
    hue x saturation histograms of the upper and lower body (the head rows skipped) are square-rooted."""
    xyxy = np.asarray(xyxy, dtype=np.float64).reshape(-1, 4)
    n = len(xyxy)
    out = np.zeros((n, _PARTS * _BINS[0] * _BINS[1]), dtype=np.float32)
    if n == 0:
        return out
    h, w = image.shape[:2]
    b = np.clip(xyxy, 0, [w, h, w, h])
    ok = (b[:, 2] - b[:, 0] >= 2) & (b[:, 3] - b[:, 1] >= 4)
    sw, sh = _SAMPLE
    xs = (b[:, None, 0] + (np.arange(sw) + 0.5) * (b[:, None, 2] - b[:, None, 0]) / sw).astype(np.intp)
    ys = (b[:, None, 1] + (np.arange(sh) + 0.5) * (b[:, None, 3] - b[:, None, 1]) / sh).astype(np.intp)
    xs, ys = np.clip(xs, 0, w - 1), np.clip(ys, 0, h - 1)
    patch = image[ys[:, :, None], xs[:, None, :]]  # N x sh x sw x 3
    hsv = cv2.cvtColor(patch.reshape(n * sh, sw, 3), cv2.COLOR_BGR2HSV).reshape(n, sh, sw, 3)
    bins = (hsv[..., 0].astype(np.intp) * _BINS[0] // 180) * _BINS[1] + (hsv[..., 1] >> 6)
    part = np.where(np.arange(sh) < sh // 2, 0, 1)[None, :, None]
    index = (np.arange(n)[:, None, None] * _PARTS + part) * (_BINS[0] * _BINS[1]) + bins
    weight = np.ones(index.shape)
    weight[:, : sh // 8] = 0.0  # head rows
    if masks is not None:
        weight *= masks[np.arange(n)[:, None, None], ys[:, :, None], xs[:, None, :]]
    weight[~ok] = 0.0
    hist = np.bincount(index.ravel(), weight.ravel(), minlength=n * out.shape[1]).reshape(n, _PARTS, -1)
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
        idx = np.asarray(idx, dtype=int)
        todo = idx[~self._done[idx]]
        if len(todo):
            rows = self._rows[todo]
            self._vectors[todo] = box_embeddings(self._image, self._xyxy[rows],
                                                 None if self._masks is None else self._masks[rows])
            self._done[todo] = True
        return self._vectors[idx]
