"""Online camera pose from RGB-D frames (Open3D RGB-D odometry) and absolute trajectory error.

Frame-to-frame tracking with a keyframe-to-frame fallback; when both fail the tracker reports the loss
(no pose) instead of drifting silently, and keeps trying against the last keyframe.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import cv2
import numpy as np

from perception.types import InputError, Intrinsics

log = logging.getLogger(__name__)


@dataclass
class OdometryResult:
    """Camera-to-world pose of the frame (None when tracking is lost) and how it was obtained."""

    pose: np.ndarray | None
    method: str  # "init", "frame", "keyframe" or "lost"


class RGBDOdometry:
    """Track a camera through RGB-D frames.

    max_depth: depth beyond this (m) is ignored; depth_diff_max: correspondence gate (m);
    keyframe_translation / keyframe_rotation_deg: motion from the keyframe that makes a new keyframe;
    max_step_translation / max_step_rotation_deg: larger steps between frames are treated as failures;
    scale: image scale the alignment runs at (0.5 = half resolution); min_inliers: share of depth points
    that must agree (within 5 cm) after an alignment for it to count as tracked.
    """

    def __init__(self, max_depth: float = 4.0, depth_diff_max: float = 0.07, keyframe_translation: float = 0.1,
                 keyframe_rotation_deg: float = 10.0, max_step_translation: float = 0.3,
                 max_step_rotation_deg: float = 30.0, initial_pose: np.ndarray | None = None, scale: float = 0.5,
                 min_inliers: float = 0.6):
        import open3d as o3d

        self._o3d = o3d
        self.max_depth = max_depth
        self.option = o3d.pipelines.odometry.OdometryOption(depth_diff_max=depth_diff_max, depth_max=max_depth)
        self.jacobian = o3d.pipelines.odometry.RGBDOdometryJacobianFromHybridTerm()
        self.kf_t, self.kf_r = keyframe_translation, np.deg2rad(keyframe_rotation_deg)
        self.step_t, self.step_r = max_step_translation, np.deg2rad(max_step_rotation_deg)
        self.initial_pose = np.eye(4) if initial_pose is None else np.asarray(initial_pose, float)
        self.scale = float(scale)
        self.min_inliers = float(min_inliers)
        self.reset()

    def reset(self) -> None:
        """Start a new trajectory at the initial pose."""
        self._prev = self._kf = None
        self._prev_pose = self._kf_pose = None
        self.lost_frames = 0

    def _rgbd(self, image: np.ndarray, depth: np.ndarray):
        o3d = self._o3d
        if self.scale != 1.0:
            size = (max(1, round(image.shape[1] * self.scale)), max(1, round(image.shape[0] * self.scale)))
            image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
            depth = cv2.resize(np.nan_to_num(depth, nan=0.0), size, interpolation=cv2.INTER_NEAREST)
        return o3d.geometry.RGBDImage.create_from_color_and_depth(
            o3d.geometry.Image(np.ascontiguousarray(image[:, :, ::-1])),
            o3d.geometry.Image(np.nan_to_num(depth, nan=0.0).astype(np.float32)),
            depth_scale=1.0, depth_trunc=self.max_depth, convert_rgb_to_intensity=True)

    def _align(self, src, dst, cam, init: np.ndarray) -> np.ndarray | None:
        """Transform taking ``src`` camera coordinates to ``dst`` camera coordinates, or None on failure."""
        ok, t, _info = self._o3d.pipelines.odometry.compute_rgbd_odometry(src, dst, cam, init, self.jacobian, self.option)
        if not ok or not np.all(np.isfinite(t)):
            return None
        return t if self._inlier_ratio(src, dst, cam, t) >= self.min_inliers else None

    @staticmethod
    def _inlier_ratio(src, dst, cam, t: np.ndarray, step: int = 4, tol: float = 0.05) -> float:
        """Share of source depth points that land within ``tol`` metres of the target depth after ``t``."""
        ds, dt = np.asarray(src.depth), np.asarray(dst.depth)
        k = cam.intrinsic_matrix
        v, u = np.nonzero(ds[::step, ::step] > 0)
        z = ds[v * step, u * step]
        p = np.stack([(u * step - k[0, 2]) * z / k[0, 0], (v * step - k[1, 2]) * z / k[1, 1], z], 1) @ t[:3, :3].T + t[:3, 3]
        front = p[:, 2] > 1e-3
        p = p[front]
        uu = np.round(p[:, 0] / p[:, 2] * k[0, 0] + k[0, 2]).astype(int)
        vv = np.round(p[:, 1] / p[:, 2] * k[1, 1] + k[1, 2]).astype(int)
        inside = (uu >= 0) & (uu < dt.shape[1]) & (vv >= 0) & (vv < dt.shape[0])
        d = dt[vv[inside], uu[inside]]
        seen = d > 0
        if seen.sum() < 50:
            return 0.0
        return float(np.mean(np.abs(d[seen] - p[inside][seen, 2]) < tol))

    def _plausible(self, step: np.ndarray) -> bool:
        angle = np.arccos(np.clip((np.trace(step[:3, :3]) - 1) / 2, -1, 1))
        return np.linalg.norm(step[:3, 3]) <= self.step_t and angle <= self.step_r

    def track(self, image: np.ndarray, depth: np.ndarray, k: Intrinsics) -> OdometryResult:
        """Pose of this frame (camera-to-world) relative to the first frame's ``initial_pose``."""
        if depth.shape != (k.height, k.width) or image.shape[:2] != depth.shape:
            raise InputError(f"odometry needs colour and depth of {k.width}x{k.height}, got {image.shape} and {depth.shape}")
        if not np.any(np.isfinite(depth) & (depth > 0)):
            raise InputError("odometry needs depth with valid pixels")
        cur = self._rgbd(image, depth)
        ks = k.scaled(max(1, round(k.width * self.scale)), max(1, round(k.height * self.scale)))
        cam = self._o3d.camera.PinholeCameraIntrinsic(ks.width, ks.height, ks.fx, ks.fy, ks.cx, ks.cy)
        if self._prev is None:
            self._prev = self._kf = cur
            self._prev_pose = self._kf_pose = self.initial_pose.copy()
            return OdometryResult(self._prev_pose.copy(), "init")
        pose, method = None, "lost"
        if self.lost_frames == 0:
            t = self._align(self._prev, cur, cam, np.eye(4))
            if t is not None and self._plausible(t):
                pose, method = self._prev_pose @ np.linalg.inv(t), "frame"
        if pose is None:
            init = np.linalg.inv(np.linalg.inv(self._kf_pose) @ self._prev_pose)
            t = self._align(self._kf, cur, cam, init)
            if t is not None and self._plausible(t @ np.linalg.inv(init)):
                pose, method = self._kf_pose @ np.linalg.inv(t), "keyframe"
        if pose is None:
            self.lost_frames += 1
            log.warning("odometry lost tracking (%d frame(s))", self.lost_frames)
            return OdometryResult(None, "lost")
        self.lost_frames = 0
        self._prev, self._prev_pose = cur, pose
        rel = np.linalg.inv(self._kf_pose) @ pose
        angle = np.arccos(np.clip((np.trace(rel[:3, :3]) - 1) / 2, -1, 1))
        if np.linalg.norm(rel[:3, 3]) > self.kf_t or angle > self.kf_r:
            self._kf, self._kf_pose = cur, pose
        return OdometryResult(pose.copy(), method)


def align_trajectories(est: np.ndarray, gt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rigid (rotation + translation) least-squares alignment of Nx3 ``est`` onto ``gt`` (Umeyama, no scale)."""
    mu_e, mu_g = est.mean(0), gt.mean(0)
    u, _s, vt = np.linalg.svd((gt - mu_g).T @ (est - mu_e))
    d = np.diag([1.0, 1.0, np.sign(np.linalg.det(u @ vt))])
    r = u @ d @ vt
    return r, mu_g - r @ mu_e


def ate_rmse(est_poses: np.ndarray, gt_poses: np.ndarray) -> float:
    """Absolute trajectory error (RMSE of camera positions, metres) after rigid alignment."""
    e, g = np.asarray(est_poses)[:, :3, 3], np.asarray(gt_poses)[:, :3, 3]
    if len(e) != len(g) or len(e) < 3:
        raise InputError(f"ATE needs two trajectories of equal length >= 3, got {len(e)} and {len(g)}")
    r, t = align_trajectories(e, g)
    return float(np.sqrt(np.mean(np.sum((e @ r.T + t - g) ** 2, axis=1))))
