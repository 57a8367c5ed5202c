"""A scripted scene of moving coloured boxes with exact ground truth, and tracker-like output for it.

Used by tests and benchmarks of the memory; it knows nothing about the memory itself.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from perception.sources.base import FrameSource
from perception.types import FramePacket, FrameResult, SourceInfo, Tracks, Tracks3D, TrackState

PALETTE: dict[str, tuple[int, int, int]] = {
    "red": (30, 30, 220), "orange": (0, 140, 255), "yellow": (0, 230, 230), "green": (40, 190, 40),
    "cyan": (220, 220, 0), "blue": (220, 60, 20), "purple": (200, 0, 130), "pink": (180, 0, 255),
    "white": (240, 240, 240),
}
AREA_FRACTION = {"small": 0.008, "medium": 0.03, "large": 0.11}
CONFIRM_FRAMES = 2


def _bounce(p0: float, v: float, t: float, lo: float, hi: float) -> float:
    """Position of a point moving at ``v`` from ``p0`` and bouncing between ``lo`` and ``hi``."""
    span = hi - lo
    if span <= 0:
        return lo
    u = (p0 - lo + v * t) % (2 * span)
    return lo + (u if u <= span else 2 * span - u)


@dataclass(frozen=True)
class SceneObject:
    """One box: identity, look, lifetime, motion and the intervals it is hidden (occluded)."""

    id: int
    colour: str
    size: str
    w: float
    h: float
    birth: float
    death: float
    x0: float
    y0: float
    vx: float
    vy: float
    hidden: tuple[tuple[float, float], ...]
    width: int
    height: int

    def center(self, t: float) -> tuple[float, float]:
        """Box centre (pixels) at time ``t``."""
        dt = t - self.birth
        return (_bounce(self.x0, self.vx, dt, self.w / 2, self.width - self.w / 2),
                _bounce(self.y0, self.vy, dt, self.h / 2, self.height - self.h / 2))

    def box(self, t: float) -> np.ndarray:
        """XYXY box at time ``t``."""
        cx, cy = self.center(t)
        return np.array([cx - self.w / 2, cy - self.h / 2, cx + self.w / 2, cy + self.h / 2])

    def alive(self, t: float) -> bool:
        """Between birth and death."""
        return self.birth <= t < self.death

    def hidden_at(self, t: float) -> bool:
        """Inside one of its hidden intervals."""
        return any(a <= t < b for a, b in self.hidden)


class ScriptedScene:
    """Boxes that appear, move, hide for a while, and leave; rendered frame by frame with perfect tracks."""

    def __init__(self, seed: int = 0, duration_s: float = 300.0, fps: float = 10.0, width: int = 320, height: int = 240,
                 max_objects: int = 6, life_s: tuple[float, float] = (8.0, 40.0), scene_every_s: float = 60.0,
                 with_3d: bool = False, jitter_px: float = 0.0):
        self.rng = np.random.default_rng(seed)
        self.seed, self.jitter_px = seed, jitter_px
        self.fps, self.width, self.height = fps, width, height
        self.frames = int(round(duration_s * fps))
        self.duration = self.frames / fps
        self.with_3d = with_3d
        self.info = SourceInfo("scripted", "synthetic", fps, width, height, self.frames)
        self.objects = self._script(max_objects, life_s)
        self._births = np.array([o.birth for o in self.objects])
        self._max_life = life_s[1]
        self._backgrounds = [self._background(k) for k in range(3)]
        self.scene_every_s = scene_every_s

    def _script(self, max_objects: int, life_s: tuple[float, float]) -> list[SceneObject]:
        rng, objs, t, next_id = self.rng, [], 0.0, 1
        ends: list[float] = []
        names = list(PALETTE)
        scale = self.width / 320.0
        while t < self.duration:
            ends = [e for e in ends if e > t]
            if len(ends) < max_objects:
                life = float(rng.uniform(*life_s))
                size = str(rng.choice(list(AREA_FRACTION)))
                area = AREA_FRACTION[size] * self.width * self.height * float(rng.uniform(0.85, 1.15))
                aspect = float(rng.uniform(0.7, 1.4))
                w, h = math.sqrt(area * aspect), math.sqrt(area / aspect)
                speed, ang = float(rng.uniform(10, 45)) * scale, float(rng.uniform(0, 2 * np.pi))
                hidden: tuple[tuple[float, float], ...] = ()
                if life > 10 and rng.random() < 0.5:
                    a = t + float(rng.uniform(3.0, life - 6.0))
                    hidden = ((a, a + float(rng.uniform(1.0, 2.5))),)
                objs.append(SceneObject(next_id, str(rng.choice(names)), size, w, h, t, t + life,
                                        float(rng.uniform(w / 2, self.width - w / 2)), float(rng.uniform(h / 2, self.height - h / 2)),
                                        speed * math.cos(ang), speed * math.sin(ang), hidden, self.width, self.height))
                ends.append(t + life)
                next_id += 1
            t += float(rng.exponential(life_s[1] / max_objects / 2)) + 0.5
        return objs

    def _background(self, k: int) -> np.ndarray:
        rng = np.random.default_rng(1000 + k)
        base = np.array([[70, 70, 70], [40, 60, 90], [95, 80, 55]][k], dtype=np.int16)
        noise = rng.integers(-12, 13, size=(self.height // 8 + 1, self.width // 8 + 1, 1), dtype=np.int16)
        tile = np.clip(base + noise, 0, 255).astype(np.uint8)
        return cv2.resize(tile, (self.width, self.height), interpolation=cv2.INTER_NEAREST)

    def alive(self, t: float) -> list[SceneObject]:
        """Objects alive at time ``t`` (births are sorted, lives are bounded: a window, not a scan)."""
        lo, hi = np.searchsorted(self._births, [t - self._max_life, t], side="right")
        return [o for o in self.objects[lo:hi] if o.alive(t)]

    def time(self, i: int) -> float:
        """Timestamp (s) of frame ``i``."""
        return i / self.fps

    def state(self, obj: SceneObject, i: int) -> int | None:
        """What a good tracker reports for ``obj`` at frame ``i`` (None: not reported)."""
        t = self.time(i)
        if not obj.alive(t):
            return None
        if i < math.ceil(obj.birth * self.fps - 1e-9) + CONFIRM_FRAMES:
            return int(TrackState.TENTATIVE)
        return int(TrackState.LOST) if obj.hidden_at(t) else int(TrackState.CONFIRMED)

    def confirmed_visible(self, obj: SceneObject, i: int) -> bool:
        """Ground truth: a confirmed, visible object at frame ``i``."""
        return self.state(obj, i) == TrackState.CONFIRMED

    def render(self, i: int) -> np.ndarray:
        """The image of frame ``i`` (smaller boxes drawn on top)."""
        t = self.time(i)
        img = self._backgrounds[int(t // self.scene_every_s) % 3].copy()
        live = [o for o in self.alive(t) if not o.hidden_at(t)]
        for o in sorted(live, key=lambda o: -o.w * o.h):
            x1, y1, x2, y2 = (int(round(v)) for v in o.box(t))
            cv2.rectangle(img, (x1, y1), (x2 - 1, y2 - 1), PALETTE[o.colour], -1)
        return img

    def tracks(self, i: int) -> tuple[Tracks, Tracks3D | None]:
        """What a good tracker reports at frame ``i``: 2D tracks (boxes jittered by ``jitter_px`` Gaussian
        noise) and, with ``with_3d``, 3D tracks."""
        t = self.time(i)
        rows = [(o, self.state(o, i)) for o in self.alive(t)]
        rows = [(o, s) for o, s in rows if s is not None]
        boxes = np.array([o.box(t) for o, _ in rows]).reshape(-1, 4)
        if self.jitter_px > 0:
            boxes = boxes + np.random.default_rng((self.seed, i)).normal(0.0, self.jitter_px, boxes.shape)
        tracks = Tracks(boxes, np.array([o.id for o, _ in rows], dtype=np.int64),
                        states=np.array([s for _, s in rows], dtype=np.int64),
                        det_index=np.array([k if s == TrackState.CONFIRMED else -1 for k, (_, s) in enumerate(rows)], dtype=np.int64))
        t3 = None
        if self.with_3d:
            t3 = Tracks3D(np.array([self.world(o, t) for o, _ in rows]).reshape(-1, 3), tracks.ids.copy(), states=tracks.states.copy())
        return tracks, t3

    def result(self, i: int) -> FrameResult:
        """Frame ``i`` as the pipeline would hand it to the memory (image + tracks, optionally 3D)."""
        tracks, t3 = self.tracks(i)
        return FrameResult(FramePacket(i, self.time(i), self.render(i), self.info), tracks=tracks, tracks3d=t3)

    def world(self, obj: SceneObject, t: float) -> tuple[float, float, float]:
        """A world position (metres) for the box: the image plane mapped onto a 4 m x 3 m wall 2 m away."""
        cx, cy = obj.center(t)
        return (4.0 * cx / self.width, 3.0 * cy / self.height, 2.0)


class ScriptedSource(FrameSource):
    """The scene's frames as a frame source (images only; pair with ScriptedTracksStage)."""

    def __init__(self, scene: ScriptedScene):
        self.scene = scene
        self.info = scene.info
        self._next = 0

    def read(self) -> FramePacket | None:
        """The next rendered frame."""
        if self._next >= self.scene.frames:
            return None
        i = self._next
        self._next += 1
        return FramePacket(i, self.scene.time(i), self.scene.render(i), self.info)


class ScriptedTracksStage:
    """A stand-in tracker stage "tracks": fills ``result.tracks`` (and 3D tracks) from the scene's script."""

    name = "tracks"

    def __init__(self, scene: ScriptedScene):
        self.scene = scene

    def process(self, result: FrameResult) -> FrameResult:
        """Copy the scripted tracks of this frame into ``result``."""
        result.tracks, result.tracks3d = self.scene.tracks(result.index)
        return result

    def reset(self) -> None:
        """Nothing to forget."""

    def close(self) -> None:
        """Nothing to release."""
