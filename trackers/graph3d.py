"""Graph tracker in 3D, after 3DMOTFormer: a bipartite track-detection graph in world coordinates.

Tracks are propagated by a constant-velocity Kalman filter on the 3D centre (time steps from frame
timestamps, so frame rate changes behave); edges exist only inside a gate of ``max_speed`` x dt; each
edge is scored from the offset to the predicted centre, the box size change, 3D box IoU and appearance;
Hungarian solves the graph. Detections are ``result.instances`` (Instances3D: centroids + boxes).
"""

from __future__ import annotations

import abc
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from perception.types import FrameResult, Instances3D, Tracks3D, TrackState


def box3d_iou(min_a: np.ndarray, max_a: np.ndarray, min_b: np.ndarray, max_b: np.ndarray) -> np.ndarray:
    """Pairwise IoU of axis-aligned 3D boxes (Nx3 minima/maxima vs Mx3) -> NxM."""
    lo = np.maximum(min_a[:, None], min_b[None])
    hi = np.minimum(max_a[:, None], max_b[None])
    inter = np.prod(np.clip(hi - lo, 0, None), axis=2)
    vol_a = np.prod(np.clip(max_a - min_a, 0, None), axis=1)
    vol_b = np.prod(np.clip(max_b - min_b, 0, None), axis=1)
    union = vol_a[:, None] + vol_b[None] - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-12), 0.0)


class Tracker3D(abc.ABC):
    """Like trackers.base.Tracker but reporting world-space Tracks3D."""

    name: str = "tracker3d"

    @abc.abstractmethod
    def update(self, result: FrameResult) -> Tracks3D:
        """Associate this frame's 3D detections with the tracks so far."""

    @abc.abstractmethod
    def reset(self) -> None:
        """Forget every track and restart IDs at 1."""


class Tracker3DStage:
    """Pipeline stage that fills ``result.tracks3d`` from a 3D tracker."""

    name = "tracker3d"

    def __init__(self, tracker: Tracker3D):
        self.tracker = tracker

    def process(self, result: FrameResult) -> FrameResult:
        """Run one 3D tracker update."""
        result.tracks3d = self.tracker.update(result)
        return result

    def reset(self) -> None:
        """Restart the tracker."""
        self.tracker.reset()

    def close(self) -> None:
        """Nothing to release."""


@dataclass
class _Track3D:
    track_id: int
    mean: np.ndarray  # x, y, z, vx, vy, vz (metres, metres per second)
    cov: np.ndarray
    size: np.ndarray
    last_time: float
    embedding: np.ndarray | None
    state: TrackState = TrackState.TENTATIVE
    hits: int = 1
    misses: int = 0
    det_index: int = -1


