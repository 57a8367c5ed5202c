"""Synthetic 2D tracking scenes: textured people-like sprites walking across a textured background.

Walkers enter and leave through the left/right image borders on gently curving paths; a walker whose
feet are lower in the image is nearer and drawn in front. Fixed pillars occlude everything behind
them, so walkers vanish completely for a while. Ground truth is exact: per-frame instance masks and
visible boxes (the masks' bounding boxes).
"""

from __future__ import annotations

import colorsys
from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class WalkersConfig:
    """Parameters of a synthetic walkers sequence; the same config always gives the same sequence."""

    seed: int = 0
    n_frames: int = 150
    width: int = 640
    height: int = 480
    n_walkers: int = 12
    n_pillars: int = 2
    fps: float = 25.0


@dataclass
class Walker:
    """One walker: sprite (BGR + mask), 1-based id, first frame (0-based) and foot-point path per frame."""

    id: int
    color: tuple[int, int, int]
    pattern: str
    sprite: np.ndarray
    mask: np.ndarray
    start: int
    feet: np.ndarray

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) of the sprite in pixels."""
        return self.mask.shape[1], self.mask.shape[0]

    def top_left(self, frame: int) -> tuple[int, int] | None:
        """Integer top-left corner of the sprite at 0-based ``frame``, or None when it is not in the scene."""
        k = frame - self.start
        if k < 0 or k >= len(self.feet):
            return None
        w, h = self.size
        fx, fy = self.feet[k]
        return int(round(fx - w / 2)), int(round(fy - h))


PATTERNS = ("stripes", "checker", "dots", "bands")


def _sprite(rng: np.random.Generator, color: np.ndarray, pattern: str, height: int) -> tuple[np.ndarray, np.ndarray]:
    """A textured head-and-body silhouette of ``height`` pixels: BGR uint8 image and bool mask."""
    width = int(height * rng.uniform(0.32, 0.42))
    mask = np.zeros((height, width), np.uint8)
    head = max(3, int(height * 0.11))
    cv2.circle(mask, (width // 2, head), head, 1, -1)
    cv2.ellipse(mask, (width // 2, int(height * 0.45)), (width // 2 - 1, int(height * 0.25)), 0, 0, 360, 1, -1)
    leg_w = max(2, width // 4)
    cv2.rectangle(mask, (width // 2 - leg_w - 1, int(height * 0.6)), (width // 2 - 1, height - 1), 1, -1)
    cv2.rectangle(mask, (width // 2 + 1, int(height * 0.6)), (width // 2 + leg_w + 1, height - 1), 1, -1)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    period = rng.uniform(6, 14)
    if pattern == "stripes":
        tex = np.sin(2 * np.pi * yy / period) > 0
    elif pattern == "checker":
        tex = (np.floor(yy / period) + np.floor(xx / period)) % 2 == 0
    elif pattern == "dots":
        tex = (np.sin(2 * np.pi * xx / period) * np.sin(2 * np.pi * yy / period)) > 0.5
    else:
        tex = np.sin(2 * np.pi * (xx + yy) / (2 * period)) > 0
    dark = color * rng.uniform(0.35, 0.6)
    img = np.where(tex[..., None], color, dark).astype(np.float32)
    img *= (0.85 + 0.15 * np.cos(np.pi * (xx / width - 0.5)))[..., None]
    img[: 2 * head] = color[::-1] * 0.5 + 90
    return np.clip(img, 0, 255).astype(np.uint8), mask.astype(bool)


def _path(rng: np.random.Generator, cfg: WalkersConfig, w: int, h: int, start_x: float | None = None,
          leftward: bool | None = None) -> np.ndarray:
    """Foot points (Nx2) of one walk: constant speed, slowly turning heading, until it leaves the image.

    Without ``start_x`` the walker enters through the left or right border.
    """
    leftward = bool(rng.uniform() < 0.5) if leftward is None else leftward
    speed = rng.uniform(1.2, 3.0) * cfg.height / 480
    y = rng.uniform(0.55, 0.95) * cfg.height
    x = start_x if start_x is not None else (cfg.width + w / 2 + 1 if leftward else -w / 2 - 1)
    heading = (np.pi if leftward else 0.0) + rng.uniform(-0.15, 0.15)
    turn = rng.uniform(-0.003, 0.003)
    pts = []
    for _ in range(cfg.n_frames):
        pts.append((x, y))
        heading += turn
        x += speed * np.cos(heading)
        y = float(np.clip(y + speed * np.sin(heading), 0.5 * cfg.height, cfg.height + 0.1 * h))
        if x < -w or x > cfg.width + w:
            break
    return np.asarray(pts)


def make_walkers(cfg: WalkersConfig) -> tuple[list[Walker], list[tuple[int, int, int, int]], np.ndarray]:
    """Walkers (ids in order of entry), pillars (x0, y0, x1, y1, exclusive ends) and the background image.

    A quarter of the walkers start inside the image (the first just before the widest pillar, walking into
    it, so every sequence has a long full occlusion); the others enter later through the borders.
    """
    rng = np.random.default_rng(cfg.seed)
    scale = cfg.height / 480
    pillars = []
    for j in range(cfg.n_pillars):
        pw = int((rng.uniform(90, 130) if j == 0 else rng.uniform(55, 80)) * scale)
        x0 = int((j + 1) / (cfg.n_pillars + 1) * cfg.width + rng.uniform(-0.08, 0.08) * cfg.width - pw / 2)
        pillars.append((x0, 0, x0 + pw, cfg.height))
    drafts = []
    for i in range(cfg.n_walkers):
        hue = (0.07 + 0.618034 * i) % 1.0
        color = np.array(colorsys.hsv_to_rgb(hue, rng.uniform(0.6, 1.0), rng.uniform(0.7, 1.0))[::-1]) * 255
        pattern = PATTERNS[i % len(PATTERNS)]
        sprite, mask = _sprite(rng, color, pattern, int(rng.uniform(90, 170) * scale))
        w, h = mask.shape[1], mask.shape[0]
        if i == 0 and pillars:
            start, feet = 0, _path(rng, cfg, w, h, pillars[0][0] - 0.75 * w, leftward=False)
        elif i < max(1, cfg.n_walkers // 4):
            start, feet = 0, _path(rng, cfg, w, h, rng.uniform(0.1, 0.9) * cfg.width)
        else:
            start = int(rng.uniform(0, 0.6) * cfg.n_frames)
            feet = _path(rng, cfg, w, h)
        drafts.append((start, i, tuple(int(c) for c in color), pattern, sprite, mask, feet[: cfg.n_frames - start]))
    drafts.sort(key=lambda d: (d[0], d[1]))
    walkers = [Walker(n + 1, c, p, s, m, st, f) for n, (st, _, c, p, s, m, f) in enumerate(drafts)]
    return walkers, pillars, _background(rng, cfg)


def _background(rng: np.random.Generator, cfg: WalkersConfig) -> np.ndarray:
    """A static backdrop: a wall above a tiled floor, with blurred noise for texture."""
    h, w = cfg.height, cfg.width
    img = np.empty((h, w, 3), np.float32)
    horizon = int(0.42 * h)
    img[:horizon] = (150, 160, 170)
    yy, xx = np.mgrid[horizon:h, 0:w]
    tile = max(8, int(40 * h / 480))
    img[horizon:] = np.where((((xx // tile) + (yy // tile)) % 2 == 0)[..., None], (110, 120, 125), (95, 100, 110))
    img += cv2.GaussianBlur(rng.normal(0, 18, (h, w)).astype(np.float32), (0, 0), 2)[..., None]
    return np.clip(img, 0, 255).astype(np.uint8)


def render_walkers(walkers: list[Walker], pillars: list[tuple[int, int, int, int]], background: np.ndarray,
                   frame: int) -> tuple[np.ndarray, np.ndarray, dict[int, tuple[int, int, int, int]]]:
    """BGR image, uint16 visible-instance map and full (amodal, unclipped) boxes x0, y0, x1, y1 of ``frame``."""
    img = background.copy()
    ids = np.zeros(background.shape[:2], np.uint16)
    h, w = ids.shape
    present = [(wk, tl) for wk in walkers if (tl := wk.top_left(frame)) is not None]
    present.sort(key=lambda item: item[1][1] + item[0].size[1])
    amodal = {}
    for wk, (x0, y0) in present:
        sw, sh = wk.size
        amodal[wk.id] = (x0, y0, x0 + sw, y0 + sh)
        cx0, cy0, cx1, cy1 = max(x0, 0), max(y0, 0), min(x0 + sw, w), min(y0 + sh, h)
        if cx0 >= cx1 or cy0 >= cy1:
            continue
        m = wk.mask[cy0 - y0:cy1 - y0, cx0 - x0:cx1 - x0]
        img[cy0:cy1, cx0:cx1][m] = wk.sprite[cy0 - y0:cy1 - y0, cx0 - x0:cx1 - x0][m]
        ids[cy0:cy1, cx0:cx1][m] = wk.id
    for x0, y0, x1, y1 in pillars:
        x0c, x1c = max(x0, 0), min(x1, w)
        ids[y0:y1, x0c:x1c] = 0
        shade = np.linspace(0.7, 1.0, max(x1c - x0c, 1), dtype=np.float32)[None, :, None]
        img[y0:y1, x0c:x1c] = (np.array([70, 85, 120], np.float32) * shade).astype(np.uint8)
    return img, ids, amodal
