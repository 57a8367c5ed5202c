"""A YCB-Video-like cluttered tabletop: 4-9 distinct YCB-sized objects packed in one cluster (most touching a
neighbour or within a few millimetres), some lying flat, with printed-label colour patches, seen from one side
by a nearly static camera 0.6-1.1 m away looking down 30-60 degrees. Ids as in ``tabletop.py``: 1 floor,
2 table, objects from 3 upwards. Articulated or strongly non-convex YCB items (drill, clamps, scissors,
banana) are left out: the renderer only knows boxes, cylinders and spheres.
"""

from __future__ import annotations

import colorsys

import numpy as np

from perception.synthetic.geometry import RoomInstance, look_at, yaw_pose
from perception.synthetic.room import RoomConfig, _texture
from perception.synthetic.tabletop import FIRST_ITEM_ID, _colour, _lying, floor_and_table

TABLE_SIZE = np.array([1.6, 1.0, 0.74])
FOCAL = 1066.0  # YCB-Video's Asus Xtion at 640x480
MIN_OBJECTS = 4
TOUCH_SHARE = 0.65  # share of objects placed 0-5 mm from a neighbour; the rest 5-30 mm
SURFACE_STEP = 0.003  # spacing of the surface samples that measure gaps between objects

# name -> (shape, standing size (x, y, z) in metres (cylinders: diameter, diameter, height), rests and weights);
# sizes from the YCB object set; "flat" lays a box on its largest face, "side" a cylinder on its side
YCB: dict[str, tuple[str, tuple[float, float, float], dict[str, float]]] = {
    "master_chef_can": ("cylinder", (0.102, 0.102, 0.139), {"stand": 1.0}),
    "cracker_box": ("box", (0.158, 0.060, 0.210), {"stand": 0.8, "flat": 0.2}),
    "sugar_box": ("box", (0.089, 0.038, 0.175), {"stand": 0.8, "flat": 0.2}),
    "tomato_soup_can": ("cylinder", (0.066, 0.066, 0.101), {"stand": 0.85, "side": 0.15}),
    "mustard_bottle": ("box", (0.095, 0.058, 0.190), {"stand": 0.8, "flat": 0.2}),
    "tuna_fish_can": ("cylinder", (0.085, 0.085, 0.033), {"stand": 1.0}),
    "pudding_box": ("box", (0.110, 0.035, 0.089), {"stand": 0.3, "flat": 0.7}),
    "gelatin_box": ("box", (0.085, 0.028, 0.073), {"stand": 0.3, "flat": 0.7}),
    "potted_meat_can": ("box", (0.097, 0.050, 0.082), {"stand": 0.6, "flat": 0.4}),
    "bleach_cleanser": ("box", (0.098, 0.065, 0.250), {"stand": 1.0}),
    "bowl": ("cylinder", (0.159, 0.159, 0.053), {"stand": 1.0}),
    "mug": ("cylinder", (0.080, 0.080, 0.082), {"stand": 1.0}),
    "wood_block": ("box", (0.085, 0.085, 0.200), {"stand": 0.7, "flat": 0.3}),
    "large_marker": ("cylinder", (0.018, 0.018, 0.121), {"side": 1.0}),
    "foam_brick": ("box", (0.075, 0.050, 0.050), {"stand": 1.0}),
}


