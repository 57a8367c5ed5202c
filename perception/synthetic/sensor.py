"""A Kinect / Xtion-like structured-light depth model applied to clean rendered frames.

Axial noise 1.2 mm + 1.9 mm x (z - 0.4 m)^2, lateral jitter, disparity quantisation, flying pixels at depth edges,
holes on dark, saturated and grazing surfaces, and a fixed colour-to-depth misregistration of a few pixels.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass
class SensorModel:
    """Noise parameters; distances in metres, offsets in pixels."""

    axial_a: float = 0.0012
    axial_b: float = 0.0019
    lateral_px: float = 0.5
    baseline: float = 0.075
    disparity_step: float = 0.125  # sub-pixel disparity resolution of the sensor
    focal_px: float = 580.0  # the depth camera's own focal length (quantisation does not follow render size)
    flying_share: float = 0.5  # share of depth-edge pixels that take a value between both sides
    dark_value: int = 25  # colour darker than this (all channels) loses depth
    bright_value: int = 250  # saturated highlights lose depth
    grazing_deg: float = 78.0  # surfaces seen more obliquely than this lose depth
    hole_share: float = 0.6  # share of dark / bright / grazing pixels that become holes
    misregistration_px: tuple[float, float] = (1.0, 3.0)

    def apply(self, depth: np.ndarray, color: np.ndarray, fx: float, rng: np.random.Generator,
              shift: tuple[float, float] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Noisy (depth, colour) from a clean pair (depth HxW metres, 0 = none; colour HxWx3 BGR uint8).

        ``shift`` (dx, dy) is the colour misregistration in pixels (drawn from ``misregistration_px`` if None)."""
        h, w = depth.shape
        d = depth.astype(np.float32)
        valid = d > 0
        # lateral jitter: every pixel reads depth from a nearby pixel
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        jx = xx + rng.normal(0, self.lateral_px, (h, w)).astype(np.float32)
        jy = yy + rng.normal(0, self.lateral_px, (h, w)).astype(np.float32)
        d = cv2.remap(d, jx, jy, cv2.INTER_NEAREST, borderMode=cv2.BORDER_REPLICATE)
        # flying pixels: across depth edges a share of pixels mixes both sides
        lo, hi = cv2.erode(d, np.ones((3, 3), np.uint8)), cv2.dilate(d, np.ones((3, 3), np.uint8))
        edge = (hi - lo > 0.05) & (lo > 0)
        fly = edge & (rng.random((h, w)) < self.flying_share)
        t = rng.random((h, w)).astype(np.float32)
        d = np.where(fly, lo + t * (hi - lo), d)
        # axial noise growing with depth, then disparity quantisation
        z = np.maximum(d, 1e-3)
        d = d + rng.normal(0, 1, (h, w)).astype(np.float32) * (self.axial_a + self.axial_b * (z - 0.4) ** 2)
        k = self.focal_px * self.baseline / self.disparity_step
        d = np.where(d > 0, k / np.maximum(np.round(k / np.maximum(d, 1e-3)), 1), 0).astype(np.float32)
        # holes on dark, saturated and grazing surfaces
        gray_max = color.max(axis=2)
        gray_min = color.min(axis=2)
        gx = cv2.Sobel(depth.astype(np.float32), cv2.CV_32F, 1, 0, ksize=3) / 8 * fx / np.maximum(depth, 1e-3)
        gy = cv2.Sobel(depth.astype(np.float32), cv2.CV_32F, 0, 1, ksize=3) / 8 * fx / np.maximum(depth, 1e-3)
        grazing = np.hypot(gx, gy) > np.tan(np.deg2rad(self.grazing_deg))
        bad = (gray_max < self.dark_value) | (gray_min > self.bright_value) | (grazing & ~edge)
        bad = cv2.dilate((bad & (rng.random((h, w)) < self.hole_share)).astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
        d[bad | ~valid & ~fly] = 0
        # colour misregistration: the colour image is offset against the depth
        if shift is None:
            mag = rng.uniform(*self.misregistration_px)
            ang = rng.uniform(0, 2 * np.pi)
            shift = (mag * np.cos(ang), mag * np.sin(ang))
        m = np.float32([[1, 0, shift[0]], [0, 1, shift[1]]])
        col = cv2.warpAffine(color, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        return d, col
