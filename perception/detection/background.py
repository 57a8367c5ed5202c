"""A per-pixel background model for a static camera: running Gaussian colour, shadow test, selective update.

Foreground is a colour distance of several standard deviations from the background mean. A pixel that is
darker than the background by a bounded factor with the same chromaticity is a cast shadow, not an object
(the brightness/chromaticity distortion test of Horprasert et al.). Global gain changes (auto exposure, the
sun going behind a cloud) are divided out before the test. Background pixels adapt quickly, foreground pixels
very slowly, so an object that stops stays foreground for ``absorb_s`` seconds before it becomes scenery.
"""

from __future__ import annotations

import numpy as np


class BackgroundModel:
    """Running Gaussian per pixel over small float32 BGR frames; the first frame (or ``reset``) initialises it.

    fps: frame rate, to turn the time constants into per-frame rates; adapt_s: time constant of background
    pixels; absorb_s: time constant with which foreground (e.g. a stopped object) joins the background;
    k_sigma: foreground threshold in standard deviations; min_sigma / max_sigma / init_sigma: floor, ceiling
    and start of the per-pixel deviation (grey levels); shadow_range: brightness ratios of a cast shadow; shadow_chroma: largest
    chromaticity distortion (relative to the background's brightness) of a shadow pixel.
    """

    def __init__(self, fps: float, adapt_s: float = 4.0, absorb_s: float = 30.0, k_sigma: float = 3.0,
                 min_sigma: float = 7.0, max_sigma: float = 15.0, init_sigma: float = 10.0, shadow_range: tuple[float, float] = (0.45, 0.95),
                 shadow_chroma: float = 0.12):
        self.alpha_bg = 1.0 - float(np.exp(-1.0 / (fps * adapt_s)))
        self.alpha_fg = 1.0 - float(np.exp(-1.0 / (fps * absorb_s)))
        self.k_sigma, self.min_var, self.max_var = k_sigma, min_sigma ** 2, max_sigma ** 2
        self.init_var = init_sigma ** 2
        self.shadow_range, self.shadow_chroma = shadow_range, shadow_chroma
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
        return fg & ~shadow, shadow

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
        self.mean[region] = frame[region]
        self.var[region] = self.init_var