def surface_points(shape: str, size: np.ndarray, step: float = SURFACE_STEP) -> np.ndarray:
    """Nx3 local points covering the surface of a centred box or cylinder about ``step`` apart."""
    half = np.asarray(size, dtype=np.float64) / 2
    if shape == "box":
        faces = []
        for axis in range(3):
            a, b = [i for i in range(3) if i != axis]
            ga, gb = (np.linspace(-half[i], half[i], max(2, int(np.ceil(2 * half[i] / step)) + 1)) for i in (a, b))
            grid = np.stack(np.meshgrid(ga, gb, indexing="ij"), -1).reshape(-1, 2)
            for sign in (-1.0, 1.0):
                face = np.empty((len(grid), 3))
                face[:, [a, b]], face[:, axis] = grid, sign * half[axis]
                faces.append(face)
        return np.concatenate(faces)
    r, h = half[0], half[2]
    ang = np.linspace(0, 2 * np.pi, max(8, int(np.ceil(2 * np.pi * r / step))), endpoint=False)
    zs = np.linspace(-h, h, max(2, int(np.ceil(2 * h / step)) + 1))
    side = np.stack([np.repeat(r * np.cos(ang)[None], len(zs), 0), np.repeat(r * np.sin(ang)[None], len(zs), 0),
                     np.repeat(zs[:, None], len(ang), 1)], -1).reshape(-1, 3)
    g = np.linspace(-r, r, max(2, int(np.ceil(2 * r / step)) + 1))
    disc = np.stack(np.meshgrid(g, g, indexing="ij"), -1).reshape(-1, 2)
    disc = disc[np.hypot(disc[:, 0], disc[:, 1]) <= r]
    caps = [np.column_stack([disc, np.full(len(disc), z)]) for z in (-h, h)]
    return np.concatenate([side, *caps])


def gap(a: RoomInstance, b: RoomInstance, a_surface: np.ndarray, b_surface: np.ndarray) -> float:
    """Smallest distance (metres; negative when they overlap) between two static instances, from local surface samples."""
    pa = a_surface @ a.poses[0, :3, :3].T + a.poses[0, :3, 3]
    pb = b_surface @ b.poses[0, :3, :3].T + b.poses[0, :3, 3]
    return float(min(b.signed_distance(pa, 0).min(), a.signed_distance(pb, 0).min()))


def _labels(rng: np.random.Generator, shape: str, size: np.ndarray) -> np.ndarray:
    """(P, 9) printed-label patches in local coordinates (rows lo xyz, hi xyz, rgb): bands around a cylinder,
    rectangles through a box (so they show on both opposite faces); later rows paint over earlier ones."""
    half = size / 2
    rows = []
    for _ in range(int(rng.integers(2, 5))):
        lo, hi = -half * 1.01, half * 1.01
        axes = [2] if shape == "cylinder" else list(rng.choice(3, 2, replace=False))
        for axis in axes:
            span = rng.uniform(0.15, 0.6) * size[axis]
            start = rng.uniform(-half[axis], half[axis] - span)
            lo[axis], hi[axis] = start, start + span
        white = rng.random() < 0.25
        rgb = np.array(colorsys.hsv_to_rgb(0, 0, rng.uniform(0.85, 0.95))) if white else _colour(rng)
        rows.append(np.concatenate([lo, hi, rgb]))
    return np.array(rows)


def _rest(name: str, rng: np.random.Generator) -> tuple[str, np.ndarray, str]:
    """(shape, local size, rest) of one YCB item in a random resting pose."""
    shape, size, rests = YCB[name]
    rest = str(rng.choice(list(rests), p=np.array(list(rests.values())) / sum(rests.values())))
    local = np.array(size)
    if rest == "flat":
        local = np.sort(local)[::-1]  # largest two extents horizontal, smallest vertical
    return shape, local, rest


def _pose(size: np.ndarray, rest: str, xy: np.ndarray, yaw: float) -> np.ndarray:
    """Object-to-world pose of an item of local ``size`` resting on the table at ``xy`` turned by ``yaw``."""
    top = float(TABLE_SIZE[2])
    if rest == "side":
        return _lying(xy[0], xy[1], top + size[0] / 2, yaw)
    return yaw_pose(xy[0], xy[1], top + size[2] / 2, yaw)


def _place(item: RoomInstance, surface: np.ndarray, anchor: RoomInstance, anchor_surface: np.ndarray,
           direction: np.ndarray, target: float, rest: str) -> np.ndarray:
    """Pose putting ``item`` ``target`` metres from ``anchor`` along ``direction`` (bisection on the centre distance)."""
    yaw = float(np.arctan2(item.poses[0, 1, 0], item.poses[0, 0, 0]))
    base = anchor.poses[0, :2, 3]
    near, far = 0.0, 0.6
    for _ in range(18):  # 2 micrometres
        mid = (near + far) / 2
        item.poses = _pose(item.size, rest, base + mid * direction, yaw)[None]
        if gap(item, anchor, surface, anchor_surface) < target:
            near = mid
        else:
            far = mid
    return _pose(item.size, rest, base + far * direction, yaw)[None]


