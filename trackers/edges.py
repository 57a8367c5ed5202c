"""Sparse track-detection edges: features, top-k candidate selection, a calibrated score, message passing."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

FEATURES = ("dx/w", "dy/h", "log w ratio", "log h ratio", "iou", "cosine")


def edge_features(t: np.ndarray, d: np.ndarray, iou: np.ndarray) -> np.ndarray:
    """TxDx6 features (see FEATURES) of Tx4 track and Dx4 detection boxes (centre x, centre y, width, height)
    given their TxD IoU; the cosine column is NaN until appearance fills it."""
    tw = np.maximum(t[:, None, 2], 1e-6)
    th = np.maximum(t[:, None, 3], 1e-6)
    feats = np.empty((len(t), len(d), 6))
    feats[..., 0] = (d[None, :, 0] - t[:, None, 0]) / tw
    feats[..., 1] = (d[None, :, 1] - t[:, None, 1]) / th
    feats[..., 2] = np.log(np.maximum(d[None, :, 2], 1e-6) / tw)
    feats[..., 3] = np.log(np.maximum(d[None, :, 3], 1e-6) / th)
    feats[..., 4] = iou
    feats[..., 5] = np.nan
    return feats


def _top_k(values: np.ndarray, k: int, valid: np.ndarray) -> np.ndarray:
    """Boolean TxD mask of each row's k largest valid values (ties at the k-th value all kept)."""
    if values.shape[1] <= k:
        return valid.copy()
    v = np.where(valid, values, -np.inf)
    kth = -np.partition(-v, k - 1, axis=1)[:, k - 1:k]
    return valid & (v >= kth)


def gate(feats: np.ndarray, misses: np.ndarray, size: float = 2.0, growth: float = 0.3) -> np.ndarray:
    """TxD: detection centre within ``size`` box sizes of the prediction, widening by ``growth`` per missed frame."""
    return np.hypot(feats[..., 0], feats[..., 1]) <= size * (1.0 + growth * misses)[:, None]


def sparse_edges(feats: np.ndarray, near: np.ndarray, k: int) -> np.ndarray:
    """Inside the gate ``near``, each track's top-k detections by IoU, by centre distance and by appearance
    (where the cosine column is known)."""
    iou, cos = feats[..., 4], feats[..., 5]
    dist = np.hypot(feats[..., 0], feats[..., 1])
    known = np.isfinite(cos)
    mask = _top_k(iou, k, near & (iou > 0)) | _top_k(-dist, k, near)
    if known.any():
        mask |= _top_k(np.where(known, cos, -1.0), k, near & known)
    return mask


@dataclass
class EdgeScorer:
    """Logistic edge score: IoU and appearance raise it; offset from the prediction (relative to an
    uncertainty that grows with missed frames) and size change lower it. Missing appearance is neutral.

    ``cosine_neutral`` (0.88) sits between the HSV-histogram cosines measured on ground-truth boxes of
    TUD-Campus and PETS-S3-MF1: same identity 1-10 frames apart has median 0.95-0.98, different
    identities have 75th percentile 0.82-0.88."""

    bias: float = 0.0
    w_iou: float = 2.0
    w_offset: float = 2.0
    w_size: float = 1.0
    w_cosine: float = 10.0
    cosine_neutral: float = 0.88
    offset_growth: float = 0.3

    def score(self, feats: np.ndarray, misses: np.ndarray) -> np.ndarray:
        """Scores in (0, 1) for Ex6 edge features of tracks with ``misses`` missed frames (E,)."""
        spread = (1.0 + self.offset_growth * misses) ** 2
        offset = (feats[:, 0] ** 2 + feats[:, 1] ** 2) / spread
        size = np.abs(feats[:, 2]) + np.abs(feats[:, 3])
        app = feats[:, 5] - self.cosine_neutral
        app[np.isnan(app)] = 0.0
        z = self.bias + self.w_iou * feats[:, 4] - self.w_offset * offset - self.w_size * size + self.w_cosine * app
        return 1.0 / (1.0 + np.exp(-z))


def _other_max(s: np.ndarray, axis: int) -> np.ndarray:
    """For each entry, the largest other entry along ``axis`` (0 when there is none)."""
    n = s.shape[axis]
    if n < 2:
        return np.zeros_like(s)
    top = np.partition(s, n - 2, axis=axis)  # the last two along ``axis`` are the second largest, then the largest
    if axis == 0:
        second, first = top[n - 2:n - 1], top[n - 1:]
    else:
        second, first = top[:, n - 2:n - 1], top[:, n - 1:]
    return np.where(s >= first, second, first)


def message_passing(s0: np.ndarray, rounds: int, competition: float) -> np.ndarray:
    """Higher-order edge scores: each round an edge loses score in proportion to how much a competing
    edge (another track claiming the same detection, or another detection for the same track) beats it."""
    s = s0
    for _ in range(rounds):
        col = np.maximum(_other_max(s, 0) - s, 0.0)
        row = np.maximum(_other_max(s, 1) - s, 0.0)
        s = s0 * (1.0 - competition * col) * (1.0 - competition * row)
    return s
