"""A synthetic indoor room: random furniture-like shapes (some moving) seen by a camera on a smooth orbit.

World frame: metres, z up, floor at z = 0, room centred on the origin. Cameras are OpenCV-style
(x right, y down, z forward); poses are camera-to-world. Instance ids: 1 floor, 2 ceiling, 3-6 walls
(``structure``), then objects from 7 upwards; 0 is never rendered inside the closed room.
"""

from __future__ import annotations

import colorsys
from dataclasses import dataclass

import numpy as np

from perception.synthetic.geometry import RoomInstance, look_at, yaw_pose

ROOM_HALF = np.array([4.0, 3.5])
ROOM_HEIGHT = 2.8
WALL_THICKNESS = 0.1
CAMERA_ORBIT = np.array([2.7, 2.3])
PILLAR_ORBIT = np.array([2.2, 1.8])
CENTRAL_REGION = np.array([1.9, 1.5])
FIRST_OBJECT_ID = 7
DEFAULT_FOCAL = 525.0

# name -> (shape, size low, size high, where): sizes are full extents (x, y, z) in metres
CATALOG: dict[str, tuple[str, tuple[float, float, float], tuple[float, float, float], str]] = {
    "table": ("box", (0.7, 0.5, 0.7), (1.1, 0.8, 0.8), "centre"),
    "crate": ("box", (0.3, 0.3, 0.3), (0.6, 0.6, 0.6), "centre"),
    "stool": ("cylinder", (0.3, 0.3, 0.4), (0.5, 0.5, 0.6), "centre"),
    "barrel": ("cylinder", (0.4, 0.4, 0.6), (0.6, 0.6, 1.0), "centre"),
    "ball": ("sphere", (0.25, 0.25, 0.25), (0.6, 0.6, 0.6), "centre"),
    "lamp": ("cylinder", (0.1, 0.1, 1.2), (0.16, 0.16, 1.7), "centre"),
    "cabinet": ("box", (0.5, 0.4, 0.9), (0.9, 0.6, 1.6), "wall"),
    "shelf": ("box", (0.8, 0.3, 1.4), (1.3, 0.4, 2.0), "wall"),
    "cup": ("cylinder", (0.1, 0.1, 0.12), (0.16, 0.16, 0.2), "table"),
    "box": ("box", (0.15, 0.15, 0.1), (0.3, 0.3, 0.25), "table"),
    "orb": ("sphere", (0.12, 0.12, 0.12), (0.24, 0.24, 0.24), "table"),
    "pillar": ("cylinder", (0.3, 0.3, ROOM_HEIGHT), (0.3, 0.3, ROOM_HEIGHT), "occluder"),
}
MOVABLE = ("crate", "stool", "ball")


@dataclass(frozen=True)
class RoomConfig:
    """Parameters of a synthetic room scene; the same config always gives the same scene."""

    seed: int = 0
    n_frames: int = 90
    width: int = 640
    height: int = 480
    n_objects: int = 10
    moving: bool = True
    heavy_occlusion: bool = False
    fps: float = 15.0
    focal: float = DEFAULT_FOCAL  # focal length in pixels at 640x480

    def intrinsics_matrix(self) -> np.ndarray:
        """3x3 K: ``focal`` at 640x480 (default: a 63 degree horizontal field of view), centred principal point."""
        fx, fy = self.focal * self.width / 640.0, self.focal * self.height / 480.0
        return np.array([[fx, 0.0, (self.width - 1) / 2], [0.0, fy, (self.height - 1) / 2], [0.0, 0.0, 1.0]])


def _texture(rng: np.random.Generator, low: float, high: float) -> np.ndarray:
    """Three plane waves (rows kx, ky, kz, phase): a smooth pattern for colour-based odometry to lock onto."""
    dirs = rng.normal(size=(3, 3))
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    freqs = rng.uniform(low, high, size=(3, 1))
    return np.hstack([dirs * freqs, rng.uniform(0, 2 * np.pi, size=(3, 1))])