def build_ycb_like(cfg: RoomConfig) -> list[RoomInstance]:
    """Floor, table and ``MIN_OBJECTS``..``cfg.n_objects`` distinct YCB-like items packed around the table centre:
    each new item goes ``TOUCH_SHARE`` of the time 0-5 mm (else 5-30 mm) from a placed one, without overlapping
    any, at the most central of a few tries; the same config always gives the same scene."""
    rng = np.random.default_rng([cfg.seed, 3031])
    out = floor_and_table(rng, TABLE_SIZE)
    surfaces: list[np.ndarray] = []
    n = int(rng.integers(MIN_OBJECTS, max(MIN_OBJECTS, cfg.n_objects) + 1))
    for name in rng.choice(list(YCB), size=min(n, len(YCB)), replace=False):
        shape, size, rest = _rest(str(name), rng)
        item = RoomInstance(FIRST_ITEM_ID + len(out) - 2, str(name), shape, size, _colour(rng),
                            _pose(size, rest, np.zeros(2), rng.uniform(0, np.pi))[None],
                            _texture(rng, 8.0, 20.0), patches=_labels(rng, shape, size))
        surface = surface_points(shape, size)
        placed = out[2:]
        if placed:
            target = rng.uniform(0.0, 0.005) if rng.random() < TOUCH_SHARE else rng.uniform(0.005, 0.03)
            best = None
            for _try in range(8):
                k = int(rng.integers(len(placed)))
                ang = rng.uniform(0, 2 * np.pi)
                poses = _place(item, surface, placed[k], surfaces[k], np.array([np.cos(ang), np.sin(ang)]), target, rest)
                item.poses = poses
                on_table = bool(np.all(np.abs(poses[0, :2, 3]) < TABLE_SIZE[:2] / 2 - 0.1))
                if on_table and all(gap(item, o, surface, s) >= 0.0 for o, s in zip(placed, surfaces)):
                    dist = float(np.linalg.norm(poses[0, :2, 3]))
                    if best is None or dist < best[0]:
                        best = (dist, poses)
            if best is None:
                continue
            item.poses = best[1]
        out.append(item)
        surfaces.append(surface)
    return out


def ycb_camera_path(cfg: RoomConfig, instances: list[RoomInstance]) -> np.ndarray:
    """(n_frames, 4, 4) camera-to-world poses 0.6-1.1 m from the objects' centre, looking down 30-60 degrees,
    drifting 1-3 cm in a straight line with sub-millimetre jitter (a nearly static hand-held camera)."""
    rng = np.random.default_rng([cfg.seed, 3032])
    items = [inst.poses[0, :3, 3] for inst in instances if inst.id >= FIRST_ITEM_ID]
    centre = np.mean(items, axis=0) if items else np.array([0.0, 0.0, TABLE_SIZE[2]])
    target = np.array([centre[0], centre[1], TABLE_SIZE[2] + 0.05])
    dist, elev, azim = rng.uniform(0.6, 1.1), np.deg2rad(rng.uniform(30, 60)), rng.uniform(0, 2 * np.pi)
    eye0 = target + dist * np.array([np.cos(elev) * np.cos(azim), np.cos(elev) * np.sin(azim), np.sin(elev)])
    drift = rng.normal(size=3)
    drift *= rng.uniform(0.01, 0.03) / np.linalg.norm(drift)
    s = np.linspace(0.0, 1.0, cfg.n_frames)[:, None]
    eyes = eye0 + s * drift + rng.normal(0, 0.0005, (cfg.n_frames, 3))
    aims = target + s * rng.normal(0, 0.005, 3)
    return np.stack([look_at(e, t) for e, t in zip(eyes, aims)])
