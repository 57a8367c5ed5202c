"""Keyframe selection for the 3D map: fuse a frame into the map only when the camera moved or the view changed
enough; between keyframes the frame's segments are looked up in the map (tracked) instead of fused
(perception/pipeline/keyframe_map.py).

A frame is a keyframe when any of these holds (``KeyframePolicy``): it is the first one (also after a reset or a
tracking loss); the camera moved more than ``max_translation`` metres or turned more than ``max_rotation_deg``
degrees since the last keyframe; less than ``min_overlap`` of its depth pixels are explained by the last
keyframe's depth (new surface came into view, or something in view moved); ``max_gap`` frames passed since the
last keyframe.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from perception.types import InputError, Intrinsics


@dataclass(frozen=True)
class KeyframePolicy:
    """When a frame is fused into the map; see the module docstring. ``max_gap`` 1 fuses every frame.

    ``depth_tol`` (fraction of depth, at least ``depth_tol_m``) is how far a pixel's depth may be from the
    keyframe's depth at the same surface point to count as explained; ``stride`` samples every N-th pixel.
    """

    max_translation: float = 0.10
    max_rotation_deg: float = 10.0
    min_overlap: float = 0.9
    max_gap: int = 3
    depth_tol: float = 0.03
    depth_tol_m: float = 0.02
    stride: int = 8

    def __post_init__(self) -> None:
        if self.max_gap < 1 or self.stride < 1 or not 0 <= self.min_overlap <= 1:
            raise InputError("keyframes need max_gap >= 1, stride >= 1 and min_overlap in 0..1")


def view_overlap(ref_depth: np.ndarray, ref_pose: np.ndarray, depth: np.ndarray, pose: np.ndarray, k: Intrinsics,
                 policy: KeyframePolicy) -> float:
    """Share of this frame's sampled depth pixels that the reference frame saw at the same depth (0..1)."""
    s = policy.stride
    d = depth[::s, ::s]
    v, u = np.nonzero(np.isfinite(d) & (d > 0))
    if len(u) == 0:
        return 1.0
    z = d[v, u].astype(np.float64)
    cam = k.backproject(u * s, v * s, z)
    rel = np.linalg.inv(ref_pose) @ pose  # this camera -> reference camera
    x, y, zr = rel[:3, :3] @ cam + rel[:3, 3:4]
    with np.errstate(divide="ignore", invalid="ignore"):
        ur = np.round(x / zr * k.fx + k.cx)
        vr = np.round(y / zr * k.fy + k.cy)
    inside = (zr > 0) & (ur >= 0) & (ur < k.width) & (vr >= 0) & (vr < k.height)
    dr = ref_depth[vr[inside].astype(np.intp), ur[inside].astype(np.intp)]
    zi = zr[inside]
    ok = np.isfinite(dr) & (np.abs(dr - zi) <= np.maximum(policy.depth_tol * zi, policy.depth_tol_m))
    return float(ok.sum()) / len(u)


def pose_change(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """(translation in metres, rotation in degrees) between two camera-to-world poses."""
    rel = np.linalg.inv(a) @ b
    cos = np.clip((np.trace(rel[:3, :3]) - 1) / 2, -1.0, 1.0)
    return float(np.linalg.norm(rel[:3, 3])), float(np.degrees(np.arccos(cos)))