class GraphTracker3D(Tracker3D):
    """Training-free 3D graph tracker; buffers in seconds."""

    name = "graph3d"

    def __init__(self, fps: float = 30.0, max_speed: float = 2.0, gate_margin: float = 0.15,
                 match_score: float = 0.3, min_hits: int = 2, max_lost_s: float = 2.0, min_points: int = 1,
                 accel_std: float = 2.0, measure_std: float = 0.03, size_ema: float = 0.8, ema: float = 0.9,
                 w_offset: float = 4.0, w_size: float = 2.0, w_iou: float = 2.0, w_cosine: float = 4.0,
                 cosine_neutral: float = 0.8):
        if not fps > 0:
            raise ValueError(f"fps must be positive, got {fps}")
        self.fps = float(fps)
        self.max_speed, self.gate_margin, self.match_score = max_speed, gate_margin, match_score
        self.min_hits, self.max_lost_s, self.min_points = min_hits, max_lost_s, min_points
        self.accel_std, self.measure_std, self.size_ema, self.ema = accel_std, measure_std, size_ema, ema
        self.w_offset, self.w_size, self.w_iou = w_offset, w_size, w_iou
        self.w_cosine, self.cosine_neutral = w_cosine, cosine_neutral
        self.reset()

    def reset(self) -> None:
        """Forget every track; IDs restart at 1."""
        self._tracks: list[_Track3D] = []
        self._next_id = 1
        self._time: float | None = None

    def _dt(self, result: FrameResult) -> float:
        t = float(result.packet.timestamp)
        dt = 1.0 / self.fps if self._time is None or not t > self._time else t - self._time
        self._time = t
        return dt

    def _predict(self, t: _Track3D, dt: float) -> None:
        f = np.eye(6)
        f[:3, 3:] = dt * np.eye(3)
        g = np.concatenate([0.5 * dt**2 * np.eye(3), dt * np.eye(3)])
        t.mean = f @ t.mean
        t.cov = f @ t.cov @ f.T + (self.accel_std**2) * g @ g.T

    def _correct(self, t: _Track3D, z: np.ndarray) -> None:
        h = np.eye(3, 6)
        s = h @ t.cov @ h.T + self.measure_std**2 * np.eye(3)
        gain = np.linalg.solve(s, h @ t.cov).T
        t.mean = t.mean + gain @ (z - h @ t.mean)
        t.cov = t.cov - gain @ s @ gain.T

    def _embeddings(self, result: FrameResult, inst: Instances3D) -> np.ndarray | None:
        emb = result.detections.embeddings
        if emb is None or len(inst) == 0 or np.any(inst.det_index < 0) or np.any(inst.det_index >= len(emb)):
            return None
        e = emb[inst.det_index].astype(np.float64)
        return e / np.maximum(np.linalg.norm(e, axis=1, keepdims=True), 1e-12)

    def _scores(self, inst: Instances3D, emb: np.ndarray | None, elapsed: np.ndarray) -> np.ndarray:
        """TxD edge scores; zero outside the speed gate."""
        pred = np.stack([t.mean[:3] for t in self._tracks])
        sizes = np.stack([t.size for t in self._tracks])
        det_sizes = np.maximum(inst.box_max - inst.box_min, 1e-3)
        dist = np.linalg.norm(inst.centroids[None] - pred[:, None], axis=2)
        gate = self.max_speed * elapsed[:, None] + self.gate_margin
        offset = dist / gate
        size = np.abs(np.log(det_sizes[None] / np.maximum(sizes[:, None], 1e-3))).sum(axis=2)
        iou = box3d_iou(pred - sizes / 2, pred + sizes / 2, inst.box_min, inst.box_max)
        z = 2.0 - self.w_offset * offset - self.w_size * size + self.w_iou * iou
        if emb is not None:
            t_emb = [t.embedding for t in self._tracks]
            has = np.array([e is not None for e in t_emb])
            if has.any():
                e = np.stack([x if x is not None else np.zeros(emb.shape[1]) for x in t_emb])
                z += np.where(has[:, None], self.w_cosine * (e @ emb.T - self.cosine_neutral), 0.0)
        s = 1.0 / (1.0 + np.exp(-z))
        return np.where(dist <= gate, s, 0.0)

    def update(self, result: FrameResult) -> Tracks3D:
        """Predict, associate by the gated bipartite graph, update the lifecycle, report matched tracks."""
        dt = self._dt(result)
        inst = result.instances if result.instances is not None else Instances3D.empty()
        keep = np.flatnonzero(inst.point_counts >= self.min_points)
        inst = Instances3D(inst.ids[keep], inst.centroids[keep], inst.box_min[keep], inst.box_max[keep],
                           inst.point_counts[keep], inst.det_index[keep])
        emb = self._embeddings(result, inst)
        for t in self._tracks:
            self._predict(t, dt)
        matches: dict[int, int] = {}
        if self._tracks and len(inst):
            elapsed = np.array([self._time - t.last_time for t in self._tracks])
            s = self._scores(inst, emb, elapsed)
            rows, cols = linear_sum_assignment(1.0 - s)
            matches = {int(r): int(c) for r, c in zip(rows, cols) if s[r, c] >= self.match_score}
        for ti, di in matches.items():
            t = self._tracks[ti]
            self._correct(t, inst.centroids[di])
            t.size = self.size_ema * t.size + (1 - self.size_ema) * (inst.box_max[di] - inst.box_min[di])
            t.last_time, t.hits, t.misses, t.det_index = self._time, t.hits + 1, 0, int(keep[di])
            if emb is not None:
                e = emb[di] if t.embedding is None else self.ema * t.embedding + (1 - self.ema) * emb[di]
                t.embedding = e / max(float(np.linalg.norm(e)), 1e-12)
            if t.state == TrackState.LOST or (t.state == TrackState.TENTATIVE and t.hits >= self.min_hits):
                t.state = TrackState.CONFIRMED
        for i, t in enumerate(self._tracks):
            if i not in matches:
                t.misses += 1
                t.det_index = -1
                if t.state == TrackState.CONFIRMED:
                    t.state = TrackState.LOST
        used = set(matches.values())
        first = self._next_id == 1
        for j in range(len(inst)):
            if j in used:
                continue
            cov = np.diag([self.measure_std**2] * 3 + [self.max_speed**2] * 3)
            t = _Track3D(self._next_id, np.concatenate([inst.centroids[j], np.zeros(3)]), cov,
                         inst.box_max[j] - inst.box_min[j], self._time,
                         None if emb is None else emb[j].copy(), det_index=int(keep[j]))
            if first or self.min_hits <= 1:
                t.state = TrackState.CONFIRMED
            self._next_id += 1
            self._tracks.append(t)
        self._tracks = [t for t in self._tracks
                        if not (t.state == TrackState.TENTATIVE and t.misses > 0)
                        and self._time - t.last_time <= self.max_lost_s]
        out = [t for t in self._tracks if t.state == TrackState.CONFIRMED and t.misses == 0]
        if not out:
            return Tracks3D(np.zeros((0, 3)), np.zeros(0, dtype=np.int64))
        return Tracks3D(np.stack([t.mean[:3] for t in out]), np.array([t.track_id for t in out]),
                        np.stack([t.size for t in out]), np.stack([t.mean[3:] for t in out]),
                        np.array([int(t.state) for t in out]), np.array([t.det_index for t in out]))
