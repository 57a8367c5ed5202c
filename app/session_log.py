"""What a session has seen so far, without Qt: per-track first/last frame, and per-frame tracks for export.

Frames are keyed by index, so a frame processed again after a seek replaces its earlier rows instead of
duplicating them; exports go through perception.io.exports.TrackRecorder in frame order.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from perception.io.exports import TrackRecorder, rle_decode, rle_encode
from perception.types import FramePacket, FrameResult, SourceInfo, Tracks

_TINY = np.zeros((1, 1, 3), dtype=np.uint8)


@dataclass
class TrackEntry:
    """One 2D track or 3D instance: when it was first and last seen, and on how many frames."""

    kind: str
    id: int
    first: int
    last: int
    frames: int


@dataclass
class _FrameRows:
    ids: np.ndarray
    xyxy: np.ndarray
    scores: np.ndarray
    class_ids: np.ndarray
    states: np.ndarray
    masks: list[dict] | None


class SessionLog:
    """Thread-safe: the worker thread adds results, the GUI thread reads entries and exports."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Forget everything (a new source was opened)."""
        with self._lock:
            self._entries: dict[tuple[str, int], TrackEntry] = {}
            self._frames: dict[int, _FrameRows] = {}
            self._info: SourceInfo | None = None
            self.version = 0

    def add(self, result: FrameResult) -> None:
        """Record one processed frame (masks are stored run-length encoded)."""
        t = result.tracks
        rows = _FrameRows(t.ids.copy(), t.xyxy.copy(), t.scores.copy(), t.class_ids.copy(), t.states.copy(),
                          None if t.masks is None else [rle_encode(m) for m in t.masks])
        inst_ids = [] if result.instances is None else result.instances.ids.tolist()
        with self._lock:
            self._info = result.packet.source
            self._frames[result.index] = rows
            for kind, ids in (("2D", t.ids.tolist()), ("3D", inst_ids)):
                for i in ids:
                    e = self._entries.get((kind, i))
                    if e is None:
                        self._entries[(kind, i)] = TrackEntry(kind, i, result.index, result.index, 1)
                    else:
                        e.first, e.last, e.frames = min(e.first, result.index), max(e.last, result.index), e.frames + 1
            self.version += 1

    def entries(self) -> list[TrackEntry]:
        """Every track and instance seen, 2D first, by ID."""
        with self._lock:
            return sorted((TrackEntry(**vars(e)) for e in self._entries.values()), key=lambda e: (e.kind, e.id))

    def entry(self, kind: str, track_id: int) -> TrackEntry | None:
        """One track or instance, or None if never seen."""
        with self._lock:
            e = self._entries.get((kind, track_id))
            return None if e is None else TrackEntry(**vars(e))

    @property
    def track_rows(self) -> int:
        """Track rows recorded (one per track per frame)."""
        with self._lock:
            return sum(len(r.ids) for r in self._frames.values())

    def recorder(self) -> TrackRecorder:
        """A TrackRecorder holding every recorded frame in index order, ready to ``write(path, fmt)``."""
        with self._lock:
            frames = sorted(self._frames.items())
            info = self._info
        rec = TrackRecorder()
        if info is None:
            return rec
        for index, r in frames:
            masks = np.stack([rle_decode(m) for m in r.masks]) if r.masks else None
            tracks = Tracks(r.xyxy, r.ids, r.scores, r.class_ids, r.states, masks=masks)
            rec.add(FrameResult(packet=FramePacket(index, 0.0, _TINY, info), tracks=tracks))
        return rec

    def write_tracks(self, path: str | Path, fmt: str | None = None) -> Path:
        """Write the recorded tracks atomically (MOTChallenge .txt, .json or .csv)."""
        return self.recorder().write(path, fmt)
