"""A synthetic tabletop: small objects (cans, mugs, boxes, thin markers, fruit, blocks) on a table, some touching,
seen by a hand-held-like camera 0.6-1 m away. Same world conventions and instance records as the room
(``room.py``): id 1 is the floor (structure), 2 the table, objects from 3 upwards.
"""

from __future__ import annotations

import colorsys

import numpy as np

from perception.synthetic.geometry import RoomInstance, look_at, yaw_pose
from perception.synthetic.room import RoomConfig, _texture

TABLE_SIZE = np.array([1.2, 0.8, 0.74])
FIRST_ITEM_ID = 3

# name -> (shape, size low, size high); full extents in metres (cylinders: diameter, diameter, height)
ITEMS: dict[str, tuple[str, tuple[float, float, float], tuple[float, float, float]]] = {
    "can": ("cylinder", (0.066, 0.066, 0.10), (0.076, 0.076, 0.14)),
    "mug": ("cylinder", (0.08, 0.08, 0.085), (0.095, 0.095, 0.11)),
    "box": ("box", (0.05, 0.03, 0.08), (0.18, 0.09, 0.22)),
    "marker": ("cylinder", (0.014, 0.014, 0.11), (0.02, 0.02, 0.14)),  # lies on its side
    "fruit": ("sphere", (0.06, 0.06, 0.06), (0.09, 0.09, 0.09)),
    "block": ("box", (0.04, 0.04, 0.04), (0.09, 0.09, 0.07)),
}


def _colour(rng: np.random.Generator) -> np.ndarray:
    """A saturated colour; about one item in six is dark (structured-light sensors lose depth on those)."""
    value = rng.uniform(0.06, 0.15) if rng.random() < 0.17 else rng.uniform(0.5, 0.95)
    return np.array(colorsys.hsv_to_rgb(rng.uniform(0, 1), rng.uniform(0.4, 0.9), value))


def _lying(x: float, y: float, z: float, yaw: float) -> np.ndarray:
    """Pose of a cylinder lying on its side (its axis horizontal along ``yaw``)."""
    tilt = np.eye(4)
    tilt[:3, :3] = [[1, 0, 0], [0, 0, -1], [0, 1, 0]]
    return yaw_pose(x, y, z, yaw) @ tilt


def floor_and_table(rng: np.random.Generator, table_size: np.ndarray) -> list[RoomInstance]:
    """Instance 1, the floor (structure), and 2, a table of ``table_size`` (full extents, m) centred on the origin."""
    floor = RoomInstance(1, "floor", "box", np.array([6.0, 6.0, 0.1]), np.array([0.55, 0.42, 0.30]),
                         yaw_pose(0, 0, -0.05, 0.0)[None], _texture(rng, 1.5, 5.0), structure=True)
    table = RoomInstance(2, "table", "box", table_size.copy(), np.array([0.85, 0.84, 0.80]),
                         yaw_pose(0, 0, table_size[2] / 2, 0.0)[None], _texture(rng, 1.5, 4.0))
    return [floor, table]


def build_tabletop(cfg: RoomConfig) -> list[RoomInstance]:
    """Floor, table and ``cfg.n_objects`` items placed at random on the table top (gaps of 0-2 cm, so some
    touch); the same config always gives the same scene."""
    rng = np.random.default_rng([cfg.seed, 2024])
    out = floor_and_table(rng, TABLE_SIZE)
    placed: list[tuple[np.ndarray, float]] = []
    names = list(ITEMS)
    top = float(TABLE_SIZE[2])
    for _ in range(cfg.n_objects):
        name = str(rng.choice(names))
        shape, lo, hi = ITEMS[name]
        size = rng.uniform(lo, hi)
        if shape != "box":
            size[1] = size[0]
        if shape == "sphere":
            size[:] = size[0]
        foot = size[2] if name == "marker" else float(np.hypot(size[0], size[1]))
        reach = foot / 2
        for _attempt in range(300):
            xy = rng.uniform(-1, 1, 2) * (np.array([0.3, 0.22]) - reach)
            if all(np.linalg.norm(xy - c) >= reach + r + rng.uniform(0.0, 0.02) for c, r in placed):
                break
        else:
            continue
        placed.append((xy, reach))
        yaw = rng.uniform(0, np.pi)
        if name == "marker":
            pose = _lying(xy[0], xy[1], top + size[0] / 2, yaw)
        else:
            pose = yaw_pose(xy[0], xy[1], top + size[2] / 2, yaw)
        out.append(RoomInstance(FIRST_ITEM_ID + len(out) - 2, name, shape, size, _colour(rng), pose[None],
                                _texture(rng, 8.0, 20.0)))
    return out


def tabletop_camera_path(cfg: RoomConfig) -> np.ndarray:
    """(n_frames, 4, 4) camera-to-world poses: a 100 degree arc 0.6-0.9 m from the table centre, looking down."""
    rng = np.random.default_rng([cfg.seed, 2025])
    theta0 = rng.uniform(0, 2 * np.pi)
    radius, height = rng.uniform(0.55, 0.75), rng.uniform(0.35, 0.5)
    s = np.linspace(0.0, 1.0, cfg.n_frames)
    theta = theta0 + np.deg2rad(100.0) * s
    eye = np.stack([radius * np.cos(theta), radius * np.sin(theta),
                    TABLE_SIZE[2] + height + 0.03 * np.sin(2 * np.pi * s)], axis=1)
    target = np.stack([0.04 * np.sin(np.pi * s), 0.04 * np.cos(np.pi * s), np.full_like(s, TABLE_SIZE[2] + 0.04)],
                      axis=1)
    return np.stack([look_at(e, t) for e, t in zip(eye, target)])
