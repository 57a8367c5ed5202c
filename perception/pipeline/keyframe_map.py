"""The "map3d" stage fusing keyframes only (see perception/pipeline/keyframes.py for when a frame is one)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from perception.lifting import paint_labels, pixel_keys
from perception.map3d.stage import Map3DStage
from perception.pipeline.keyframes import KeyframePolicy, pose_change, view_overlap
from perception.types import CameraState, FrameResult, InputError, Instances3D, Intrinsics, PoseSource

NOT_KEYFRAME = "not a keyframe: segments tracked against the map"


class KeyframeMap3DStage(Map3DStage):
    """The "map3d" stage fusing keyframes only (``policy``); other frames get ``result.instances``,
    ``result.instance_of_detection`` and ``result.camera`` from the map as it stands, and
    ``result.skipped["map3d"] = NOT_KEYFRAME``. ``keyframes`` / ``frames`` count fused / handled frames.

    ``hold`` (adaptive quality under load) tracks a frame against the map in place of fusing it.
    """

    def __init__(self, *args, policy: KeyframePolicy | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.policy = policy or KeyframePolicy()
        self._forget()

    def _forget(self) -> None:
        self.keyframes = self.frames = 0
        self._ref: tuple[np.ndarray, np.ndarray, int] | None = None  # depth, pose and index of the last keyframe
        self._last: tuple[np.ndarray, Instances3D] | None = None  # instance ids and instances after the last fusion

    def process(self, result: FrameResult) -> FrameResult:
        """Fuse the frame when it is a keyframe, else track it against the map."""
        return self._handle(result, force_track=False)

    def hold(self, result: FrameResult) -> FrameResult:
        """Track the frame against the map without fusing it (it still becomes a keyframe if none exists yet)."""
        return self._handle(result, force_track=True)

    def _handle(self, result: FrameResult, force_track: bool) -> FrameResult:
        p = result.packet
        if p.depth is None or p.intrinsics is None or (p.pose is None and self.odometry is None) \
                or not np.any(p.depth > 0):
            return super().process(result)  # skipped there, with its reason
        camera = self._camera(result)
        if camera is None or camera.pose is None:
            self._ref = None
            return result
        self.frames += 1
        if self._ref is None or (not force_track and self._is_keyframe(p.index, p.depth, camera.pose, p.intrinsics)):
            return self._fuse(result, camera)
        return self._track(result, camera)

    def _camera(self, result: FrameResult) -> CameraState | None:
        """This frame's camera (given or by odometry); None when the frame was skipped (reason recorded)."""
        p = result.packet
        if p.pose is not None:
            return CameraState(p.pose, PoseSource.GIVEN)
        try:
            odo = self.odometry.track(p.image, p.depth, p.intrinsics)
        except InputError as exc:
            self._skip(result, str(exc))
            return None
        if odo.pose is None:
            result.camera = CameraState(None, PoseSource.LOST, odo.method)
            self._skip(result, "camera tracking lost")
            return None
        return CameraState(odo.pose, PoseSource.ODOMETRY, odo.method)

    def _is_keyframe(self, index: int, depth: np.ndarray, pose: np.ndarray, k: Intrinsics) -> bool:
        ref_depth, ref_pose, ref_index = self._ref
        pol = self.policy
        if index - ref_index >= pol.max_gap:
            return True
        moved, turned = pose_change(ref_pose, pose)
        if moved > pol.max_translation or turned > pol.max_rotation_deg:
            return True
        return view_overlap(ref_depth, ref_pose, depth, pose, k, pol) < pol.min_overlap

    def _fuse(self, result: FrameResult, camera: CameraState) -> FrameResult:
        p = result.packet
        result.packet = replace(p, pose=camera.pose)  # the pose is known now: the map must not re-run odometry
        try:
            result = super().process(result)
        finally:
            result.packet = p
        if self.name in result.skipped:
            return result
        result.camera = camera
        self.keyframes += 1
        self._ref = (p.depth.copy(), camera.pose, p.index)
        self._last = (result.instances.ids, result.instances)
        return result

    def _track(self, result: FrameResult, camera: CameraState) -> FrameResult:
        """Instance of each segment: the one most of its sampled pixels' voxels hold in the map (none: -1)."""
        p = result.packet
        det = result.segments if result.segments is not None else result.detections
        s = max(1, int(self.map.config.lift.stride))
        labels = result.segment_labels
        if labels is None or labels.shape != p.depth.shape:
            masks = det.masks if det.masks is not None else np.zeros((len(det), *p.depth.shape), bool)
            lab = paint_labels(masks, s)
        else:
            lab = labels[::s, ::s]
        d = p.depth[::s, ::s]
        v, u = np.nonzero((lab >= 0) & np.isfinite(d) & (d > self.map.config.lift.min_depth))
        seg = lab[v, u].astype(np.int64)
        with self.lock:
            inst = self.map.label_of(pixel_keys(u * s, v * s, d[v, u].astype(np.float64), p.intrinsics,
                                                camera.pose, self.map.voxel))
            seg_ids = _majority(seg[inst > 0], inst[inst > 0], len(det))
            ids = np.union1d(self._last[0], seg_ids[seg_ids > 0])
            same = len(ids) == len(self._last[0])
            summary = self._last[1] if same else self.map.instances(ids)
            names = summary.labels if same else self.map.labels_of(summary.ids)
        det_index = np.full(len(summary), -1, np.int64)
        for j, i in enumerate(summary.ids.tolist()):
            hits = np.flatnonzero(seg_ids == i)
            if len(hits):
                det_index[j] = hits[0]
        result.instances = Instances3D(summary.ids, summary.centroids, summary.box_min, summary.box_max,
                                       summary.point_counts, det_index, names)
        result.instance_of_detection = seg_ids
        if self.instance_images and labels is not None and labels.shape == p.depth.shape:
            with self.lock:
                result.instance_image = self.map.instance_image(labels, seg_ids, p.depth, p.intrinsics, camera.pose)
        result.camera = camera
        result.skipped[self.name] = NOT_KEYFRAME
        return result

    def reset(self) -> None:
        """Forget the map, the odometry state and the last keyframe."""
        super().reset()
        self._forget()


def _majority(seg: np.ndarray, inst: np.ndarray, n: int) -> np.ndarray:
    """Per segment 0..n-1, the most frequent value of ``inst`` among its rows (-1 when it has none)."""
    out = np.full(n, -1, np.int64)
    if len(seg) == 0:
        return out
    ids, col = np.unique(inst, return_inverse=True)
    votes = np.bincount(seg * len(ids) + col, minlength=n * len(ids)).reshape(n, len(ids))
    has = votes.sum(1) > 0
    out[has] = ids[votes[has].argmax(1)]
    return out
