"""Per-track memory: lifecycle events, visibility intervals, compressed trajectories, colour, size, class,
and identities that survive tracker churn.

Everything is bounded: trajectories keep at most N key points (piecewise-linear within a pixel
tolerance), intervals merge their shortest gaps, and the oldest ended tracks are compacted away.
A track confirmed shortly after another one vanished close to where it was heading, with a similar size
and appearance, continues that track's identity (one person, two tracker IDs).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from perception.memory.config import MemoryConfig
from perception.memory.describe import COLOURS, appearance, colour_votes, region_name, similarity, size_class
from perception.memory.events import Event
from perception.types import Tracks, Tracks3D, TrackState


def _ro(a: list | np.ndarray, dims: int) -> np.ndarray:
    arr = np.array(a, dtype=np.float64).reshape(-1, dims) if dims > 1 else np.array(a, dtype=np.float64)
    arr.setflags(write=False)
    return arr


class Trajectory:
    """Online piecewise-linear compression of a timed point sequence (2-D or 3-D)."""

    def __init__(self, tolerance: float, capacity: int, pending_cap: int = 64):
        self.tol = tolerance
        self.cap = capacity
        self.pending_cap = pending_cap
        self.t: list[float] = []
        self.p: list[tuple[float, ...]] = []
        self._pt: list[float] = []
        self._pp: list[tuple[float, ...]] = []

    def add(self, t: float, p: tuple[float, ...]) -> None:
        """Append an observation; keeps only the key points needed to stay within tolerance."""
        if not self.t:
            self.t.append(t)
            self.p.append(p)
            return
        if len(self._pt) >= self.pending_cap:  # keep the check bounded: every other pending point
            del self._pt[-2::-2], self._pp[-2::-2]
        if self._pt and not self._explains(t, p):
            self.t.append(self._pt[-1])
            self.p.append(self._pp[-1])
            self._pt.clear()
            self._pp.clear()
            if len(self.t) > self.cap:
                self._thin()
        self._pt.append(t)
        self._pp.append(p)

    def _explains(self, t: float, p: tuple[float, ...]) -> bool:
        """Whether the segment from the last key point to ``p`` passes within ``tol`` of every pending point (in
        plain floats: a few points per call, where array set-up would cost more than the arithmetic)."""
        a_t, a_p = self.t[-1], self.p[-1]
        if t <= a_t:
            return False
        for ts, q in zip(self._pt, self._pp):
            alpha = (ts - a_t) / (t - a_t)
            d2 = 0.0
            for qi, ai, pi in zip(q, a_p, p):
                e = qi - (ai + alpha * (pi - ai))
                d2 += e * e
            if not math.sqrt(d2) <= self.tol:  # NaN counts as too far
                return False
        return True

    def _thin(self) -> None:
        """Drop the interior key point whose removal costs the least."""
        t = np.asarray(self.t)
        p = np.asarray(self.p)
        alpha = ((t[1:-1] - t[:-2]) / np.maximum(t[2:] - t[:-2], 1e-9))[:, None]
        err = np.linalg.norm(p[:-2] + alpha * (p[2:] - p[:-2]) - p[1:-1], axis=1)
        i = int(np.argmin(err)) + 1
        del self.t[i], self.p[i]

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """Read-only (times N, points NxD) including the newest observation."""
        t = self.t + self._pt[-1:]
        p = self.p + self._pp[-1:]
        dims = len(p[0]) if p else 2
        return _ro(t, 1), _ro(p, dims)

    def __len__(self) -> int:
        return len(self.t) + len(self._pt)


@dataclass(frozen=True)
class TrackSummary:
    """Immutable view of one track for readers: lifecycle times, where it went, what it looked like."""

    id: int
    class_id: int
    born_t: float
    confirmed_t: float | None
    last_seen_t: float | None
    intervals: tuple[tuple[float, float], ...]
    traj_t: np.ndarray
    traj_xy: np.ndarray
    traj3d_t: np.ndarray
    traj3d_xyz: np.ndarray
    colour: str | None
    size: str | None
    mean_wh: tuple[float, float]
    image_size: tuple[int, int]
    visible_now: bool
    ended: bool
    lost_count: int
    refound_count: int
    observations: int
    frame_period: float
    identity: int = -1
    label: str = "object"

    @property
    def confirmed(self) -> bool:
        """True once the tracker confirmed it (tentative-only tracks are not counted as objects)."""
        return self.confirmed_t is not None

    @property
    def visible_duration(self) -> float:
        """Seconds the track was visible (sum of its visibility intervals, one frame each end)."""
        return float(sum(b - a + self.frame_period for a, b in self.intervals))

    def visible_at(self, t: float) -> bool:
        """Whether the track was visible at time ``t`` (half a frame of slack)."""
        s = 0.5 * self.frame_period
        return any(a - s <= t <= b + s for a, b in self.intervals)

    def position_at(self, t: float) -> tuple[float, float] | None:
        """Image centre (x, y) at time ``t`` by interpolating the trajectory; None if never seen."""
        if len(self.traj_t) == 0:
            return None
        return (float(np.interp(t, self.traj_t, self.traj_xy[:, 0])), float(np.interp(t, self.traj_t, self.traj_xy[:, 1])))

    def region_at(self, t: float) -> str | None:
        """Image region name at time ``t``."""
        p = self.position_at(t)
        return None if p is None else region_name(p[0], p[1], *self.image_size)

    def position3d_at(self, t: float) -> tuple[float, float, float] | None:
        """World position (metres) at time ``t`` when 3D tracking ran, else None."""
        if len(self.traj3d_t) == 0:
            return None
        return tuple(float(np.interp(t, self.traj3d_t, self.traj3d_xyz[:, k])) for k in range(3))  # type: ignore[return-value]


class _Track:
    """Mutable per-track state owned by the writer."""

    def __init__(self, tid: int, class_id: int, t: float, config: MemoryConfig, image_size: tuple[int, int]):
        self.id = tid
        self.class_id = class_id
        self.born_t = t
        self.confirmed_t: float | None = None
        self.last_seen_t: float | None = None
        self.last_report_t = t
        self.visible = False
        self.intervals: list[list[float]] = []
        self.traj = Trajectory(config.trajectory_tolerance_px, config.max_track_points)
        self.traj3d = Trajectory(0.02, config.max_track_points)
        self.votes = np.zeros(len(COLOURS))
        self.colour_samples = 0
        self.wh_sum = np.zeros(2)
        self.obs = 0
        self.lost_count = 0
        self.refound_count = 0
        self.ended = False
        self.identity = tid
        self.successor: int | None = None
        self.labels: dict[str, int] = {}
        self.look: np.ndarray | None = None
        self.velocity = np.zeros(2)
        self.last_xy: np.ndarray | None = None
        self.image_size = image_size
        self.max_intervals = config.max_track_intervals
        self._summary: TrackSummary | None = None

    @property
    def colour(self) -> str | None:
        return COLOURS[int(np.argmax(self.votes))] if self.votes.sum() > 0 else None

    @property
    def label(self) -> str:
        return max(self.labels, key=self.labels.__getitem__) if self.labels else "object"

    def move(self, t: float, xy: np.ndarray) -> None:
        """Record the box centre, keeping a smoothed velocity (pixels per second)."""
        if self.last_xy is not None and self.last_seen_t is not None and t > self.last_seen_t:
            v = (xy - self.last_xy) / (t - self.last_seen_t)
            self.velocity = v if self.obs <= 1 else 0.7 * self.velocity + 0.3 * v
        self.last_xy = xy

    @property
    def mean_box(self) -> np.ndarray:
        wh = self.wh_sum / max(self.obs, 1)
        return np.array([0.0, 0.0, wh[0], wh[1]])

    def see(self, t: float, prev_frame_t: float | None) -> None:
        """Mark visible at ``t``: extend the open interval or start a new one."""
        if self.intervals and self.visible and prev_frame_t is not None and self.intervals[-1][1] >= prev_frame_t - 1e-9:
            self.intervals[-1][1] = t
        else:
            self.intervals.append([t, t])
            if len(self.intervals) > self.max_intervals:
                gaps = [self.intervals[i + 1][0] - self.intervals[i][1] for i in range(len(self.intervals) - 1)]
                i = int(np.argmin(gaps))
                self.intervals[i:i + 2] = [[self.intervals[i][0], self.intervals[i + 1][1]]]
        self.last_seen_t = t
        self.visible = True

    def freeze(self, frame_period: float) -> TrackSummary:
        """Immutable summary (cached until the track changes)."""
        if self._summary is None:
            tt, xy = self.traj.arrays()
            t3, p3 = self.traj3d.arrays() if len(self.traj3d) else (_ro([], 1), _ro(np.zeros((0, 3)), 3))
            wh = self.wh_sum / max(self.obs, 1)
            self._summary = TrackSummary(
                self.id, self.class_id, self.born_t, self.confirmed_t, self.last_seen_t,
                tuple((a, b) for a, b in self.intervals), tt, xy, t3, p3, self.colour,
                size_class(self.mean_box, *self.image_size) if self.obs else None, (float(wh[0]), float(wh[1])),
                self.image_size, self.visible, self.ended, self.lost_count, self.refound_count, self.obs, frame_period,
                self.identity, self.label)
        return self._summary


class TrackBook:
    """All tracks the memory knows, updated once per frame from the tracker's output."""

    def __init__(self, config: MemoryConfig):
        self.config = config
        self.reset()

    def reset(self) -> None:
        """Forget every track."""
        self.tracks: dict[int, _Track] = {}
        self.active: set[int] = set()
        self.distinct = 0
        self.identities = 0
        self.forgotten = 0
        self.visible_ids: tuple[int, ...] = ()
        self.present_ids: tuple[int, ...] = ()
        self._prev_t: float | None = None
        self._periods = 0
        self.frame_period = 0.1

    def update(self, t: float, frame_index: int, tracks: Tracks, image: np.ndarray,
               tracks3d: Tracks3D | None = None) -> list[Event]:
        """Fold one frame of tracks into memory; returns the lifecycle events it caused."""
        h, w = image.shape[:2]
        if self._prev_t is not None and t > self._prev_t:
            dt = t - self._prev_t
            self.frame_period = dt if self._periods == 0 else 0.9 * self.frame_period + 0.1 * dt
            self._periods += 1
        events: list[Event] = []
        pos3d = {}
        if tracks3d is not None:
            pos3d = {int(i): tuple(map(float, c)) for i, c in zip(tracks3d.ids, tracks3d.centers)}
        seen: set[int] = set()
        visible: list[int] = []
        seen_now = tracks.states == TrackState.CONFIRMED  # boxes that hide the colour of others (not predictions)
        for k in range(len(tracks)):
            tid, state = int(tracks.ids[k]), int(tracks.states[k])
            if state in (TrackState.REMOVED, TrackState.LOST):  # a lost track coasting on its prediction is not seen
                continue
            seen.add(tid)
            box = tracks.xyxy[k]
            tr = self.tracks.get(tid)
            if tr is None or tr.ended:
                if tr is not None:  # an id reused after its track ended: start afresh
                    del self.tracks[tid]
                tr = _Track(tid, int(tracks.class_ids[k]), t, self.config, (w, h))
                self.tracks[tid] = tr
                self.active.add(tid)
                events.append(self._event(t, frame_index, "born", tr, box))
            tr._summary = None
            tr.last_report_t = t
            if state == TrackState.CONFIRMED:
                cx, cy = float(box[0] + box[2]) / 2, float(box[1] + box[3]) / 2
                label = str(tracks.labels[k])
                tr.labels[label] = tr.labels.get(label, 0) + 1
                if len(tr.labels) > 8:
                    del tr.labels[min(tr.labels, key=tr.labels.__getitem__)]
                if tr.confirmed_t is None:
                    tr.confirmed_t = t
                    self.distinct += 1
                    look = appearance(image, box)
                    tr.look = look
                    pred = self._predecessor(t, tr, box, look)
                    if pred is None:
                        self.identities += 1
                        kind = "confirmed"
                    else:
                        tr.identity, pred.successor = pred.identity, tr.id
                        kind = "refound"
                elif not tr.visible:
                    tr.refound_count += 1
                    kind = "refound"
                else:
                    kind = ""
                tr.move(t, np.array([cx, cy]))
                tr.see(t, self._prev_t)
                tr.traj.add(t, (cx, cy))
                if tid in pos3d:
                    tr.traj3d.add(t, pos3d[tid])
                tr.obs += 1
                tr.wh_sum += (box[2] - box[0], box[3] - box[1])
                if tr.colour_samples < self.config.colour_samples or tr.obs % 10 == 0:
                    masks = tracks.masks
                    others = tracks.xyxy[seen_now & (np.arange(len(tracks)) != k)] if masks is None else None
                    votes = colour_votes(image, box, None if masks is None else masks[k], others)
                    if votes.any():
                        tr.votes += votes
                        tr.colour_samples += 1
                        look = appearance(image, box)
                        if look is not None:
                            tr.look = look if tr.look is None else 0.8 * tr.look + 0.2 * look
                visible.append(tid)
                if kind:
                    events.append(self._event(t, frame_index, kind, tr, box, pos3d.get(tid)))
            elif tr.visible:
                events.append(self._lose(t, frame_index, tr))
        for tid in list(self.active - seen):
            tr = self.tracks[tid]
            if tr.visible:
                tr._summary = None
                events.append(self._lose(t, frame_index, tr))
            if t - tr.last_report_t > self.config.forget_after_s:
                events.append(self._end(frame_index, tr))
        for k in range(len(tracks)):
            if int(tracks.states[k]) == TrackState.REMOVED and int(tracks.ids[k]) in self.active:
                tr = self.tracks[int(tracks.ids[k])]
                if tr.visible:
                    events.append(self._lose(t, frame_index, tr))
                events.append(self._end(frame_index, tr))
        self.visible_ids = tuple(sorted(visible))
        self.present_ids = self._present(t)
        self._prev_t = t
        if len(self.tracks) > self.config.max_tracks:
            self._compact()
        return events

    def _predecessor(self, t: float, tr: _Track, box: np.ndarray, look: np.ndarray | None) -> _Track | None:
        """The vanished track this newly confirmed one continues, if any: gone at most ``link_gap_s`` ago
        (``reappear_gap_s`` when the new track starts well inside the image, where nobody walks in),
        close to where it was heading, of a similar width, height and appearance (the cheapest such track)."""
        cfg = self.config
        w, h = float(box[2] - box[0]), float(box[3] - box[1])
        xy = np.array([(box[0] + box[2]) / 2, (box[1] + box[3]) / 2])
        iw, ih = tr.image_size
        inside = min(box[0], box[1], iw - box[2], ih - box[3]) > 0.5 * w  # not entering across the image border
        max_gap = cfg.reappear_gap_s if inside else cfg.link_gap_s
        best, best_cost = None, np.inf
        for other in self.tracks.values():
            if (other is tr or other.visible or other.successor is not None or other.confirmed_t is None
                    or other.last_seen_t is None or other.last_xy is None or not 0 < t - other.last_seen_t <= max_gap):
                continue
            ow, oh = other.wh_sum / max(other.obs, 1)
            ratios = (w / max(ow, 1e-6), h / max(oh, 1e-6))
            if not all(1 / cfg.link_size_ratio <= r <= cfg.link_size_ratio for r in ratios):
                continue
            dt = t - other.last_seen_t
            guess = other.last_xy + other.velocity * min(dt, 1.0)
            gate = cfg.link_distance * max(h, oh) * (1.0 + min(dt, 3.0))
            dist = float(np.linalg.norm(xy - guess))
            if dist > gate:
                continue
            sim = similarity(look, other.look)
            if sim < cfg.link_appearance:
                continue
            cost = dist / gate + (1.0 - sim)
            if cost < best_cost:
                best, best_cost = other, cost
        return best

    def _present(self, t: float) -> tuple[int, ...]:
        """One confirmed track per identity in view now, counting one seen within the last ``hold_s`` as
        still in view (a flicker of the tracker does not change the count); the newest track stands for it."""
        hold = max(self.config.hold_s, 1.5 * self.frame_period)
        best: dict[int, _Track] = {}
        for tid in self.active:
            tr = self.tracks[tid]
            if tr.confirmed_t is None or tr.last_seen_t is None or t - tr.last_seen_t > hold or tr.ended:
                continue
            cur = best.get(tr.identity)
            if cur is None or tr.last_seen_t > cur.last_seen_t or (tr.last_seen_t == cur.last_seen_t and tr.id > cur.id):
                best[tr.identity] = tr
        return tuple(sorted(tr.id for tr in best.values()))

    def _lose(self, t: float, frame_index: int, tr: _Track) -> Event:
        tr.visible = False
        tr.lost_count += 1
        tr._summary = None
        return self._event(tr.last_seen_t if tr.last_seen_t is not None else t, frame_index, "lost", tr)

    def _end(self, frame_index: int, tr: _Track) -> Event:
        tr.ended = True
        tr.visible = False
        tr._summary = None
        self.active.discard(tr.id)
        t = tr.last_seen_t if tr.last_seen_t is not None else tr.born_t
        return self._event(t, frame_index, "ended", tr)

    def _event(self, t: float, frame_index: int, kind: str, tr: _Track, box: np.ndarray | None = None,
               pos: tuple[float, ...] | None = None) -> Event:
        w, h = tr.image_size
        if box is not None:
            region = region_name((box[0] + box[2]) / 2, (box[1] + box[3]) / 2, w, h)
            size = size_class(box, w, h)
        else:
            p = tr.traj.arrays()[1]
            region = region_name(p[-1, 0], p[-1, 1], w, h) if len(p) else None
            size = size_class(tr.mean_box, w, h) if tr.obs else None
        return Event(t, frame_index, kind, track_id=tr.id, region=region,
                     position=tuple(pos) if pos is not None else None,  # type: ignore[arg-type]
                     colour=tr.colour, size=size)

    def _compact(self) -> None:
        """Drop the least useful ended tracks (never-confirmed first, then the longest-gone)."""
        ended = [tr for tr in self.tracks.values() if tr.ended]
        ended.sort(key=lambda tr: (tr.confirmed_t is not None, tr.last_seen_t or tr.born_t))
        excess = len(self.tracks) - self.config.max_tracks
        for tr in ended[: max(excess, len(self.tracks) // 64)]:
            del self.tracks[tr.id]
            self.forgotten += tr.confirmed_t is not None

    def summaries(self) -> dict[int, TrackSummary]:
        """Immutable summaries of every remembered track."""
        return {tid: tr.freeze(self.frame_period) for tid, tr in self.tracks.items()}
