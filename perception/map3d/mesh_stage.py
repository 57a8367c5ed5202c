"""Pipeline stage "mesh": fuse each posed RGB-D frame into a TSDF for an optional triangle-mesh export."""

from __future__ import annotations

import logging
import os
import threading

import numpy as np

from perception.map3d.mesh import MeshConfig, TSDFMesh
from perception.types import FrameResult

log = logging.getLogger(__name__)


class MeshStage:
    """Runs after "map3d" and takes its pose (``result.pose``, so odometry poses work), else the
    packet's; frames without depth, intrinsics or a pose are skipped (``result.skipped["mesh"]``).
    Mesh access goes through ``lock`` (exports may come from another thread).
    """

    name = "mesh"

    def __init__(self, config: MeshConfig | None = None):
        self.volume = TSDFMesh(config)
        self.lock = threading.Lock()
        self.skipped = 0

    def process(self, result: FrameResult) -> FrameResult:
        """Integrate one frame; see the class docstring."""
        p = result.packet
        pose = result.pose
        why = ("no depth" if p.depth is None else "no camera intrinsics" if p.intrinsics is None
               else "no camera pose" if pose is None or not np.isfinite(pose).all() else None)
        if why is None:
            with self.lock:
                if not self.volume.integrate(p.image, p.depth, p.intrinsics, pose):
                    why = "no depth in range (or the TSDF is full)"
        if why is not None:
            self.skipped += 1
            log.debug("mesh: frame %d skipped: %s", result.index, why)
            result.skipped[self.name] = why
        return result

    def export_ply(self, path: str | os.PathLike[str]) -> tuple[int, int]:
        """Write the TSDF mesh as PLY (xyz, rgb, faces); returns (vertices, triangles)."""
        with self.lock:
            return self.volume.export_ply(path)

    def reset(self) -> None:
        """Forget the fused volume."""
        with self.lock:
            self.volume.reset()
            self.skipped = 0

    def close(self) -> None:
        """Nothing to release."""