def _structure(rng: np.random.Generator) -> list[RoomInstance]:
    hx, hy, h, t = ROOM_HALF[0], ROOM_HALF[1], ROOM_HEIGHT, WALL_THICKNESS
    parts = [
        ("floor", (2 * hx, 2 * hy, t), (0.0, 0.0, -t / 2), (0.55, 0.42, 0.30)),
        ("ceiling", (2 * hx, 2 * hy, t), (0.0, 0.0, h + t / 2), (0.88, 0.88, 0.86)),
        ("wall", (t, 2 * hy, h), (hx + t / 2, 0.0, h / 2), (0.80, 0.77, 0.70)),
        ("wall", (t, 2 * hy, h), (-hx - t / 2, 0.0, h / 2), (0.74, 0.78, 0.80)),
        ("wall", (2 * hx, t, h), (0.0, hy + t / 2, h / 2), (0.78, 0.80, 0.72)),
        ("wall", (2 * hx, t, h), (0.0, -hy - t / 2, h / 2), (0.82, 0.74, 0.74)),
    ]
    return [RoomInstance(i + 1, name, "box", np.array(size), np.array(color), yaw_pose(*centre, 0.0)[None],
                         _texture(rng, 1.5, 5.0), structure=True)
            for i, (name, size, centre, color) in enumerate(parts)]


def _distinct_color(i: int, rng: np.random.Generator) -> np.ndarray:
    hue = (0.13 + 0.618034 * i) % 1.0
    return np.array(colorsys.hsv_to_rgb(hue, rng.uniform(0.55, 0.9), rng.uniform(0.6, 0.95)))


class _Layout:
    """Places footprints (axis-aligned xy boxes) without overlap by rejection sampling."""

    def __init__(self) -> None:
        self.taken: list[tuple[np.ndarray, np.ndarray]] = []

    def free(self, lo: np.ndarray, hi: np.ndarray, margin: float = 0.1) -> bool:
        return all(np.any(lo >= h + margin) or np.any(hi <= l - margin) for l, h in self.taken)

    def take(self, lo: np.ndarray, hi: np.ndarray) -> None:
        self.taken.append((lo, hi))


def _central_spot(rng: np.random.Generator, reach: float) -> np.ndarray | None:
    """A random xy inside the central ellipse such that a circle of radius ``reach`` stays inside it."""
    axes = CENTRAL_REGION - reach
    if np.any(axes <= 0):
        return None
    r, a = np.sqrt(rng.uniform()), rng.uniform(0, 2 * np.pi)
    return axes * r * np.array([np.cos(a), np.sin(a)])


def _outer_spot(rng: np.random.Generator, reach: float) -> np.ndarray | None:
    """A random xy between the camera orbit (with clearance) and the walls, or None if this draw misses."""
    xy = rng.uniform(-1, 1, size=2) * (ROOM_HALF - reach - 0.05)
    return xy if np.sum((xy / (CAMERA_ORBIT + 0.4 + reach)) ** 2) > 1 else None


