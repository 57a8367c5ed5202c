"""A per-pixel background model for a static camera: running Gaussian colour, shadow test, selective update.

Foreground is a colour distance of several standard deviations from the background mean. A pixel that is
darker than the background by a bounded factor with the same chromaticity is a cast shadow, not an object
(the brightness/chromaticity distortion test of Horprasert et al.), unless the background is textured there
and the frame's local gradients no longer follow it: a shadow keeps the texture of the surface it falls on, a
dark coat in front of dark glass hides it. Global gain changes (auto exposure, the
sun going behind a cloud) are divided out before the test. Background pixels adapt quickly, foreground pixels
very slowly, so an object that stops stays foreground for ``absorb_s`` seconds before it becomes scenery.
"""

from __future__ import annotations

import cv2
import numpy as np


class BackgroundModel:
    """Running Gaussian per pixel over small float32 BGR frames; the first frame (or ``reset``) initialises it.

    fps: frame rate, to turn the time constants into per-frame rates; adapt_s: time constant of background
    pixels; absorb_s: time constant with which foreground (e.g. a stopped object) joins the background;
    k_sigma: foreground threshold in standard deviations; min_sigma / max_sigma / init_sigma: floor, ceiling
    and start of the per-pixel deviation (grey levels); shadow_range: brightness ratios of a cast shadow; shadow_chroma: largest
    chromaticity distortion (relative to the background's brightness) of a shadow pixel; texture_window: side
    of the square over which gradients are compared; texture_min: least RMS Sobel gradient of the background in
    that window for its texture to count; texture_corr: a shadow's gradients correlate with the background's at
    least this much.
    """

    def __init__(self, fps: float, adapt_s: float = 4.0, absorb_s: float = 30.0, k_sigma: float = 3.0,
                 min_sigma: float = 7.0, max_sigma: float = 15.0, init_sigma: float = 10.0, shadow_range: tuple[float, float] = (0.45, 0.95),
                 shadow_chroma: float = 0.12, texture_window: int = 3, texture_min: float = 80.0,
                 texture_corr: float = 0.2):
        self.alpha_bg = 1.0 - float(np.exp(-1.0 / (fps * adapt_s)))
        self.alpha_fg = 1.0 - float(np.exp(-1.0 / (fps * absorb_s)))
        self.k_sigma, self.min_var, self.max_var = k_sigma, min_sigma ** 2, max_sigma ** 2
        self.init_var = init_sigma ** 2
        self.shadow_range, self.shadow_chroma = shadow_range, shadow_chroma
        self.texture_window, self.texture_min, self.texture_corr = texture_window, texture_min, texture_corr
        self.mean: np.ndarray | None = None
        self.var: np.ndarray | None = None

    @property
    def ready(self) -> bool:
        """True once a frame has initialised the model."""
        return self.mean is not None

    def reset(self, frame: np.ndarray | None = None) -> None:
        """Forget the model, or restart it from ``frame`` (HxWx3 float32)."""
        if frame is None:
            self.mean = self.var = None
            return
        self.mean = frame.astype(np.float32, copy=True)
        self.var = np.full(frame.shape[:2], self.init_var, np.float32)

    def compensate_gain(self, frame: np.ndarray, background: np.ndarray, step: int = 3) -> float:
        """Scale the model by the global gain of ``frame`` against it, measured on ``background`` pixels (every
        ``step``-th row and column: a median over thousands of pixels needs no more)."""
        pick = (slice(None, None, step), slice(None, None, step))
        keep = background[pick]
        cur, ref = frame[pick].sum(axis=2)[keep], self.mean[pick].sum(axis=2)[keep]
        ok = ref > 30.0
        if ok.sum() < 100:
            return 1.0
        gain = float(np.median(cur[ok] / ref[ok]))
        if abs(gain - 1.0) > 0.01:
            self.mean *= gain
        return gain

    def classify(self, frame: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(foreground, shadow) boolean maps of ``frame``; shadow pixels are not foreground."""
        diff = frame - self.mean
        dist2 = np.einsum("ijk,ijk->ij", diff, diff)
        fg = dist2 > (self.k_sigma ** 2) * 3.0 * np.maximum(self.var, self.min_var)
        # the shadow test, on the changed pixels only (a small share of the frame)
        f, m = frame[fg], self.mean[fg]
        mm = np.einsum("ij,ij->i", m, m) + 1e-3
        ratio = np.einsum("ij,ij->i", f, m) / mm
        rest = f - ratio[:, None] * m
        lo, hi = self.shadow_range
        shadow = np.zeros_like(fg)
        shadow[fg] = (ratio >= lo) & (ratio <= hi) & (np.einsum("ij,ij->i", rest, rest) <= (self.shadow_chroma ** 2) * mm)
        shadow &= ~self.texture_lost(frame)
        return fg & ~shadow, shadow

    def texture_lost(self, frame: np.ndarray) -> np.ndarray:
        """Pixels where the background is textured and the frame's local gradients do not correlate with it."""
        (fx, fy), (bx, by) = _gradients(frame), _gradients(self.mean)
        k = (self.texture_window, self.texture_window)
        fb = cv2.boxFilter(fx * bx + fy * by, -1, k)
        ff = cv2.boxFilter(fx * fx + fy * fy, -1, k)
        bb = cv2.boxFilter(bx * bx + by * by, -1, k)
        return (bb > self.texture_min ** 2) & (fb <= self.texture_corr * np.sqrt(np.maximum(ff * bb, 0.0)))

    def update(self, frame: np.ndarray, foreground: np.ndarray) -> None:
        """Blend ``frame`` in: background pixels at the fast rate, ``foreground`` pixels at the slow one."""
        rate = np.where(foreground, self.alpha_fg, self.alpha_bg).astype(np.float32)
        diff = frame - self.mean
        self.mean += rate[..., None] * diff
        bg_rate = np.where(foreground, 0.0, self.alpha_bg).astype(np.float32)
        self.var += bg_rate * (np.einsum("ijk,ijk->ij", diff, diff) / 3.0 - self.var)
        np.minimum(self.var, self.max_var, out=self.var)

    def heal(self, frame: np.ndarray, region: np.ndarray) -> None:
        """Make ``region`` background at once (a ghost: scenery uncovered by an object that left)."""
        pick = np.flatnonzero(region)  # flat indices: a boolean mask over whole arrays costs 30x more
        self.mean.reshape(-1, 3)[pick] = frame.reshape(-1, 3)[pick]
        self.var.reshape(-1)[pick] = self.init_var


def _gradients(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sobel x and y gradients of the grey version of a float32 BGR image."""
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    return cv2.Sobel(gray, cv2.CV_32F, 1, 0), cv2.Sobel(gray, cv2.CV_32F, 0, 1)
