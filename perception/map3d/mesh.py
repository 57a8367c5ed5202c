"""TSDF fusion of posed RGB-D frames into a sparse voxel-block grid, and its triangle mesh as PLY.

Uses Open3D's hashed ``VoxelBlockGrid`` (the maintained successor of ``ScalableTSDFVolume``, which in the
installed Open3D 0.20.0 integrates nothing: even a flat synthetic wall gives an empty volume). Only
blocks near observed surfaces are allocated, so memory grows with the observed volume, not with the
number of frames; ``max_blocks`` caps it.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

import cv2
import numpy as np
import open3d as o3d
import open3d.core as o3c

from perception.io.atomic import atomic_write_bytes
from perception.io.ply import mesh_ply_bytes
from perception.types import InputError, Intrinsics

log = logging.getLogger(__name__)

_FLOATS_PER_VOXEL = 5  # tsdf, weight, rgb


@dataclass(frozen=True)
class MeshConfig:
    """TSDF settings for room-scale scans (metres).

    ``sdf_trunc_voxels``: truncation distance in voxels; ``depth_trunc``: depth beyond it is ignored;
    ``block_resolution``: voxels per block side; ``max_blocks``: cap on allocated blocks (each holds
    ``block_resolution**3`` voxels of 20 bytes: 10 KiB at 8, so 400 MiB by default); once reached, only
    allocated space is refined; ``min_weight``: a surface is meshed once seen in more than this many frames.
    """

    voxel: float = 0.02
    sdf_trunc_voxels: float = 4.0
    depth_trunc: float = 4.0
    block_resolution: int = 8
    max_blocks: int = 40_000
    min_weight: float = 1.0

    def __post_init__(self) -> None:
        if not (self.voxel > 0 and self.sdf_trunc_voxels >= 1 and self.depth_trunc > 0):
            raise InputError(f"mesh settings need voxel > 0, sdf_trunc_voxels >= 1 and depth_trunc > 0, got {self}")
        if self.block_resolution < 2 or self.max_blocks < 1 or self.min_weight < 0:
            raise InputError(f"mesh settings need block_resolution >= 2, max_blocks >= 1, min_weight >= 0, got {self}")


class TSDFMesh:
    """Integrates posed RGB-D frames (BGR uint8, depth float32 metres with 0 = invalid) into a TSDF."""

    def __init__(self, config: MeshConfig | None = None):
        self.config = config or MeshConfig()
        self.frames = 0
        self.full = False
        self._grid = self._new_grid()

    def _new_grid(self) -> o3d.t.geometry.VoxelBlockGrid:
        c = self.config
        return o3d.t.geometry.VoxelBlockGrid(("tsdf", "weight", "color"), (o3c.float32, o3c.float32, o3c.float32),
                                             (1, 1, 3), c.voxel, c.block_resolution, min(1000, c.max_blocks))

    @property
    def blocks(self) -> int:
        """Allocated voxel blocks."""
        return int(self._grid.hashmap().size())

    @property
    def memory_bytes(self) -> int:
        """Voxel storage of the allocated blocks (hash table overhead not counted)."""
        return self.blocks * self.config.block_resolution ** 3 * _FLOATS_PER_VOXEL * 4

    def integrate(self, image: np.ndarray, depth: np.ndarray, intrinsics: Intrinsics, pose: np.ndarray) -> bool:
        """Fuse one frame seen from ``pose`` (4x4 camera-to-world); False if it added nothing."""
        c = self.config
        depth = np.nan_to_num(np.asarray(depth, np.float32), nan=0.0, posinf=0.0, neginf=0.0)
        if not np.any((depth > 0) & (depth < c.depth_trunc)):
            return False
        k = o3c.Tensor(intrinsics.scaled(depth.shape[1], depth.shape[0]).matrix, o3c.float64)
        world_to_cam = o3c.Tensor(np.linalg.inv(np.asarray(pose, np.float64)), o3c.float64)
        d = o3d.t.geometry.Image(o3c.Tensor(depth))
        rgb = o3d.t.geometry.Image(o3c.Tensor(np.multiply(cv2.cvtColor(image, cv2.COLOR_BGR2RGB), np.float32(1 / 255),
                                                          dtype=np.float32)))
        blocks = self._grid.compute_unique_block_coordinates(d, k, world_to_cam, 1.0, c.depth_trunc,
                                                             c.sdf_trunc_voxels)
        if self.blocks + len(blocks) > c.max_blocks:
            blocks = self._blocks_within_cap(blocks)
            if len(blocks) == 0:
                return False
        self._grid.integrate(blocks, d, rgb, k, world_to_cam, 1.0, c.depth_trunc, c.sdf_trunc_voxels)
        self.frames += 1
        return True

    def _blocks_within_cap(self, blocks: o3c.Tensor) -> o3c.Tensor:
        """``blocks`` already allocated, plus new ones while room is left under ``max_blocks`` (warns once when full)."""
        _, found = self._grid.hashmap().find(blocks)
        keep = found.numpy().copy()
        new = np.flatnonzero(~keep)
        room = max(0, self.config.max_blocks - self.blocks)
        keep[new[:room]] = True
        if len(new) > room and not self.full:
            self.full = True
            log.warning("mesh: TSDF reached max_blocks=%d; unseen space is no longer added", self.config.max_blocks)
        return o3c.Tensor(blocks.numpy()[keep])

    def mesh(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Marching-cubes mesh: (vertices Nx3 float32, rgb Nx3 uint8, triangles Mx3 int32)."""
        empty = np.zeros((0, 3), np.float32), np.zeros((0, 3), np.uint8), np.zeros((0, 3), np.int32)
        if self.blocks == 0:
            return empty
        m = self._grid.extract_triangle_mesh(weight_threshold=self.config.min_weight)
        if "positions" not in m.vertex or "indices" not in m.triangle:
            return empty
        rgb = np.clip(m.vertex.colors.numpy() * 255.0 + 0.5, 0, 255).astype(np.uint8)
        return m.vertex.positions.numpy().astype(np.float32), rgb, m.triangle.indices.numpy().astype(np.int32)

    def export_ply(self, path: str | os.PathLike[str]) -> tuple[int, int]:
        """Write the mesh as PLY atomically; returns (vertices, triangles). InputError if it is empty."""
        xyz, rgb, tris = self.mesh()
        if len(tris) == 0:
            raise InputError(f"cannot write {path}: the TSDF mesh is empty ({self.frames} frames with depth and a "
                             f"camera pose were integrated; a surface must be seen in more than "
                             f"{self.config.min_weight:g} of them)")
        atomic_write_bytes(path, mesh_ply_bytes(xyz, rgb, tris, "perception-studio TSDF mesh"))
        return len(xyz), len(tris)

    def reset(self) -> None:
        """Forget everything integrated."""
        self._grid = self._new_grid()
        self.frames = 0
        self.full = False
