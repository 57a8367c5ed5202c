"""Write the instance map: PLY points (xyz, rgb, instance id) and JSON instance summaries."""

from __future__ import annotations

import json
import os

import numpy as np

from perception.io.atomic import atomic_write_bytes, atomic_write_text
from perception.io.ply import points_ply_bytes, read_points_ply


def read_ply_instances(path: str | os.PathLike[str]) -> np.ndarray:
    """The per-vertex ``instance`` column of a PLY written by ``export_ply``."""
    return read_points_ply(path, "instance")["instance"].astype(np.int64)


def export_ply(instance_map, path: str | os.PathLike[str], labelled_only: bool = False) -> int:
    """Write the map's voxels as a PLY point cloud; returns the number of points written."""
    xyz, rgb, ids = instance_map.points()
    if labelled_only:
        xyz, rgb, ids = xyz[ids > 0], rgb[ids > 0], ids[ids > 0]
    atomic_write_bytes(path, points_ply_bytes(xyz, rgb, "perception-studio instance map", instance=ids))
    return len(xyz)


def export_json(instance_map, path: str | os.PathLike[str]) -> int:
    """Write per-instance summaries as JSON; returns the number of instances written."""
    records = instance_map.summaries()
    doc = {"voxel_size": instance_map.voxel, "frames": instance_map.frames, "instances": records}
    atomic_write_text(path, json.dumps(doc, indent=2) + "\n")
    return len(records)
