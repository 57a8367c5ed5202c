"""Appearance without downloaded weights: HSV colour histograms over the upper and lower body.

Given detector embeddings they are used as they are; given masks, the histograms count only mask
pixels. Every vector is L2-normalised, so a dot product is the cosine similarity.
"""

from __future__ import annotations

import cv2
import numpy as np

_BINS = [8, 4]  # hue x saturation per body part
_RANGES = [0, 180, 0, 256]


def _normalise(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, dtype=np.float32)
    return v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)


def _histograms(hsv: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
    """Square-rooted H-S histograms of the upper and lower half of one crop (head row skipped)."""
    h = hsv.shape[0]
    parts = [(h // 8, h // 2), (h // 2, h)]
    out = []
    for top, bottom in parts:
        m = None if mask is None else mask[top:bottom].astype(np.uint8)
        hist = cv2.calcHist([hsv[top:bottom]], [0, 1], m, _BINS, _RANGES).ravel()
        out.append(np.sqrt(hist / max(hist.sum(), 1.0)))
    return np.concatenate(out)


def box_embeddings(image: np.ndarray, xyxy: np.ndarray, masks: np.ndarray | None = None) -> np.ndarray:
    """NxD unit vectors for the boxes of a HxWx3 uint8 BGR image (zero vector for empty crops)."""
    xyxy = np.asarray(xyxy, dtype=np.float64).reshape(-1, 4)
    h, w = image.shape[:2]
    dim = 2 * _BINS[0] * _BINS[1]
    out = np.zeros((len(xyxy), dim), dtype=np.float32)
    boxes = np.round(xyxy).astype(int)
    boxes[:, [0, 2]] = np.clip(boxes[:, [0, 2]], 0, w)
    boxes[:, [1, 3]] = np.clip(boxes[:, [1, 3]], 0, h)
    for i, (x1, y1, x2, y2) in enumerate(boxes):
        if x2 - x1 < 2 or y2 - y1 < 4:
            continue
        hsv = cv2.cvtColor(image[y1:y2, x1:x2], cv2.COLOR_BGR2HSV)
        mask = None if masks is None else masks[i, y1:y2, x1:x2]
        out[i] = _histograms(hsv, mask)
    return _normalise(out)


def detection_embeddings(image: np.ndarray | None, xyxy: np.ndarray, masks: np.ndarray | None,
                         embeddings: np.ndarray | None, rows: np.ndarray) -> np.ndarray | None:
    """Unit appearance vectors for the detections ``rows``: given embeddings first, else histograms; None without either."""
    if embeddings is not None:
        return _normalise(embeddings[rows])
    if image is None or len(rows) == 0:
        return None
    return box_embeddings(image, xyxy[rows], None if masks is None else masks[rows])
