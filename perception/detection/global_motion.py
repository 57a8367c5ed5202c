"""Is the camera moving? Sparse corners tracked frame to frame (Lucas-Kanade) and a RANSAC similarity fit.

People moving in front of a static camera move a minority of the corners, so the robust fit stays at the
identity; a pan, tilt, zoom or shake moves most of them together. A dense crowd walking one way can hold most
corners, so the caller may exclude the pixels it knows are foreground, and a motion counts only when at least
``min_consensus`` of the followed corners agree with it. The decision is the largest displacement
the fitted warp gives any image corner, in pixels of the frames given.
"""

from __future__ import annotations

import cv2
import numpy as np


class GlobalMotion:
    """Frame-to-frame camera motion on small grey frames; ``update`` returns the largest corner shift in pixels."""

    def __init__(self, max_corners: int = 200, min_tracked: float = 0.3, min_consensus: float = 0.3):
        self.max_corners, self.min_tracked, self.min_consensus = max_corners, min_tracked, min_consensus
        self.reset()

    def reset(self) -> None:
        """Forget the previous frame."""
        self._prev: np.ndarray | None = None

    def update(self, gray: np.ndarray, exclude: np.ndarray | None = None) -> float:
        """Largest corner displacement (pixels) of the warp from the previous frame to ``gray``; 0 for the first
        frame, for frames without texture and without a consensus motion; infinite when the corners cannot be
        followed (a cut, a whip pan). ``exclude``: pixels (bool, like ``gray``) where no corner is taken."""
        prev, self._prev = self._prev, gray
        if prev is None:
            return 0.0
        mask = None if exclude is None else (~exclude).astype(np.uint8)
        pts = cv2.goodFeaturesToTrack(prev, self.max_corners, 0.01, 7, mask=mask, blockSize=5)
        if pts is None or len(pts) < 12:
            return 0.0
        nxt, status, _ = cv2.calcOpticalFlowPyrLK(prev, gray, pts, None, winSize=(15, 15), maxLevel=3)
        ok = status.ravel() == 1
        if ok.sum() < max(8, self.min_tracked * len(pts)):
            return float("inf")
        warp, inliers = cv2.estimateAffinePartial2D(pts[ok], nxt[ok], method=cv2.RANSAC, ransacReprojThreshold=1.0)
        if warp is None or inliers is None or inliers.sum() < self.min_consensus * ok.sum():
            return 0.0  # no consensus: no evidence of a camera motion (the foreground-share guard still applies)
        h, w = gray.shape
        corners = np.array([[0, 0, 1], [w, 0, 1], [0, h, 1], [w, h, 1]], np.float64)
        return float(np.abs(corners @ warp.T - corners[:, :2]).max())