def _place_objects(cfg: RoomConfig, rng: np.random.Generator) -> list[RoomInstance]:
    """Up to ``cfg.n_objects`` objects (fewer if the room fills up), plus six pillars with heavy occlusion.

    Mix: two movers sliding back and forth across the centre (if ``moving``), furniture against the walls,
    free-standing objects in the centre (or, when it is full, between the camera orbit and the walls) and
    small items on tables. Footprints, including each mover's whole sweep, never overlap.
    """
    layout, on_tables = _Layout(), _Layout()
    objects: list[RoomInstance] = []

    def add(name: str, size: np.ndarray, poses: np.ndarray) -> None:
        objects.append(RoomInstance(FIRST_OBJECT_ID + len(objects), name, CATALOG[name][0], size,
                                    _distinct_color(len(objects), rng), poses, _texture(rng, 3.0, 9.0)))

    if cfg.heavy_occlusion:
        for a in rng.uniform(0, 2 * np.pi) + np.arange(6) * np.pi / 3:
            xy = PILLAR_ORBIT * [np.cos(a), np.sin(a)]
            layout.take(xy - 0.15, xy + 0.15)
            add("pillar", np.array(CATALOG["pillar"][1]), yaw_pose(xy[0], xy[1], ROOM_HEIGHT / 2, 0.0)[None])

    n_moving = min(2, cfg.n_objects) if cfg.moving else 0
    n_table = cfg.n_objects // 4
    n_wall = (cfg.n_objects - n_moving - n_table) // 3
    n_centre = cfg.n_objects - n_moving - n_table - n_wall
    centre_names = [n for n, c in CATALOG.items() if c[3] == "centre"]
    plan = ([("moving", str(rng.choice(MOVABLE))) for _ in range(n_moving)]
            + [("wall", str(rng.choice(["cabinet", "shelf"]))) for _ in range(n_wall)]
            + [("centre", "table")] + [("centre", str(rng.choice(centre_names))) for _ in range(n_centre - 1)]
            + [("table", str(rng.choice(["cup", "box", "orb"]))) for _ in range(n_table)])
    tables: list[RoomInstance] = []
    frames = np.arange(cfg.n_frames)
    for where, name in plan[: cfg.n_objects]:
        if where == "table" and not tables:
            where, name = "centre", str(rng.choice([n for n in centre_names if n != "table"]))
        shape, lo, hi, _ = CATALOG[name]
        size = rng.uniform(lo, hi)
        if shape != "box":
            size[1] = size[0]
        reach = float(np.hypot(size[0], size[1]) / 2)
        for attempt in range(200):
            if where == "wall":
                side = int(rng.integers(4))
                span = ROOM_HALF[1] if side < 2 else ROOM_HALF[0]
                along = rng.uniform(-1, 1) * (span - reach - 0.2)
                gap = size[1] / 2 + 0.03
                xy, yaw = [(np.array([ROOM_HALF[0] - gap, along]), np.pi / 2),
                           (np.array([-ROOM_HALF[0] + gap, along]), -np.pi / 2),
                           (np.array([along, ROOM_HALF[1] - gap]), np.pi),
                           (np.array([along, -ROOM_HALF[1] + gap]), 0.0)][side]
                if layout.free(xy - reach, xy + reach):
                    layout.take(xy - reach, xy + reach)
                    add(name, size, yaw_pose(xy[0], xy[1], size[2] / 2, yaw)[None])
                    break
            elif where == "centre":
                xy = _central_spot(rng, reach) if attempt < 100 else _outer_spot(rng, reach)
                if xy is not None and layout.free(xy - reach, xy + reach):
                    layout.take(xy - reach, xy + reach)
                    add(name, size, yaw_pose(xy[0], xy[1], size[2] / 2, rng.uniform(0, np.pi))[None])
                    if name == "table":
                        tables.append(objects[-1])
                    break
            elif where == "moving":
                a, b = _central_spot(rng, reach), _central_spot(rng, reach)
                if a is None or b is None or not 0.6 < np.linalg.norm(b - a) < 1.4:
                    continue
                lo_xy, hi_xy = np.minimum(a, b) - reach, np.maximum(a, b) + reach
                if layout.free(lo_xy, hi_xy):
                    layout.take(lo_xy, hi_xy)
                    s = (1 - np.cos(2 * np.pi * frames / max(cfg.n_frames, 2))) / 2
                    yaw0, spin = rng.uniform(0, np.pi), rng.uniform(-0.03, 0.03)
                    poses = np.stack([yaw_pose(*(a + (b - a) * si), size[2] / 2, yaw0 + spin * f)
                                      for f, si in zip(frames, s)])
                    add(name, size, poses)
                    break
            elif tables:
                table = tables[int(rng.integers(len(tables)))]
                room = table.size[:2] / 2 - reach - 0.03
                if np.any(room <= 0):
                    continue
                xy = table.pose(0)[:2, 3] + table.pose(0)[:2, :2] @ rng.uniform(-room, room)
                if on_tables.free(xy - reach, xy + reach, margin=0.02):
                    on_tables.take(xy - reach, xy + reach)
                    add(name, size, yaw_pose(xy[0], xy[1], table.size[2] + size[2] / 2, rng.uniform(0, np.pi))[None])
                    break
    return objects


def build_room(cfg: RoomConfig) -> list[RoomInstance]:
    """All instances of the room for ``cfg``: structure first, then objects."""
    rng = np.random.default_rng(cfg.seed)
    return _structure(rng) + _place_objects(cfg, rng)


def camera_path(cfg: RoomConfig) -> np.ndarray:
    """(n_frames, 4, 4) camera-to-world poses: a 150 degree arc of an orbit facing the room centre."""
    rng = np.random.default_rng([cfg.seed, 1])
    theta0 = rng.uniform(0, 2 * np.pi)
    s = np.linspace(0.0, 1.0, cfg.n_frames)
    theta = theta0 + np.deg2rad(150.0) * s
    eye = np.stack([CAMERA_ORBIT[0] * np.cos(theta), CAMERA_ORBIT[1] * np.sin(theta),
                    1.45 + 0.1 * np.sin(2 * np.pi * s)], axis=1)
    target = np.stack([0.25 * np.sin(np.pi * s), 0.25 * np.cos(np.pi * s), np.full_like(s, 0.55)], axis=1)
    return np.stack([look_at(e, t) for e, t in zip(eye, target)])
