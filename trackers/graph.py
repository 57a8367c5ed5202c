"""Graph tracker (2D), after Sparse Graph Tracker: sparse track-detection edges, message passing, Hungarian.

Per frame: Kalman-predict every track; link each track to its top-k detections by IoU, centre distance
and appearance (no score cutoff on the detection side); score each edge from its features; let edges
compete for a few rounds of message passing; solve the assignment; then a second IoU pass, re-identify
lost tracks by appearance, and start tracks only from high-score detections. A low-score detection may
only extend an existing track (detection recovery) after a "real object" check. A confirmed track that
misses its detection is still reported, at its predicted box and in state LOST, for ``coast_frames`` frames
while that box has an area and overlaps the image: detectors miss people for a frame or two, and the
prediction is closer to them than no box. Below ``slow_fps`` frames a second the edge score forgives larger
offsets: a frame spans more walking.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linear_sum_assignment

from perception.types import Detections, MaskRows, Tracks, TrackState
from trackers.appearance import LazyEmbeddings
from trackers.base import LabelVotes, Tracker, frames_for
from trackers.cmc import CameraMotion
from trackers.config import GraphConfig
from trackers.edges import EdgeScorer, edge_features, gate, message_passing, sparse_edges
from trackers.geometry import box_iou
from trackers.kalman import BoxKalman, cxcywh_to_xyxy, xyxy_to_cxcywh


def _slow_frames_factor(fps: float, slow_fps: float) -> float:
    """How much of the offset penalty is kept at ``fps``: (fps / slow_fps)^2 below ``slow_fps``, else all of it."""
    return min(1.0, fps / slow_fps) ** 2 if slow_fps > 0 else 1.0


@dataclass
class _Track:
    track_id: int
    score: float
    class_id: int
    state: TrackState = TrackState.TENTATIVE
    hits: int = 1
    misses: int = 0
    det_index: int = -1
    last_box: np.ndarray | None = None
    votes: LabelVotes = field(default_factory=LabelVotes)


def _no_embeddings(n: int = 0, dim: int = 0) -> np.ndarray:
    return np.zeros((n, dim), np.float32)


def _assign(score: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """Hungarian on 1 - score; pairs below ``threshold`` are dropped."""
    if score.size == 0:
        return np.zeros(0, int), np.zeros(0, int)
    rows, cols = linear_sum_assignment(1.0 - score)
    ok = score[rows, cols] >= threshold
    return rows[ok], cols[ok]


class GraphTracker(Tracker):
    """Training-free sparse graph tracker; options are GraphConfig fields (buffers in seconds, converted with
    ``fps``)."""

    name = "graph"
    config_class = GraphConfig

    def __init__(self, fps: float = 30.0, config: GraphConfig | None = None, scorer: EdgeScorer | None = None,
                 **overrides):
        super().__init__(fps, config, **overrides)
        c = self.config
        self.high_score, self.new_track_score, self.low_score = c.high_score, c.new_track_score, c.low_score
        self.max_detections, self.top_k, self.match_score = c.max_detections, c.top_k, c.match_score
        self.rounds, self.competition = c.rounds, c.competition
        self.recovery, self.recovery_iou, self.duplicate_iou = c.recovery, c.recovery_iou, c.duplicate_iou
        self.second_iou, self.min_hits = c.second_iou, c.min_hits
        self.track_buffer = frames_for(c.track_buffer_s, self.fps)
        self.reid_window = frames_for(c.reid_window_s, self.fps)
        self.reid_cosine = c.reid_cosine
        self.reid_speed_per_frame = c.reid_speed / self.fps  # box heights per frame
        self.ema, self.appearance, self.output_box = c.ema, c.appearance, c.output_box
        self.coast_frames = c.coast_frames
        self.appearance_refresh = c.appearance_refresh
        self.scorer = scorer or EdgeScorer(w_offset=EdgeScorer.w_offset * _slow_frames_factor(self.fps, c.slow_fps))
        self.kalman = BoxKalman()
        self.cmc = CameraMotion() if c.cmc else None
        self.reset()

    def reset(self) -> None:
        """Forget every track; IDs restart at 1."""
        self._tracks: list[_Track] = []
        # filter states and appearance of the tracks, one row per entry of ``_tracks``, kept in step with it
        self._mean = np.zeros((0, 8))
        self._cov = np.zeros((0, 8, 8))
        self._emb = _no_embeddings()
        self._has_emb = np.zeros(0, dtype=bool)
        self._next_id = 1
        self._frames = 0
        self._frame_size: tuple[int, int] | None = None  # (width, height) of the last image seen
        if self.cmc is not None:
            self.cmc.reset()

    # -- one frame ---------------------------------------------------------------------------------

    def update(self, detections: Detections, image: np.ndarray | None = None) -> Tracks:
        """Associate this frame's detections with the tracks; report confirmed tracks matched now."""
        dets = detections
        self._frames += 1
        if image is not None:
            self._frame_size = (image.shape[1], image.shape[0])
        self._predict(image)
        cand = self._candidates(dets)
        boxes = dets.xyxy[cand]
        scores = dets.scores[cand]
        high = scores >= self.high_score
        emb = self._embeddings(dets, image, cand)
        if emb is not None and self._emb.shape[1] != emb.dim:  # first vectors, or a source with another length
            self._emb, self._has_emb = _no_embeddings(len(self._tracks), emb.dim), np.zeros(len(self._tracks), bool)
        tracks = self._tracks
        track_boxes = cxcywh_to_xyxy(self._mean[:, :4])
        iou = box_iou(track_boxes, boxes)
        real = self._real_objects(boxes, scores, high, iou)
        centres = xyxy_to_cxcywh(boxes)

        matches: dict[int, int] = {}
        # 1) graph association over every track and every candidate detection
        if len(tracks) and len(cand):
            s = self._edge_scores(tracks, track_boxes, centres, iou, emb, high, real)
            for r, c in zip(*_assign(s, self.match_score)):
                matches[int(r)] = int(c)
        # 2) second IoU pass for tracks still free (tentative ones included)
        free_t = np.array([i for i in range(len(tracks)) if i not in matches], dtype=int)
        used = set(matches.values())
        free_d = np.array([j for j in range(len(cand)) if j not in used and (high[j] or real[j])], dtype=int)
        if len(free_t) and len(free_d):
            pair_iou = iou[np.ix_(free_t, free_d)]
            for r, c in zip(*_assign(pair_iou, self.second_iou)):
                matches[int(free_t[r])] = int(free_d[c])
        # 3) re-identify lost tracks by appearance, within the time window and a speed gate
        if emb is not None:
            self._reidentify(matches, tracks, centres, emb, high)

        self._correct(matches, boxes, centres, scores, dets, cand, emb)
        matched_t = set(matches)
        for i, t in enumerate(tracks):
            if i not in matched_t:
                t.misses += 1
                t.det_index = -1
                if t.state == TrackState.CONFIRMED:
                    t.state = TrackState.LOST
        self._start_tracks(dets, cand, boxes, centres, scores, emb, set(matches.values()))
        keep = [not self._expired(t, bool(e)) for t, e in zip(self._tracks, self._has_emb)]
        if not all(keep):
            self._tracks = [t for t, k in zip(self._tracks, keep) if k]
            self._mean, self._cov = self._mean[keep], self._cov[keep]
            self._emb, self._has_emb = self._emb[keep], self._has_emb[keep]
        return self._report(dets)

    # -- steps -------------------------------------------------------------------------------------

    def _predict(self, image: np.ndarray | None) -> None:
        if not self._tracks:
            if self.cmc is not None and image is not None:
                self.cmc.estimate(image)
            return
        means, covs = self.kalman.predict(self._mean, self._cov)
        if self.cmc is not None and image is not None:
            warp = self.cmc.estimate(image)
            means, covs = self.cmc.apply(warp, means, covs)
        self._mean, self._cov = means, covs

    def _candidates(self, dets: Detections) -> np.ndarray:
        """Rows of the top ``max_detections`` detections scoring at least ``low_score``, best first."""
        rows = np.flatnonzero(dets.scores >= self.low_score)
        return rows[np.argsort(-dets.scores[rows], kind="stable")][: self.max_detections]

    def _embeddings(self, dets: Detections, image: np.ndarray | None, cand: np.ndarray) -> LazyEmbeddings | None:
        """Lazy appearance of the candidates: detector embeddings, else histograms of the image (if any)."""
        if not self.appearance or len(cand) == 0 or (image is None and dets.embeddings is None):
            return None
        return LazyEmbeddings(image, dets.xyxy, dets.masks, dets.embeddings, cand)

    def _real_objects(self, boxes: np.ndarray, scores: np.ndarray, high: np.ndarray,
                      iou: np.ndarray) -> np.ndarray:
        """Low-score detections that pass the "real object" check and so may extend (never start) a track:
        they overlap the prediction of a live track by ``recovery_iou`` and duplicate no higher-scoring
        detection by ``duplicate_iou``."""
        real = np.zeros(len(boxes), dtype=bool)
        if not self.recovery or len(boxes) == 0:
            return real
        low = np.flatnonzero(~high)
        if len(low) == 0:
            return real
        live = np.array([t.misses <= self.track_buffer for t in self._tracks], dtype=bool)
        overlaps = iou[live][:, low].max(axis=0, initial=0.0) >= self.recovery_iou
        dup = box_iou(boxes[low], boxes)
        higher = scores[None, :] > scores[low][:, None]
        duplicate = (np.where(higher, dup, 0.0) >= self.duplicate_iou).any(axis=1)
        real[low] = overlaps & ~duplicate
        return real

    def _edge_scores(self, tracks: list[_Track], track_boxes: np.ndarray, centres: np.ndarray, iou: np.ndarray,
                     emb: LazyEmbeddings | None, high: np.ndarray, real: np.ndarray) -> np.ndarray:
        """Dense TxD matrix of message-passed edge scores; zero where there is no edge.

        Histograms are computed only where geometry is not enough: detections inside the gate of two or
        more tracks, among two or more detections inside one track's gate, or near a track that is coasting
        on its prediction (missed frames); vectors already known (detector embeddings) are always used."""
        misses = np.array([t.misses for t in tracks])
        feats = edge_features(xyxy_to_cxcywh(track_boxes), centres, iou)
        near = gate(feats, misses)
        near &= (misses <= self.track_buffer)[:, None]
        if emb is not None:
            has = self._has_emb
            contested = near & has[:, None]
            need = (contested.sum(axis=0) >= 2) | contested[contested.sum(axis=1) >= 2].any(axis=0)
            need |= contested[misses > 0].any(axis=0) | emb.computed_mask()
            cols = np.flatnonzero(need)
            if len(cols):
                cos = self._emb @ emb.get(cols).T
                cos[~has] = np.nan
                feats[:, cols, 5] = cos
        mask = sparse_edges(feats, near, self.top_k)
        mask &= (high | real)[None, :]
        s = np.zeros(mask.shape)
        if mask.any():
            s[mask] = self.scorer.score(feats[mask], misses[np.nonzero(mask)[0]])
        return message_passing(s, self.rounds, self.competition)

    def _reidentify(self, matches: dict[int, int], tracks: list[_Track], centres: np.ndarray,
                    emb: LazyEmbeddings, high: np.ndarray) -> None:
        lost = [i for i, t in enumerate(tracks) if i not in matches and t.state == TrackState.LOST
                and self._has_emb[i] and t.misses <= self.reid_window]
        used = set(matches.values())
        free = [j for j in range(len(centres)) if j not in used and high[j]]
        if not lost or not free:
            return
        cos = self._emb[lost] @ emb.get(free).T
        centre = centres[free]
        for a, i in enumerate(lost):
            t, mean = tracks[i], self._mean[i]
            reach = self.reid_speed_per_frame * (t.misses + 1) * mean[3] + mean[3]
            dist = np.hypot(centre[:, 0] - mean[0], centre[:, 1] - mean[1])
            cos[a, dist > reach] = 0.0
        for r, c in zip(*_assign(cos, self.reid_cosine)):
            matches[lost[r]] = free[c]

    def _correct(self, matches: dict[int, int], boxes: np.ndarray, centres: np.ndarray, scores: np.ndarray,
                 dets: Detections, cand: np.ndarray, emb: LazyEmbeddings | None) -> None:
        """Kalman-correct every matched track in one batch; refresh appearance when it was computed anyway,
        when the track has none, or every ``appearance_refresh`` hits."""
        if not matches:
            return
        ti = np.fromiter(matches.keys(), int)
        di = np.fromiter(matches.values(), int)
        tracks = [self._tracks[i] for i in ti]
        self._mean[ti], self._cov[ti] = self.kalman.update_batch(self._mean[ti], self._cov[ti],
                                                                 centres[di])
        if emb is not None:  # one batch for every appearance vector this step needs
            had = self._has_emb[ti]
            refresh = ~had | np.array([(t.hits + 1) % self.appearance_refresh == 0 for t in tracks], dtype=bool)
            emb.get(di[refresh])
            known = emb.computed_mask()[di]
            if known.any():
                new = emb.get(di[known])
                blend = had[known]
                rows = ti[known]
                new[blend] = self.ema * self._emb[rows[blend]] + (1 - self.ema) * new[blend]
                new /= np.maximum(np.linalg.norm(new, axis=1, keepdims=True), 1e-12)
                self._emb[rows], self._has_emb[rows] = new, True
        rows = cand[di]
        class_ids = dets.class_ids[rows].tolist()
        for t, d, row, cls in zip(tracks, di.tolist(), rows.tolist(), class_ids):
            t.last_box = boxes[d]
            t.score, t.class_id, t.det_index = float(scores[d]), cls, row
            t.votes.add(dets.labels[row])
            t.hits, t.misses = t.hits + 1, 0
            if t.state == TrackState.LOST or (t.state == TrackState.TENTATIVE and t.hits >= self.min_hits):
                t.state = TrackState.CONFIRMED

    def _start_tracks(self, dets: Detections, cand: np.ndarray, boxes: np.ndarray, centres: np.ndarray,
                      scores: np.ndarray, emb: LazyEmbeddings | None, used: set[int]) -> None:
        """New tentative tracks from unmatched detections scoring at least ``new_track_score``."""
        new = [j for j in range(len(cand)) if j not in used and scores[j] >= self.new_track_score]
        if not new:
            return
        if emb is not None:
            emb.get(new)
        taken = np.zeros(len(cand), dtype=bool)
        taken[list(used)] = True
        overlap = box_iou(boxes, boxes) >= self.duplicate_iou
        started = []
        for j in new:
            if (overlap[j] & taken).any():
                continue
            t = _Track(self._next_id, float(scores[j]), int(dets.class_ids[cand[j]]), det_index=int(cand[j]),
                       votes=LabelVotes(dets.labels[cand[j]]))
            t.last_box = boxes[j]
            if self._frames == 1 or self.min_hits <= 1:
                t.state = TrackState.CONFIRMED
            self._next_id += 1
            self._tracks.append(t)
            taken[j] = True
            started.append(j)
        if not started:
            return
        states = [self.kalman.initiate(z) for z in centres[started]]
        self._mean = np.concatenate([self._mean, np.stack([m for m, _ in states])])
        self._cov = np.concatenate([self._cov, np.stack([c for _, c in states])])
        vectors = _no_embeddings(len(started), self._emb.shape[1]) if emb is None else emb.get(started)
        self._emb = np.concatenate([self._emb, vectors])
        self._has_emb = np.concatenate([self._has_emb, np.full(len(started), emb is not None)])

    def _expired(self, t: _Track, has_embedding: bool) -> bool:
        if t.state == TrackState.TENTATIVE:
            return t.misses > 0
        return t.misses > max(self.track_buffer, self.reid_window if has_embedding else 0)

    def _drawable(self, i: int) -> bool:
        """Whether track ``i``'s predicted box has an area and, where the image size is known, overlaps the image."""
        cx, cy, w, h = self._mean[i, :4]
        if w <= 0 or h <= 0:
            return False
        if self._frame_size is None:
            return True
        width, height = self._frame_size
        return cx + w / 2 > 0 and cy + h / 2 > 0 and cx - w / 2 < width and cy - h / 2 < height

    def _report(self, dets: Detections) -> Tracks:
        # a coasting track whose prediction has shrunk to nothing or left the image (one walking out across the
        # border) is not drawn
        rows = [i for i, t in enumerate(self._tracks) if (t.state == TrackState.CONFIRMED and t.misses == 0)
                or (t.state == TrackState.LOST and t.misses <= self.coast_frames and self._drawable(i))]
        if not rows:
            return Tracks.empty()
        out = [self._tracks[i] for i in rows]
        boxes = cxcywh_to_xyxy(self._mean[rows, :4])  # a coasting track's is its prediction
        if self.output_box == "detection":
            matched = np.array([t.misses == 0 for t in out])
            boxes[matched] = np.array([t.last_box for t in out])[matched]
        det_rows = np.array([t.det_index for t in out])  # -1 for a coasting track
        masks = None if dets.masks is None else MaskRows(dets.masks, det_rows)  # full-frame masks: not copied
        return Tracks(boxes, np.array([t.track_id for t in out]), np.array([t.score for t in out]),
                      np.array([t.class_id for t in out]), np.array([int(t.state) for t in out]),
                      det_rows, masks, [t.votes.label for t in out])
