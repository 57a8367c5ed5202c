"""Write the instance map: PLY points (xyz, rgb, instance id) and JSON instance summaries."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from perception.io.atomic import atomic_write_bytes, atomic_write_text

_PLY_DTYPE = np.dtype([("x", "<f4"), ("y", "<f4"), ("z", "<f4"), ("red", "u1"), ("green", "u1"), ("blue", "u1"),
                       ("instance", "<i4")])


def ply_bytes(xyz: np.ndarray, rgb: np.ndarray, instance: np.ndarray) -> bytes:
    """Binary little-endian PLY with float xyz, uchar rgb and an int ``instance`` property per vertex."""
    rows = np.empty(len(xyz), _PLY_DTYPE)
    rows["x"], rows["y"], rows["z"] = xyz[:, 0], xyz[:, 1], xyz[:, 2]
    rows["red"], rows["green"], rows["blue"] = rgb[:, 0], rgb[:, 1], rgb[:, 2]
    rows["instance"] = instance
    header = ("ply\nformat binary_little_endian 1.0\ncomment perception-studio instance map\n"
              f"element vertex {len(rows)}\nproperty float x\nproperty float y\nproperty float z\n"
              "property uchar red\nproperty uchar green\nproperty uchar blue\nproperty int instance\nend_header\n")
    return header.encode("ascii") + rows.tobytes()


def read_ply_instances(path: str | os.PathLike[str]) -> np.ndarray:
    """The per-vertex ``instance`` column of a PLY written by ``export_ply``."""
    data = Path(path).read_bytes()
    end = data.index(b"end_header\n") + len(b"end_header\n")
    return np.frombuffer(data[end:], _PLY_DTYPE)["instance"].astype(np.int64)


def export_ply(instance_map, path: str | os.PathLike[str], labelled_only: bool = False) -> int:
    """Write the map's voxels as a PLY point cloud; returns the number of points written."""
    xyz, rgb, ids = instance_map.points()
    if labelled_only:
        xyz, rgb, ids = xyz[ids > 0], rgb[ids > 0], ids[ids > 0]
    atomic_write_bytes(path, ply_bytes(xyz, rgb, ids))
    return len(xyz)


def export_json(instance_map, path: str | os.PathLike[str]) -> int:
    """Write per-instance summaries as JSON; returns the number of instances written."""
    records = instance_map.summaries()
    doc = {"voxel_size": instance_map.voxel, "frames": instance_map.frames, "instances": records}
    atomic_write_text(path, json.dumps(doc, indent=2) + "\n")
    return len(records)
