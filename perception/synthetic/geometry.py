"""Analytic shapes of the synthetic room: one exact description shared by the renderer and the ground truth.

Every shape is centred on its local origin (z up); a 4x4 object-to-world pose places it.
``size`` is the full local extent (x, y, z): box sides, cylinder (2r, 2r, height), sphere (2r, 2r, 2r).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import open3d as o3d

Shape = Literal["box", "cylinder", "sphere"]
SHAPES: tuple[str, ...] = ("box", "cylinder", "sphere")


def yaw_pose(x: float, y: float, z: float, yaw: float) -> np.ndarray:
    """4x4 object-to-world pose: rotation ``yaw`` radians about world z, then translation."""
    c, s = np.cos(yaw), np.sin(yaw)
    pose = np.eye(4)
    pose[:3, :3] = [[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]]
    pose[:3, 3] = x, y, z
    return pose


def look_at(eye: np.ndarray, target: np.ndarray, up: np.ndarray = np.array([0.0, 0.0, 1.0])) -> np.ndarray:
    """4x4 camera-to-world pose of an OpenCV camera (x right, y down, z forward) at ``eye`` facing ``target``."""
    z = target - eye
    z = z / np.linalg.norm(z)
    x = np.cross(z, up)
    x = x / np.linalg.norm(x)
    y = np.cross(z, x)
    pose = np.eye(4)
    pose[:3, 0], pose[:3, 1], pose[:3, 2], pose[:3, 3] = x, y, z, eye
    return pose


@dataclass
class RoomInstance:
    """One ground-truth instance: what it is, its exact shape, and its object-to-world pose per frame.

    ``poses`` is (1, 4, 4) for a static instance and (n_frames, 4, 4) for a moving one.
    ``structure`` marks floor, ceiling and walls; ``texture`` holds the colour-pattern wave parameters;
    ``patches`` (P, 9: local lo xyz, hi xyz, rgb), if any, repaint the boxes they cover (printed labels).
    """

    id: int
    name: str
    shape: Shape
    size: np.ndarray
    color: np.ndarray
    poses: np.ndarray
    texture: np.ndarray
    structure: bool = False
    patches: np.ndarray | None = None

    @property
    def moving(self) -> bool:
        """Whether the instance changes pose during the sequence."""
        return len(self.poses) > 1

    def pose(self, frame: int) -> np.ndarray:
        """Object-to-world 4x4 pose at 0-based ``frame``."""
        return self.poses[frame if self.moving else 0]

    def to_local(self, points: np.ndarray, frame: int) -> np.ndarray:
        """World points (Nx3) in this instance's local frame at ``frame``."""
        pose = self.pose(frame)
        return np.einsum("nj,ji->ni", np.asarray(points, dtype=np.float64) - pose[:3, 3], pose[:3, :3])

    def signed_distance(self, points: np.ndarray, frame: int) -> np.ndarray:
        """Signed distance (metres, negative inside) of world points to the shape at ``frame``; exact outside boxes."""
        p = self.to_local(points, frame)
        half = np.asarray(self.size, dtype=np.float64) / 2
        if self.shape == "sphere":
            return np.linalg.norm(p, axis=1) - half[0]
        if self.shape == "cylinder":
            q = np.stack([np.hypot(p[:, 0], p[:, 1]) - half[0], np.abs(p[:, 2]) - half[2]], axis=1)
        else:
            q = np.abs(p) - half
        outside = np.linalg.norm(np.maximum(q, 0.0), axis=1)
        return outside + np.minimum(q.max(axis=1), 0.0)

    def corners(self, frame: int) -> np.ndarray:
        """8x3 world corners of the local bounding box at ``frame``."""
        half = np.asarray(self.size, dtype=np.float64) / 2
        signs = np.array([[sx, sy, sz] for sx in (-1, 1) for sy in (-1, 1) for sz in (-1, 1)], dtype=np.float64)
        pose = self.pose(frame)
        return (signs * half) @ pose[:3, :3].T + pose[:3, 3]

    def world_box(self, frame: int) -> tuple[np.ndarray, np.ndarray]:
        """Axis-aligned world box (min, max) of the shape at ``frame``; exact for spheres and yawed boxes."""
        if self.shape == "sphere":
            c, r = self.pose(frame)[:3, 3], self.size[0] / 2
            return c - r, c + r
        pts = self.corners(frame)
        if self.shape == "cylinder":
            c, r = self.pose(frame)[:3, 3], self.size[0] / 2
            lo, hi = pts.min(axis=0), pts.max(axis=0)
            lo[:2], hi[:2] = c[:2] - r, c[:2] + r
            return lo, hi
        return pts.min(axis=0), pts.max(axis=0)


def local_mesh(shape: str, size: np.ndarray, resolution: int = 32) -> tuple[np.ndarray, np.ndarray]:
    """Vertices (Vx3 float32) and triangles (Tx3 uint32) of a shape centred on the origin."""
    sx, sy, sz = (float(v) for v in size)
    if shape == "box":
        mesh = o3d.geometry.TriangleMesh.create_box(sx, sy, sz)
        mesh.translate([-sx / 2, -sy / 2, -sz / 2])
    elif shape == "cylinder":
        mesh = o3d.geometry.TriangleMesh.create_cylinder(radius=sx / 2, height=sz, resolution=resolution, split=1)
    elif shape == "sphere":
        mesh = o3d.geometry.TriangleMesh.create_sphere(radius=sx / 2, resolution=resolution // 2)
    else:
        raise ValueError(f"unknown shape {shape!r}; expected one of {SHAPES}")
    return np.asarray(mesh.vertices, dtype=np.float32), np.asarray(mesh.triangles, dtype=np.uint32)
