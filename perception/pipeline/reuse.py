"""Incremental segmentation: where neither colour nor depth changed since the last segmented frame, repeat its
segments instead of segmenting again (a still camera looking at a still scene)."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from perception.types import FramePacket, FrameResult, InputError


@dataclass(frozen=True)
class ReusePolicy:
    """A frame reuses the last segments when at most ``max_changed`` of its sampled pixels (every ``stride``-th)
    changed: grey level by more than ``grey_tol``, or depth by more than ``depth_tol`` of itself (at least
    ``depth_tol_m``), or depth became valid or invalid; and fewer than ``max_reuse`` frames reused them already."""

    stride: int = 8
    grey_tol: float = 12.0
    depth_tol: float = 0.03
    depth_tol_m: float = 0.02
    max_changed: float = 0.01
    max_reuse: int = 10

    def __post_init__(self) -> None:
        if self.stride < 1 or self.max_reuse < 0 or not 0 <= self.max_changed <= 1:
            raise InputError("segment reuse needs stride >= 1, max_reuse >= 0 and max_changed in 0..1")


def _sample(p: FramePacket, stride: int) -> tuple[np.ndarray, np.ndarray | None]:
    """(grey levels, depth) of every ``stride``-th pixel."""
    img = p.image[::stride, ::stride]
    grey = cv2.cvtColor(np.ascontiguousarray(img), cv2.COLOR_BGR2GRAY) if img.ndim == 3 else img
    return grey.astype(np.float32), None if p.depth is None else p.depth[::stride, ::stride].astype(np.float32)


def changed_share(a: tuple[np.ndarray, np.ndarray | None], b: tuple[np.ndarray, np.ndarray | None],
                  policy: ReusePolicy) -> float:
    """Share of sampled pixels whose grey level or depth differs between two samples (1.0 when incomparable)."""
    (ga, da), (gb, db) = a, b
    if ga.shape != gb.shape or (da is None) != (db is None):
        return 1.0
    changed = np.abs(ga - gb) > policy.grey_tol
    if da is not None:
        va, vb = np.isfinite(da) & (da > 0), np.isfinite(db) & (db > 0)
        with np.errstate(invalid="ignore"):
            moved = np.abs(da - db) > np.maximum(policy.depth_tol * db, policy.depth_tol_m)
        changed |= (va != vb) | (va & vb & moved)
    return float(changed.mean())


class ReuseUnchanged:
    """Wraps a stage that has ``hold`` (e.g. "segment"): runs it only when the frame changed (``policy``), else
    holds its last output. ``reused`` counts held frames; everything else is the wrapped stage's."""

    def __init__(self, stage, policy: ReusePolicy | None = None):
        self.stage = stage
        self.name = stage.name
        self.policy = policy or ReusePolicy()
        self.reused = 0
        self._last: tuple[np.ndarray, np.ndarray | None] | None = None
        self._streak = 0

    def __getattr__(self, attr: str):
        return getattr(self.stage, attr)

    def process(self, result: FrameResult) -> FrameResult:
        """Segment the frame, or repeat the last segments when nothing changed."""
        pol = self.policy
        now = _sample(result.packet, pol.stride)
        if self._last is not None and self._streak < pol.max_reuse and changed_share(now, self._last, pol) <= pol.max_changed:
            self._streak += 1
            self.reused += 1
            return self.stage.hold(result)
        self._last, self._streak = now, 0
        return self.stage.process(result)

    def hold(self, result: FrameResult) -> FrameResult:
        """Repeat the last output (adaptive quality under load)."""
        return self.stage.hold(result)

    def reset(self) -> None:
        """Forget the last frame, and reset the wrapped stage."""
        self._last, self._streak, self.reused = None, 0, 0
        self.stage.reset()

    def close(self) -> None:
        """Close the wrapped stage."""
        self.stage.close()
