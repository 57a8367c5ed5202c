"""The video memory: one writer folds frame results in; readers answer from immutable snapshots.

The writer holds a lock only while it updates (a couple of milliseconds); a snapshot is built at
most once per frame, on demand, and shares every immutable piece, so questions never stall frames.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

from perception.memory.config import MemoryConfig
from perception.memory.describe import encode_jpeg, frame_embedding, grid_colours, normalise, preview
from perception.memory.events import Event, Timeline
from perception.memory.history import CountHistory, InstanceBook, InstanceSummary, count_at
from perception.memory.star import Cluster, FrameRecord, StarMemory
from perception.memory.tracks import TrackBook, TrackSummary
from perception.types import FrameResult, InputError, TrackState


@dataclass(frozen=True)
class MemorySnapshot:
    """Everything a reader may consult, frozen at one frame."""

    time: float
    frame_index: int
    frames: int
    image_size: tuple[int, int]
    frame_period: float
    tracks: Mapping[int, TrackSummary]
    visible_ids: tuple[int, ...]
    count_times: np.ndarray
    count_values: np.ndarray
    distinct_objects: int
    forgotten_objects: int
    instances: Mapping[int, InstanceSummary]
    distinct_instances: int
    events: tuple[Event, ...]
    timeline: tuple[str, ...]
    spatial: tuple[FrameRecord, ...]
    clusters: tuple[Cluster, ...]
    retrieved: tuple[FrameRecord, ...]
    sizes: Mapping[str, int] = field(default_factory=dict)
    present_ids: tuple[int, ...] = ()
    distinct_identities: int = 0

    def count_at(self, t: float) -> int | None:
        """Objects in view at time ``t`` (one per identity, brief tracker flickers held; None before the stream began)."""
        return count_at(self.count_times, self.count_values, t)

    def keyframes(self, n: int, times: tuple[float, ...] = (), track_ids: tuple[int, ...] = ()) -> list[FrameRecord]:
        """Up to ``n`` frames for a question: those at the asked times, showing the asked tracks, then the
        newest frame and the heaviest clusters' keyframes; returned in time order."""
        spans = [(r.t_start, r.t_end, r) for r in self.spatial] + [(c.t_start, c.t_end, c.representative) for c in self.clusters]
        chosen: dict[int, FrameRecord] = {}

        def take(r: FrameRecord) -> None:
            if len(chosen) < n:
                chosen.setdefault(r.frame_index, r)

        for t in times:
            if spans:
                take(min(spans, key=lambda s: 0.0 if s[0] <= t <= s[1] else min(abs(t - s[0]), abs(t - s[1])))[2])
        for tid in track_ids:
            with_id = [s[2] for s in spans if tid in s[2].track_ids]
            if with_id:
                take(with_id[-1])
        if self.spatial:
            take(self.spatial[-1])
        for r in self.retrieved:
            take(r)
        for r in reversed(self.spatial):
            take(r)
        return sorted(chosen.values(), key=lambda r: r.t_start)

    def describe_object(self, tid: int) -> str:
        """One line about a remembered object."""
        s = self.tracks[tid]
        where = s.region_at(s.last_seen_t) if s.last_seen_t is not None else None
        state = "visible now" if s.visible_now else f"last seen {s.last_seen_t:.1f} s" if s.last_seen_t is not None else "never confirmed"
        bits = ", ".join(x for x in (s.colour, s.size, where) if x)
        return f"object #{tid} ({bits}): first seen {s.born_t:.1f} s, {state}"


