"""Perspective size model learned online: the image height of an upright person as a function of the foot row.

On a flat ground plane seen by a camera without roll, an upright object of fixed real height H appears
``h = k (y_foot - y_horizon)`` pixels tall, a straight line in the foot row. The line is fitted robustly
(Theil-Sen, so up to ~29 % outliers do no harm) to the boxes of isolated person-shaped blobs; while the fit is
not trustworthy (few samples, too little spread in rows, or a slope of the wrong sign) the model falls back to
the median height. It is ``ready`` only after ``min_samples`` and while the samples agree with it (median
relative deviation at most ``max_spread``): blob heights that scatter widely are fragments, not whole people.
"""

from __future__ import annotations

from collections import deque

import numpy as np
from scipy.stats import theilslopes


class PersonSizeModel:
    """Expected box height and width at a foot row, from samples ``(foot_row, height, width)`` in pixels."""

    def __init__(self, min_samples: int = 30, max_samples: int = 400, refit_every: int = 10,
                 max_spread: float = 0.2):
        self.min_samples, self.refit_every, self.max_spread = min_samples, refit_every, max_spread
        self._samples: deque[tuple[float, float, float]] = deque(maxlen=max_samples)
        self._added = 0
        self.slope = self.intercept = 0.0
        self.aspect = 0.4
        self._floor = 1.0
        self.spread = float("inf")
        self.ready = False

    def reset(self) -> None:
        """Forget every sample."""
        self._samples.clear()
        self._added = 0
        self.slope = self.intercept = 0.0
        self.spread = float("inf")
        self.ready = False

    def add(self, foot_row: float, height: float, width: float) -> None:
        """Record one isolated person-shaped box; refit every ``refit_every`` samples."""
        self._samples.append((float(foot_row), float(height), float(width)))
        self._added += 1
        if len(self._samples) >= self.min_samples and self._added % self.refit_every == 0:
            self._fit()

    def _fit(self) -> None:
        s = np.asarray(self._samples)
        y, h = s[:, 0], s[:, 1]
        self.aspect = float(np.median(s[:, 2] / s[:, 1]))
        slope = intercept = None
        if np.ptp(y) > 0.5 * np.median(h):  # feet spread over at least half a person height
            slope, intercept, _, _ = theilslopes(h, y)
        if slope is None or slope < 0 or not np.all(slope * y + intercept > 0):
            slope, intercept = 0.0, float(np.median(h))
        self.slope, self.intercept = float(slope), float(intercept)
        self._floor = 0.2 * float(np.median(h))
        # whole people of one height agree with the line; fragments and merges scatter around it
        self.spread = float(np.median(np.abs(h / self.height(y) - 1.0)))
        self.ready = self.spread <= self.max_spread

    @property
    def line(self) -> tuple[float, float, float]:
        """(slope, intercept, floor) of the fitted height line: what ``height`` depends on."""
        return self.slope, self.intercept, self._floor

    def height(self, foot_row: np.ndarray | float) -> np.ndarray:
        """Expected height at ``foot_row`` (at least a fifth of the median sample, so extrapolation stays sane)."""
        return np.maximum(self.slope * np.asarray(foot_row, dtype=np.float64) + self.intercept, self._floor)

    def foot_below(self, top_row: np.ndarray | float) -> np.ndarray:
        """Foot row of a person whose head is at ``top_row`` (the row ``y`` where ``y - top_row = height(y)``)."""
        top = np.asarray(top_row, dtype=np.float64)
        foot = (top + self.intercept) / max(1.0 - self.slope, 0.1)
        return np.where(self.slope * foot + self.intercept >= self._floor, foot, top + self._floor)

    def width(self, foot_row: np.ndarray | float) -> np.ndarray:
        """Expected width at ``foot_row``."""
        return self.aspect * self.height(foot_row)
