"""Graph tracker in 3D, after 3DMOTFormer: a bipartite track-detection graph in world coordinates.

Tracks are propagated by a constant-velocity Kalman filter on the 3D centre (time steps from frame
timestamps, so frame rate changes behave); edges exist only inside a gate of ``max_speed`` x dt; each
edge is scored from the offset to the predicted centre, the box size change, 3D box IoU and appearance;
Hungarian solves the graph. Detections are the map's instances (Instances3D: centroids + boxes).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from perception.types import Instances3D, Tracks3D, TrackState
from trackers.base import Tracker3D
from trackers.config import Graph3DConfig
from trackers.kalman import PointKalman3D


def box3d_iou(min_a: np.ndarray, max_a: np.ndarray, min_b: np.ndarray, max_b: np.ndarray) -> np.ndarray:
    """Pairwise IoU of axis-aligned 3D boxes (Nx3 minima/maxima vs Mx3) -> NxM."""
    lo = np.maximum(min_a[:, None], min_b[None])
    hi = np.minimum(max_a[:, None], max_b[None])
    inter = np.prod(np.clip(hi - lo, 0, None), axis=2)
    vol_a = np.prod(np.clip(max_a - min_a, 0, None), axis=1)
    vol_b = np.prod(np.clip(max_b - min_b, 0, None), axis=1)
    union = vol_a[:, None] + vol_b[None] - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-12), 0.0)


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
    config_class = Graph3DConfig

    def __init__(self, fps: float = 30.0, config: Graph3DConfig | None = None, **overrides):
        super().__init__(fps, config, **overrides)
        c = self.config
        self.max_speed, self.gate_margin, self.match_score = c.max_speed, c.gate_margin, c.match_score
        self.min_hits, self.max_lost_s, self.min_points = c.min_hits, c.max_lost_s, c.min_points
        self.size_ema, self.ema = c.size_ema, c.ema
        self.w_offset, self.w_size, self.w_iou = c.w_offset, c.w_size, c.w_iou
        self.w_cosine, self.cosine_neutral = c.w_cosine, c.cosine_neutral
        self.kalman = PointKalman3D(c.accel_std, c.measure_std)
        self.reset()

    def reset(self) -> None:
        """Forget every track; IDs restart at 1."""
        self._tracks: list[_Track3D] = []
        self._next_id = 1
        self._time: float | None = None

    def _dt(self, t: float) -> float:
        dt = 1.0 / self.fps if self._time is None or not t > self._time else t - self._time
        self._time = t
        return dt


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

    def update(self, detections: Instances3D, timestamp: float, embeddings: np.ndarray | None = None) -> Tracks3D:
        """Predict, associate by the gated bipartite graph, update the lifecycle, report matched tracks."""
        dt = self._dt(float(timestamp))
        keep = np.flatnonzero(detections.point_counts >= self.min_points)
        inst = Instances3D(detections.ids[keep], detections.centroids[keep], detections.box_min[keep],
                           detections.box_max[keep], detections.point_counts[keep], detections.det_index[keep])
        emb = None
        if embeddings is not None and len(embeddings) == len(detections):
            e = np.asarray(embeddings, dtype=np.float64)[keep]
            emb = e / np.maximum(np.linalg.norm(e, axis=1, keepdims=True), 1e-12)
        for t in self._tracks:
            t.mean, t.cov = self.kalman.predict(t.mean, t.cov, dt)
        matches: dict[int, int] = {}
        if self._tracks and len(inst):
            elapsed = np.array([self._time - t.last_time for t in self._tracks])
            s = self._scores(inst, emb, elapsed)
            rows, cols = linear_sum_assignment(1.0 - s)
            matches = {int(r): int(c) for r, c in zip(rows, cols) if s[r, c] >= self.match_score}
        for ti, di in matches.items():
            t = self._tracks[ti]
            t.mean, t.cov = self.kalman.update(t.mean, t.cov, inst.centroids[di])
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
            mean, cov = self.kalman.initiate(inst.centroids[j], self.max_speed)
            t = _Track3D(self._next_id, mean, cov,
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
