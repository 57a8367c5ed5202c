"""Pipeline stage "map3d": lift each frame's masks into the persistent instance map and report instances."""

from __future__ import annotations

import logging
import os
import threading

import numpy as np

from perception.map3d.export import export_json, export_ply
from perception.map3d.instance_map import InstanceMap, MapConfig
from perception.odometry import RGBDOdometry
from perception.types import CameraState, FrameResult, InputError, Instances3D, PoseSource

log = logging.getLogger(__name__)


class Map3DStage:
    """Fills ``result.instances`` (det_index links an instance to a detection) and
    ``result.instance_of_detection`` and ``result.camera`` (pose and its source); with ``instance_images``
    also ``result.instance_image``.

    Without a ``config`` the voxel size follows the scene (``MapConfig.auto_voxel``). Uses the packet's pose, else estimates one with RGB-D odometry (``odometry=True``); frames
    without depth, without a pose (tracking lost) or with unusable data are skipped with a warning
    and leave the map untouched. All map access goes through ``lock`` (the GUI reads from another thread).
    """

    name = "map3d"

    def __init__(self, config: MapConfig | None = None, odometry: bool = True, instance_images: bool = False):
        self.instance_images = instance_images
        self.map = InstanceMap(config or MapConfig(auto_voxel=True))
        self.odometry = RGBDOdometry() if odometry else None
        self.lock = threading.Lock()
        self.skipped = 0

    def _skip(self, result: FrameResult, why: str) -> FrameResult:
        self.skipped += 1
        log.warning("map3d: frame %d skipped: %s", result.index, why)
        result.skipped[self.name] = why
        return result

    def process(self, result: FrameResult) -> FrameResult:
        """Integrate one frame; see the class docstring."""
        p = result.packet
        if p.depth is None or p.intrinsics is None:
            return self._skip(result, "no depth" if p.depth is None else "no camera intrinsics")
        pose = p.pose
        camera = CameraState(pose, PoseSource.GIVEN) if pose is not None else None
        if pose is None:
            if self.odometry is None:
                return self._skip(result, "no camera pose and odometry is off")
            try:
                odo = self.odometry.track(p.image, p.depth, p.intrinsics)
            except InputError as exc:
                return self._skip(result, str(exc))
            if odo.pose is None:
                result.camera = CameraState(None, PoseSource.LOST, odo.method)
                return self._skip(result, "camera tracking lost")
            pose = odo.pose
            camera = CameraState(pose, PoseSource.ODOMETRY, odo.method)
        det = result.segments if result.segments is not None else result.detections
        labels = result.segment_labels
        masks = det.masks if det.masks is not None else np.zeros((len(det), *p.depth.shape), bool)
        if labels is not None and (labels.shape != p.depth.shape or int(labels.max(initial=-1)) >= len(det)):
            labels = None
        with self.lock:
            try:
                upd = self.map.integrate(p.index, p.depth, p.image, p.intrinsics, pose, masks=masks, labels=labels,
                                         embeddings=det.embeddings, n_segments=len(det))
            except InputError as exc:
                return self._skip(result, str(exc))
            ids = np.union1d(upd.visible_ids, upd.segment_ids[upd.segment_ids > 0])
            inst = self.map.instances(ids)
        det_index = np.full(len(inst), -1, np.int64)
        for j, i in enumerate(inst.ids.tolist()):
            hits = np.flatnonzero(upd.segment_ids == i)
            if len(hits):
                det_index[j] = hits[0]
        result.instances = Instances3D(inst.ids, inst.centroids, inst.box_min, inst.box_max, inst.point_counts, det_index)
        result.instance_of_detection = upd.segment_ids
        if self.instance_images and labels is not None:
            result.instance_image = self.map.instance_image(labels, upd.segment_ids, p.depth, p.intrinsics, pose)
        result.camera = camera
        return result

    def points(self, max_points: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Thread-safe snapshot of the map: (xyz Nx3, rgb Nx3 uint8, instance_id N; 0 = none)."""
        with self.lock:
            return self.map.points(max_points)

    def export_ply(self, path: str | os.PathLike[str]) -> int:
        """Write the map as PLY (xyz, rgb, instance); returns the number of points."""
        with self.lock:
            return export_ply(self.map, path)

    def export_json(self, path: str | os.PathLike[str]) -> int:
        """Write per-instance summaries as JSON; returns the number of instances."""
        with self.lock:
            return export_json(self.map, path)

    def reset(self) -> None:
        """Forget the map and the odometry state."""
        with self.lock:
            self.map.reset()
            if self.odometry is not None:
                self.odometry.reset()
            self.skipped = 0

    def close(self) -> None:
        """Nothing to release."""


def build_map3d_stage(voxel: float | None = None, odometry: bool = True, **map_options) -> Map3DStage:
    """The "map3d" stage; ``voxel`` None sizes it to the scene from the first frame; ``map_options`` are
    MapConfig fields (see its docstring)."""
    from perception.lifting import LiftConfig

    lift = LiftConfig() if voxel is None else LiftConfig(voxel=voxel)
    cfg = MapConfig(lift=lift, auto_voxel=voxel is None, **map_options)
    return Map3DStage(cfg, odometry=odometry)
