"""A plain IoU tracker: Hungarian matching on box overlap, tracks confirmed after a few hits.

Baseline and fallback; the graph tracker is the product's default.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from perception.types import Detections, Tracks, TrackState
from trackers.base import LabelVotes, Tracker, frames_for
from trackers.config import IoUConfig
from trackers.geometry import box_iou


@dataclass
class _Track:
    track_id: int
    xyxy: np.ndarray
    score: float
    class_id: int
    votes: LabelVotes
    hits: int = 1
    misses: int = 0
    state: TrackState = TrackState.TENTATIVE


class IoUTracker(Tracker):
    """Associates detections to the previous boxes by IoU (no motion model)."""

    name = "iou"
    config_class = IoUConfig

    def __init__(self, fps: float = 30.0, config: IoUConfig | None = None, **overrides):
        super().__init__(fps, config, **overrides)
        self.iou_threshold = self.config.iou_threshold
        self.min_score = self.config.min_score
        self.min_hits = self.config.min_hits
        self.max_lost = frames_for(self.config.max_lost_s, self.fps)
        self.reset()

    def reset(self) -> None:
        """Forget every track; IDs restart at 1."""
        self._tracks: list[_Track] = []
        self._next_id = 1

    def update(self, detections: Detections, image: np.ndarray | None = None) -> Tracks:
        """Match this frame's confident detections to live tracks (the image is not used); report confirmed,
        matched tracks."""
        dets = detections
        keep = np.flatnonzero(dets.scores >= self.min_score)
        boxes = dets.xyxy[keep]
        prev = np.array([t.xyxy for t in self._tracks]).reshape(-1, 4)
        iou = box_iou(prev, boxes)
        rows, cols = linear_sum_assignment(-iou) if iou.size else (np.zeros(0, int), np.zeros(0, int))
        ok = iou[rows, cols] >= self.iou_threshold
        matched_t, matched_d = set(rows[ok].tolist()), set(cols[ok].tolist())
        det_of_track: dict[int, int] = {}
        for r, c in zip(rows[ok], cols[ok]):
            t = self._tracks[r]
            d = int(keep[c])
            t.xyxy, t.score, t.class_id = dets.xyxy[d], float(dets.scores[d]), int(dets.class_ids[d])
            t.votes.add(dets.labels[d])
            t.hits, t.misses = t.hits + 1, 0
            if t.hits >= self.min_hits:
                t.state = TrackState.CONFIRMED
            det_of_track[t.track_id] = d
        for i, t in enumerate(self._tracks):
            if i not in matched_t:
                t.misses += 1
                t.state = TrackState.LOST if t.state == TrackState.CONFIRMED else t.state
        for c in range(len(boxes)):
            if c not in matched_d:
                d = int(keep[c])
                t = _Track(self._next_id, dets.xyxy[d], float(dets.scores[d]), int(dets.class_ids[d]),
                           LabelVotes(dets.labels[d]))
                if self.min_hits <= 1:
                    t.state = TrackState.CONFIRMED
                self._next_id += 1
                self._tracks.append(t)
                det_of_track[t.track_id] = d
        self._tracks = [t for t in self._tracks
                        if t.misses <= self.max_lost and not (t.state == TrackState.TENTATIVE and t.misses > 0)]
        out = [t for t in self._tracks if t.state == TrackState.CONFIRMED and t.misses == 0]
        if not out:
            return Tracks.empty()
        return Tracks(np.array([t.xyxy for t in out]), np.array([t.track_id for t in out]),
                      np.array([t.score for t in out]), np.array([t.class_id for t in out]),
                      np.array([int(t.state) for t in out]), np.array([det_of_track[t.track_id] for t in out]),
                      labels=[t.votes.label for t in out])
