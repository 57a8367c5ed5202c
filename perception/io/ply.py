"""Binary little-endian PLY: coloured point clouds with extra integer properties, and coloured triangle meshes.

Hand-written (a header and one structured array) because Open3D's writer drops custom per-vertex properties
such as the instance id.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

_XYZRGB = [("x", "<f4"), ("y", "<f4"), ("z", "<f4"), ("red", "u1"), ("green", "u1"), ("blue", "u1")]
_PLY_TYPES = {"f": "float", "u": "uchar", "i": "int"}  # numpy dtype kind -> PLY type (4-byte float/int, 1-byte uchar)
_FACE = np.dtype([("n", "u1"), ("v", "<i4", (3,))])


def _vertices(xyz: np.ndarray, rgb: np.ndarray, extra: dict[str, np.ndarray]) -> np.ndarray:
    dtype = np.dtype(_XYZRGB + [(name, "<i4") for name in extra])
    rows = np.empty(len(xyz), dtype)
    rows["x"], rows["y"], rows["z"] = xyz[:, 0], xyz[:, 1], xyz[:, 2]
    rows["red"], rows["green"], rows["blue"] = rgb[:, 0], rgb[:, 1], rgb[:, 2]
    for name, values in extra.items():
        rows[name] = values
    return rows


def _header(comment: str, vertices: np.ndarray, faces: int | None = None) -> bytes:
    props = "".join(f"property {_PLY_TYPES[vertices.dtype[name].kind]} {name}\n" for name in vertices.dtype.names)
    face = "" if faces is None else f"element face {faces}\nproperty list uchar int vertex_indices\n"
    return (f"ply\nformat binary_little_endian 1.0\ncomment {comment}\nelement vertex {len(vertices)}\n"
            f"{props}{face}end_header\n").encode("ascii")


def points_ply_bytes(xyz: np.ndarray, rgb: np.ndarray, comment: str, **int_properties: np.ndarray) -> bytes:
    """A point cloud: float xyz (N, 3), uchar rgb (N, 3) and one int property per keyword (N,)."""
    rows = _vertices(xyz, rgb, int_properties)
    return _header(comment, rows) + rows.tobytes()


def mesh_ply_bytes(xyz: np.ndarray, rgb: np.ndarray, triangles: np.ndarray, comment: str) -> bytes:
    """A triangle mesh: float xyz (N, 3), uchar rgb (N, 3), int vertex indices (M, 3)."""
    rows = _vertices(xyz, rgb, {})
    faces = np.empty(len(triangles), _FACE)
    faces["n"], faces["v"] = 3, triangles
    return _header(comment, rows, len(faces)) + rows.tobytes() + faces.tobytes()


def read_points_ply(path: str | os.PathLike[str], *int_properties: str) -> np.ndarray:
    """The vertices of a point cloud written by ``points_ply_bytes`` with these int properties (a record array)."""
    data = Path(path).read_bytes()
    end = data.index(b"end_header\n") + len(b"end_header\n")
    return np.frombuffer(data[end:], np.dtype(_XYZRGB + [(name, "<i4") for name in int_properties]))
