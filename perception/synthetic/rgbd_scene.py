"""Generate a synthetic RGB-D room scene on disk in the ESAM / ScanNet export layout (see room_truth)."""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path

import numpy as np

from perception.io.esam import EsamWriter
from perception.synthetic.folder import atomic_folder
from perception.synthetic.geometry import RoomInstance
from perception.synthetic.render import RoomRenderer
from perception.synthetic.room import DEFAULT_FOCAL, RoomConfig, build_room, camera_path
from perception.synthetic.room_truth import DEPTH_SCALE, GT_FILE, INSTANCE_POLICY, instance_record
from perception.synthetic.sensor import SensorModel
from perception.synthetic.tabletop import build_tabletop, tabletop_camera_path
from perception.synthetic.ycb_like import build_ycb_like, ycb_camera_path
from perception.types import InputError

FORMAT = "perception-studio synthetic room"
VERSION = 2  # bump whenever the same arguments would produce different files (cache folder names carry it)


def scene_name(seed: int = 0, n_frames: int = 90, width: int = 640, height: int = 480, n_objects: int = 10,
               moving: bool = True, heavy_occlusion: bool = False, sensor: bool = False, tabletop: bool = False,
               focal: float = DEFAULT_FOCAL, ycb: bool = False) -> str:
    """Cache folder name of a room scene: every parameter that changes the files, plus the format version."""
    return (f"{_layout(tabletop, ycb)}-s{seed}-{width}x{height}-f{n_frames}-o{n_objects}-m{int(moving)}-h{int(heavy_occlusion)}"
            f"{'-sensor' if sensor else ''}{focal_suffix(focal)}-v{VERSION}")


def focal_suffix(focal: float) -> str:
    """Cache folder name part for a focal length: empty for the default (older names stay valid), else ``-fxF``."""
    return "" if focal == DEFAULT_FOCAL else f"-fx{focal:g}"


def _layout(tabletop: bool, ycb: bool) -> str:
    return "ycb" if ycb else "tabletop" if tabletop else "room"


def _scene(cfg: RoomConfig, layout: str) -> tuple[list[RoomInstance], np.ndarray]:
    """Instances and (n_frames, 4, 4) camera-to-world poses of a room, tabletop or YCB-like scene."""
    if layout == "ycb":
        instances = build_ycb_like(cfg)
        return instances, ycb_camera_path(cfg, instances)
    if layout == "tabletop":
        return build_tabletop(cfg), tabletop_camera_path(cfg)
    return build_room(cfg), camera_path(cfg)


def _check_config(cfg: RoomConfig) -> None:
    if cfg.n_frames < 1:
        raise InputError(f"a synthetic scene needs at least 1 frame, got n_frames={cfg.n_frames}")
    if not (16 <= cfg.width <= 4096 and 16 <= cfg.height <= 4096):
        raise InputError(f"synthetic image size must be 16..4096 pixels a side, got {cfg.width}x{cfg.height}")
    if not 0 <= cfg.n_objects <= 40:
        raise InputError(f"n_objects must be 0..40, got {cfg.n_objects}")
    if not 100 <= cfg.focal <= 5000:
        raise InputError(f"focal must be 100..5000 pixels, got {cfg.focal}")


def generate_rgbd_scene(out_dir: str | os.PathLike[str], seed: int = 0, n_frames: int = 90, width: int = 640,
                        height: int = 480, n_objects: int = 10, moving: bool = True, heavy_occlusion: bool = False,
                        fps: float = 15.0, overwrite: bool = False, nthreads: int = 0, sensor: bool = False,
                        tabletop: bool = False, focal: float = DEFAULT_FOCAL, ycb: bool = False) -> Path:
    """Render a room scene into ``out_dir`` (created atomically) and return it; same arguments, same files.

    ``nthreads`` is the ray-casting thread count (0 = all cores); it does not change the output. ``sensor`` passes
    depth and colour through a Kinect-like SensorModel (noise, holes, flying pixels, colour misregistration);
    the instance images stay the clean, depth-aligned truth. ``tabletop`` renders small objects on a table seen
    from 0.6-1 m (``tabletop.py``; ``moving`` and ``heavy_occlusion`` do not apply) instead of the room; ``ycb``
    renders a YCB-Video-like cluster of up to ``n_objects`` touching objects (``ycb_like.py``) instead of either.
    ``focal`` is the focal length in pixels at 640x480 (RoomConfig.focal).
    """
    cfg = RoomConfig(seed=seed, n_frames=n_frames, width=width, height=height, n_objects=n_objects,
                     moving=moving, heavy_occlusion=heavy_occlusion, fps=fps, focal=focal)
    _check_config(cfg)
    layout = _layout(tabletop, ycb)
    instances, poses = _scene(cfg, layout)
    k = cfg.intrinsics_matrix()
    renderer = RoomRenderer(instances, k, width, height, nthreads=nthreads)
    pixels = {inst.id: 0 for inst in instances}
    frames_seen = {inst.id: 0 for inst in instances}
    noise = np.random.default_rng([seed, 7919]) if sensor else None
    model = SensorModel()
    shift = None
    if noise is not None:
        mag, ang = noise.uniform(*model.misregistration_px), noise.uniform(0, 2 * np.pi)
        shift = (mag * np.cos(ang), mag * np.sin(ang))  # one calibration error for the whole recording
    with atomic_folder(out_dir, overwrite=overwrite) as tmp:
        writer = EsamWriter(tmp, instances=True)
        writer.write_intrinsics(k)
        for f in range(n_frames):
            view = renderer.render(f, poses[f])
            color, depth = view.color, view.depth
            if noise is not None:
                depth, color = model.apply(depth, color, float(k[0, 0]), noise, shift)
            writer.write_frame(f, color, depth, poses[f], view.instance)
            ids, counts = np.unique(view.instance, return_counts=True)
            for i, c in zip(ids.tolist(), counts.tolist()):
                if i in pixels:
                    pixels[i] += c
                    frames_seen[i] += 1
        records = []
        for inst in instances:
            rec = instance_record(inst, n_frames)
            rec["pixel_count"], rec["frames_visible"] = pixels[inst.id], frames_seen[inst.id]
            records.append(rec)
        meta = {"format": FORMAT, "version": VERSION, **asdict(cfg), "depth_scale": DEPTH_SCALE, "sensor_model": sensor, "scene": layout,
                "world": "metres, z up, floor at z=0; poses camera-to-world, OpenCV camera axes",
                "instance_policy": INSTANCE_POLICY, "instances": records}
        (tmp / GT_FILE).write_text(json.dumps(meta, indent=1), encoding="utf-8")
    return Path(out_dir)
