"""Pipeline stage "map3d": lift each frame's masks into the persistent instance map and report instances."""

from __future__ import annotations

import logging
import os
import threading

import numpy as np

from perception.map3d.export import export_json, export_ply
from perception.map3d.instance_map import InstanceMap, MapConfig
from perception.odometry import RGBDOdometry
from perception.types import CameraState, Detections, FrameResult, InputError, Instances3D, PoseSource

log = logging.getLogger(__name__)


class Map3DStage:
    """Fills ``result.instances`` (det_index links an instance to a segment; labels are class names voted from
    ``result.detections`` by mask or box overlap with the segments when a detector runs) and
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
                                         embeddings=det.embeddings, n_segments=len(det),
                                         thin=result.thin_segments)
            except InputError as exc:
                return self._skip(result, str(exc))
            if result.segments is not None and result.detections is not None and result.detections is not result.segments:
                seg_i, det_i = match_detections(det, result.detections)
                self.map.vote_labels(upd.segment_ids[seg_i], result.detections.labels[det_i])
            ids = np.union1d(upd.visible_ids, upd.segment_ids[upd.segment_ids > 0])
            inst = self.map.instances(ids)
            names = self.map.labels_of(inst.ids)
        det_index = np.full(len(inst), -1, np.int64)
        for j, i in enumerate(inst.ids.tolist()):
            hits = np.flatnonzero(upd.segment_ids == i)
            if len(hits):
                det_index[j] = hits[0]
        result.instances = Instances3D(inst.ids, inst.centroids, inst.box_min, inst.box_max, inst.point_counts, det_index,
                                       names)
        result.instance_of_detection = upd.segment_ids
        if self.instance_images and labels is not None:
            result.instance_image = self.map.instance_image(labels, upd.segment_ids, p.depth, p.intrinsics, pose)
        result.camera = camera
        return result

    def points(self, max_points: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Thread-safe snapshot of the map: (xyz Nx3, rgb Nx3 uint8, instance_id N; 0 = none)."""
        with self.lock:
            return self.map.points(max_points)

    def settle(self) -> None:
        """Finish a denoise pass the map spreads over frames (``InstanceMap.settle``): at the end of a run."""
        with self.lock:
            self.map.settle()

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


def match_detections(segments: Detections, detections: Detections, min_overlap: float = 0.5
                     ) -> tuple[np.ndarray, np.ndarray]:
    """(segment rows, detection rows) of segments mostly covered by a detection: by mask overlap when both have
    masks, else by how much of the segment's box lies in the detection's box; each segment takes its best."""
    if len(segments) == 0 or len(detections) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    if segments.masks is not None and detections.masks is not None and segments.masks.shape[1:] == detections.masks.shape[1:]:
        s = segments.masks[:, ::4, ::4].reshape(len(segments), -1).astype(np.float32)
        d = detections.masks[:, ::4, ::4].reshape(len(detections), -1).astype(np.float32)
        share = (s @ d.T) / np.maximum(s.sum(1, keepdims=True), 1)
    else:
        a, b = segments.xyxy[:, None], detections.xyxy[None]
        wh = np.clip(np.minimum(a[..., 2:], b[..., 2:]) - np.maximum(a[..., :2], b[..., :2]), 0, None)
        area = np.prod(np.clip(a[..., 2:] - a[..., :2], 0, None), axis=-1)
        share = wh.prod(-1) / np.maximum(area, 1e-9)
    best = share.argmax(1)
    seg = np.flatnonzero(share[np.arange(len(segments)), best] >= min_overlap)
    return seg, best[seg]


def build_map3d_stage(voxel: float | None = None, odometry: bool = True, **map_options) -> Map3DStage:
    """The "map3d" stage; ``voxel`` None sizes it to the scene from the first frame; ``map_options`` are
    MapConfig fields (see its docstring)."""
    from perception.lifting import LiftConfig

    lift = LiftConfig() if voxel is None else LiftConfig(voxel=voxel)
    cfg = MapConfig(lift=lift, auto_voxel=voxel is None, **map_options)
    return Map3DStage(cfg, odometry=odometry)
