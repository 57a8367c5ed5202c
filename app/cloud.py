"""The 3D view's data, without Qt: map points under a budget, camera trajectory and frustum.

Points come from the pipeline's 3D map stage when it runs (``Map3DStage.points``); without it
the current frame's depth is back-projected so an RGB-D source still shows something in 3D.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from app.overlay import label_image
from perception.types import FrameResult, Intrinsics

if TYPE_CHECKING:
    from perception.map3d.stage import Map3DStage


@dataclass
class CloudSnapshot:
    """Points (float32 Nx3 metres, uint8 Nx3 RGB, int64 N instance IDs, 0 = none) and the camera path."""

    xyz: np.ndarray
    rgb: np.ndarray
    ids: np.ndarray
    trajectory: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))
    frustum: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))
    from_map: bool = False
    pose: np.ndarray | None = None  # the frame's camera-to-world pose (given or estimated), if known
    has_depth: bool = True          # False: the source has no depth, so there is nothing to show in 3D

    def __len__(self) -> int:
        return len(self.xyz)


def voxel_downsample(xyz: np.ndarray, rgb: np.ndarray, ids: np.ndarray, voxel: float,
                     budget: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One point per occupied ``voxel`` cell, then an even stride down to ``budget`` points."""
    if len(xyz) and voxel > 0:
        keys = np.floor(xyz / voxel).astype(np.int64)
        _, first = np.unique(keys, axis=0, return_index=True)
        first.sort()
        xyz, rgb, ids = xyz[first], rgb[first], ids[first]
    if len(xyz) > budget > 0:
        keep = np.linspace(0, len(xyz) - 1, budget).astype(np.int64)
        xyz, rgb, ids = xyz[keep], rgb[keep], ids[keep]
    return xyz.astype(np.float32), rgb.astype(np.uint8), ids.astype(np.int64)


def depth_points(result: FrameResult, stride: int = 4) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """World points of the frame's valid depth pixels (every ``stride``-th), RGB colours and track IDs."""
    p = result.packet
    if p.depth is None or p.intrinsics is None:
        return np.zeros((0, 3)), np.zeros((0, 3), np.uint8), np.zeros(0, np.int64)
    k = p.intrinsics
    d = p.depth[::stride, ::stride]
    v, u = np.nonzero(d > 0)
    z = d[v, u].astype(np.float64)
    u, v = u * stride, v * stride
    cam = k.backproject(u, v, z).T
    pose = np.eye(4) if p.pose is None else p.pose
    xyz = cam @ pose[:3, :3].T + pose[:3, 3]
    rgb = p.image[v, u][:, ::-1]
    label, label_ids, _ = label_image(result)
    ids = np.zeros(len(z), np.int64)
    if label is not None:
        lut = np.concatenate([[0], label_ids]).astype(np.int64)
        ids = lut[label[v, u]]
    return xyz, rgb, ids


def frustum_segments(k: Intrinsics, pose: np.ndarray, depth: float = 0.3) -> np.ndarray:
    """Line segments (pairs of world points, 16x3) outlining the camera's view pyramid."""
    corners = np.array([[0, 0], [k.width, 0], [k.width, k.height], [0, k.height]], dtype=float)
    rays = np.column_stack([(corners[:, 0] - k.cx) / k.fx, (corners[:, 1] - k.cy) / k.fy, np.ones(4)]) * depth
    pts = np.vstack([np.zeros(3), rays]) @ pose[:3, :3].T + pose[:3, 3]
    pairs = [(0, 1), (0, 2), (0, 3), (0, 4), (1, 2), (2, 3), (3, 4), (4, 1)]
    return np.array([pts[i] for pair in pairs for i in pair])


class CloudBuilder:
    """Keeps the camera trajectory and produces budgeted snapshots; call from the pipeline's thread."""

    def __init__(self, budget: int = 60_000, voxel: float = 0.03):
        self.budget, self.voxel = budget, voxel
        self._trajectory: list[np.ndarray] = []

    def reset(self) -> None:
        """Forget the trajectory."""
        self._trajectory.clear()

    def observe(self, result: FrameResult) -> None:
        """Extend the trajectory with this frame's camera position (call for every processed frame)."""
        pose = result.pose
        if pose is not None:
            self._trajectory.append(np.asarray(pose)[:3, 3].copy())

    def snapshot(self, result: FrameResult, stage: Map3DStage | None) -> CloudSnapshot:
        """The map of ``stage`` (else this frame's depth) under the point budget, plus trajectory and frustum."""
        p = result.packet
        pose = result.pose
        if stage is not None:
            xyz, rgb, ids = (np.asarray(a) for a in stage.points(self.budget * 4))
        else:
            xyz, rgb, ids = depth_points(result)
        xyz, rgb, ids = voxel_downsample(np.asarray(xyz, float), np.asarray(rgb), np.asarray(ids), self.voxel,
                                         self.budget)
        frustum = (frustum_segments(p.intrinsics, pose) if p.intrinsics is not None and pose is not None
                   else np.zeros((0, 3)))
        traj = np.array(self._trajectory) if self._trajectory else np.zeros((0, 3))
        return CloudSnapshot(xyz, rgb, ids, traj, frustum, from_map=stage is not None,
                             pose=None if pose is None else np.asarray(pose, float), has_depth=p.source.has_depth or p.depth is not None)