def _cells_free(boxes: np.ndarray, width: int, height: int, cols: int = 8, rows: int = 6) -> np.ndarray:
    """Which cells of a cols x rows grid (row-major) no box touches."""
    covered = np.zeros((rows, cols), dtype=bool)
    cw, ch = width / cols, height / rows
    for x1, y1, x2, y2 in boxes.tolist():
        c0, c1 = min(max(int(x1 // cw), 0), cols - 1), min(max(int(-(-x2 // cw)), 1), cols)
        r0, r1 = min(max(int(y1 // ch), 0), rows - 1), min(max(int(-(-y2 // ch)), 1), rows)
        covered[r0:r1, c0:c1] = True
    return ~covered.ravel()


class VideoMemory:
    """Bounded streaming memory of frames, objects and events (writer side; thread-safe snapshots)."""

    def __init__(self, config: MemoryConfig | None = None):
        self.config = config or MemoryConfig()
        self._lock = threading.Lock()
        self.star = StarMemory(self.config)
        self.book = TrackBook(self.config)
        self.counts = CountHistory(self.config.max_count_changes)
        self.instances = InstanceBook(self.config.max_instances)
        self.timeline = Timeline(self.config.timeline_lines, self.config.timeline_compact)
        self.events: deque[Event] = deque(maxlen=self.config.max_events)
        self.reset()

    def reset(self) -> None:
        """Forget the whole stream."""
        with self._lock:
            self.star.reset()
            self.book.reset()
            self.counts.reset()
            self.instances.reset()
            self.timeline.reset()
            self.events.clear()
            self.frames = 0
            self.skipped_embeddings = 0
            self._mode: str | None = None
            self._scene_mean: np.ndarray | None = None
            self._last_scene_change = -np.inf
            self._time = 0.0
            self._frame_index = -1
            self._image_size = (0, 0)
            self._snap: MemorySnapshot | None = None

    def _embedding(self, result: FrameResult, small: np.ndarray) -> np.ndarray | None:
        ext = result.image_embedding
        if self._mode is None:
            self._mode = "external" if ext is not None and self.config.embedding == "auto" else "descriptor"
        if self._mode == "descriptor":
            return frame_embedding(small)
        if ext is None:
            return None
        v = normalise(ext)
        if self.star.spatial and v.shape != self.star.spatial[-1].embedding.shape:
            raise InputError(f"image_embedding changed size mid-stream: {v.shape[0]} vs {self.star.spatial[-1].embedding.shape[0]}")
        return v

    def update(self, result: FrameResult) -> list[Event]:
        """Fold one frame result in; returns the events it caused (time order)."""
        p = result.packet
        t, image = float(p.timestamp), p.image
        small = preview(image)
        grid = grid_colours(small)
        visible = tuple(sorted(int(i) for i in result.tracks.ids[result.tracks.states == TrackState.CONFIRMED]))
        inst = () if result.instances is None else tuple(int(i) for i in result.instances.ids)
        star = self.star
        recent = bool(star.spatial) and t - star.spatial[-1].t_start < self.config.frame_interval_s
        emb = None if recent else self._embedding(result, small)
        record = None
        if emb is not None and not star.is_duplicate(emb):
            jpeg = encode_jpeg(image, self.config.keyframe_max_side, self.config.jpeg_quality)
            record = FrameRecord(p.index, t, t, 1.0, emb, jpeg, visible, inst)
        with self._lock:
            events = self.book.update(t, p.index, result.tracks, image, result.tracks3d)
            present = len(self.book.present_ids)
            prev = self.counts.add(t, present)
            if prev is not None and self.frames > 0:
                events.append(Event(t, p.index, "count", count=present, previous=prev))
            if result.instances is not None:
                events.extend(self.instances.update(t, p.index, result.instances))
            if record is not None:
                star.add(record)
            elif star.spatial and (recent or emb is not None):
                star.extend(t, visible, inst)
            else:
                self.skipped_embeddings += 1
            events.extend(self._scene(t, p.index, grid, result.tracks.xyxy, (image.shape[1], image.shape[0])))
            for e in events:
                self.events.append(e)
                self.timeline.add(e)
            self.frames += 1
            self._time, self._frame_index = t, p.index
            self._image_size = (image.shape[1], image.shape[0])
            self._snap = None
        return events

    def _scene(self, t: float, frame_index: int, grid: np.ndarray, boxes: np.ndarray, size: tuple[int, int]) -> list[Event]:
        """A 'scene_change' event when most background cells of an 8x6 grid change colour at once (a cut
        or a pan). Cells under tracked objects are left out, so objects moving through the view do not count."""
        free = _cells_free(boxes, *size)
        if self._scene_mean is None:
            self._scene_mean = grid.copy()
            return []
        if free.sum() < 8:
            return []
        dist = np.linalg.norm(grid - self._scene_mean, axis=1)
        changed = float(np.mean(dist[free] > self.config.scene_change_delta))
        if changed >= self.config.scene_change_fraction:
            self._scene_mean = grid.copy()
            if t - self._last_scene_change >= 1.0:
                self._last_scene_change = t
                return [Event(t, frame_index, "scene_change")]
            return []
        self._scene_mean[free] = 0.8 * self._scene_mean[free] + 0.2 * grid[free]
        return []

    def sizes(self) -> dict[str, int]:
        """Current size of every bounded structure (call from the writer thread or under no contention)."""
        return {
            "spatial_records": len(self.star.spatial),
            "clusters": len(self.star.clusters),
            "jpeg_bytes": self.star.jpeg_bytes,
            "tracks": len(self.book.tracks),
            "track_points": sum(len(tr.traj) + len(tr.traj3d) for tr in self.book.tracks.values()),
            "track_intervals": sum(len(tr.intervals) for tr in self.book.tracks.values()),
            "events": len(self.events),
            "timeline_lines": len(self.timeline.lines),
            "count_changes": self.counts.n,
            "instances": len(self.instances.items),
        }

    def snapshot(self) -> MemorySnapshot:
        """An immutable view of the memory as of the latest frame (cached until the next frame)."""
        with self._lock:
            if self._snap is None:
                ct, cv = self.counts.arrays()
                self._snap = MemorySnapshot(
                    time=self._time, frame_index=self._frame_index, frames=self.frames, image_size=self._image_size,
                    frame_period=self.book.frame_period,
                    tracks=MappingProxyType(self.book.summaries()), visible_ids=self.book.visible_ids,
                    count_times=ct, count_values=cv, distinct_objects=self.book.distinct,
                    forgotten_objects=self.book.forgotten, instances=MappingProxyType(dict(self.instances.items)),
                    distinct_instances=self.instances.distinct, events=tuple(self.events),
                    timeline=tuple(text for _, text in self.timeline.lines), spatial=tuple(self.star.spatial),
                    clusters=tuple(self.star.clusters), retrieved=self.star.retrieved(),
                    sizes=MappingProxyType({"spatial_records": len(self.star.spatial), "clusters": len(self.star.clusters),
                                            "jpeg_bytes": self.star.jpeg_bytes, "tracks": len(self.book.tracks),
                                            "events": len(self.events)}),
                    present_ids=self.book.present_ids, distinct_identities=self.book.identities)
            return self._snap
