"""Synthetic scenes with exact ground truth: RGB-D rooms (ESAM layout) and 2D walkers (MOT layout).

Spec strings for ``open_synthetic``: ``synthetic`` / ``synthetic:room`` (RGB-D room, seed 0),
``synthetic:room-7`` or ``synthetic:7`` (seed 7), ``synthetic:clutter[-N]`` (room with occluding
pillars and 16 objects), ``synthetic:walkers[-N]`` (2D walkers sequence).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from perception.synthetic.cache import SAMPLE_OPTIONS, cache_dir, cached_scene, sample_path
from perception.synthetic.mot_scene import generate_mot_sequence, sequence_name
from perception.synthetic.mot_truth import MotGroundTruth
from perception.synthetic.rgbd_scene import generate_rgbd_scene, scene_name
from perception.synthetic.room_truth import RoomGroundTruth
from perception.types import InputError

if TYPE_CHECKING:
    from perception.sources.synthetic import SyntheticSource

__all__ = ["open_synthetic", "parse_spec", "sample_path", "cache_dir", "generate_rgbd_scene", "generate_mot_sequence",
           "RoomGroundTruth", "MotGroundTruth", "SPEC_FORMS", "ROOM_OPTIONS", "WALKERS_OPTIONS"]

SPEC_FORMS = "synthetic[:room|:clutter|:walkers][-SEED] or synthetic:SEED"
ROOM_OPTIONS = ("seed", "n_frames", "width", "height", "n_objects", "moving", "heavy_occlusion")
WALKERS_OPTIONS = ("seed", "n_frames", "width", "height", "n_walkers", "n_pillars")
CLUTTER = {"heavy_occlusion": True, "n_objects": 16}


def parse_spec(spec: str) -> tuple[str, dict[str, Any]]:
    """('room' | 'walkers', generation options) named by a spec string; InputError if it is not one."""
    m = re.fullmatch(r"synthetic(?::(?:(room|clutter|walkers)(?:-(\d+))?|(\d+)))?", spec.strip())
    if m is None:
        raise InputError(f"unknown synthetic source '{spec}'; accepted: {SPEC_FORMS}")
    kind, seed = m.group(1) or "room", int(m.group(2) or m.group(3) or 0)
    if kind == "clutter":
        return "room", {"seed": seed, **CLUTTER}
    return kind, {"seed": seed}


def open_synthetic(spec: str, **opts: Any) -> SyntheticSource:
    """Generate (once, cached) the scene ``spec`` names and open it as a SyntheticSource with ``ground_truth``.

    ``opts`` override generation parameters: rooms take ROOM_OPTIONS, walkers take WALKERS_OPTIONS.
    """
    from perception.sources.synthetic import open_room_folder, open_walkers_folder

    kind, params = parse_spec(spec)
    allowed = ROOM_OPTIONS if kind == "room" else WALKERS_OPTIONS
    unknown = sorted(set(opts) - set(allowed))
    if unknown:
        raise InputError(f"synthetic {kind} scenes take options {', '.join(allowed)}; got {', '.join(unknown)}")
    params.update(opts)
    if kind == "room":
        full = {**SAMPLE_OPTIONS, **params}
        path = cached_scene(scene_name(**full), lambda p, ow: generate_rgbd_scene(p, overwrite=ow, **full))
        return open_room_folder(path)
    path = cached_scene(sequence_name(**params), lambda p, ow: generate_mot_sequence(p, overwrite=ow, **params))
    return open_walkers_folder(path)
