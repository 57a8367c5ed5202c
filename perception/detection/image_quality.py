"""How clean a camera's frames are: per-pixel sensor noise and 8x8 compression blocking, measured on a grey frame."""

from __future__ import annotations

import cv2
import numpy as np

_LAPLACE = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], np.float32)  # Immerkaer's noise mask: zero on planes


def noise_sigma(gray: np.ndarray, step: int = 2) -> float:
    """Standard deviation (grey levels) of per-pixel i.i.d. noise in a uint8 grey frame, robust to edges: the
    median absolute response to Immerkaer's mask (two Laplacians; scenery gives few large responses, noise
    a spread of small ones; a response to unit noise has standard deviation 6), on every ``step``-th pixel of
    the middle half of the rows, read off an integer histogram (median interpolated within its bin)."""
    h = gray.shape[0]
    r = np.abs(cv2.filter2D(gray[h // 4:h - h // 4], cv2.CV_16S, _LAPLACE)[1:-1:step, 1:-1:step])
    hist = np.bincount(np.minimum(r, 255).ravel(), minlength=256)
    c = np.cumsum(hist)
    half = c[-1] / 2.0
    i = int(np.searchsorted(c, half))
    med = i - 0.5 + (half - (c[i - 1] if i else 0)) / max(int(hist[i]), 1)
    return max(med, 0.0) * 1.4826 / 6.0


def blockiness(gray: np.ndarray) -> float:
    """How blocky a uint8 grey frame is (JPEG / MPEG 8x8 blocks): the mean absolute horizontal grey difference
    across the 8-pixel block columns over the mean elsewhere, on every 2nd row (1: no block edges; the shared
    sequences' frames measure 1.1-1.8, the same frames re-encoded at JPEG quality 30 1.6-2.2)."""
    dx = np.abs(np.diff(gray[::2].astype(np.int16), axis=1)).mean(axis=0)
    return float(dx[7::8].mean() / max(float(np.delete(dx, np.s_[7::8]).mean()), 1e-6))
