"""Camera-motion compensation for moving cameras: sparse optical flow + RANSAC partial affine (OpenCV)."""

from __future__ import annotations

import cv2
import numpy as np


class CameraMotion:
    """Estimates the frame-to-frame image warp and moves Kalman box states with it."""

    def __init__(self, max_corners: int = 400, downscale: int = 2):
        self.max_corners = max_corners
        self.downscale = downscale
        self.reset()

    def reset(self) -> None:
        """Forget the previous frame."""
        self._prev: np.ndarray | None = None
        self._points: np.ndarray | None = None

    def estimate(self, image: np.ndarray) -> np.ndarray:
        """2x3 affine taking the previous frame's pixels to this frame's (identity when unknown)."""
        gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
        if self.downscale > 1:
            gray = cv2.resize(gray, (gray.shape[1] // self.downscale, gray.shape[0] // self.downscale))
        warp = np.eye(2, 3)
        if self._prev is not None and self._points is not None and len(self._points) >= 8:
            nxt, status, _ = cv2.calcOpticalFlowPyrLK(self._prev, gray, self._points, None)
            ok = status.ravel() == 1
            if ok.sum() >= 8:
                a, _inliers = cv2.estimateAffinePartial2D(self._points[ok], nxt[ok], method=cv2.RANSAC)
                if a is not None:
                    warp = a.copy()
                    warp[:, 2] *= self.downscale
        self._prev = gray
        self._points = cv2.goodFeaturesToTrack(gray, self.max_corners, 0.01, 5)
        return warp

    @staticmethod
    def apply(warp: np.ndarray, means: np.ndarray, covs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Move Nx8 ``[cx, cy, w, h, v...]`` states and their covariances by a 2x3 affine."""
        r, t = warp[:, :2], warp[:, 2]
        scale = float(np.sqrt(abs(np.linalg.det(r))))
        m = np.eye(8)
        m[:2, :2] = r
        m[4:6, 4:6] = r
        m[2:4, 2:4] *= scale
        m[6:8, 6:8] *= scale
        means = means @ m.T
        means[:, :2] += t
        covs = m @ covs @ m.T
        return means, covs
