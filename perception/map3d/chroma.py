"""Shading-invariant colour of map instances: the chromaticity (r, g, b) / (r + g + b) of their voxels, which a face's
lighting scales away (the lit top and the shaded side of one table), unlike brightness or the hue of near-grey colours."""

from __future__ import annotations

import numpy as np


def chromaticity(rgb: np.ndarray, labels: np.ndarray, i: int) -> np.ndarray:
    """Median chromaticity (3,) of the voxels labelled ``i`` (``rgb``: N x 3 uint8 voxel colours)."""
    c = rgb[labels == i].astype(np.float64) + 1.0
    return np.median(c / c.sum(1, keepdims=True), axis=0)


def same_chromaticity(rgb: np.ndarray, labels: np.ndarray, a: int, b: int, tol: float) -> bool:
    """Whether instances ``a`` and ``b`` have median chromaticities within ``tol`` of each other in every channel."""
    return bool(np.abs(chromaticity(rgb, labels, a) - chromaticity(rgb, labels, b)).max() <= tol)
