"""What a session has seen so far, without Qt: per-track first/last frame and label, and the tracks for export.

Track rows go to one perception.io.exports.TrackRecorder, the recorder the CLI's ``run`` uses (spooled to
disk, frame-keyed, atomic exports), so the window's exports match the CLI's byte for byte. A frame processed
again after a seek replaces its earlier rows instead of duplicating them.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from perception.io.exports import TrackRecorder
from perception.types import UNLABELLED, FrameResult, TrackState


@dataclass
class TrackEntry:
    """One 2D track or 3D instance: when it was first and last seen, on how many frames, and its class label."""

    kind: str
    id: int
    first: int
    last: int
    frames: int
    label: str = UNLABELLED
    version: int = 0  # the log's version when this entry last changed


class SessionLog:
    """Thread-safe: the worker thread adds results, the GUI thread reads entries and exports."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._recorder = TrackRecorder()
        self._entries: dict[tuple[str, int], TrackEntry] = {}
        self.version = 0
        self.generation = 0  # counts resets: readers holding row state start over when it changes

    def reset(self) -> None:
        """Forget everything (a new source was opened); the old recorder's spool is dropped."""
        with self._lock:  # the old recorder's spool goes with its last reference (an export may still hold it)
            self._recorder = TrackRecorder()
            self._entries = {}
            self.version = 0
            self.generation += 1

    def close(self) -> None:
        """Drop the spooled rows (the window is closing)."""
        self._recorder.close()

    def add(self, result: FrameResult) -> None:
        """Record one processed frame."""
        t = result.tracks
        seen = t.states != TrackState.LOST  # a track coasting on its prediction was not seen (its rows are exported)
        inst = result.instances
        inst_rows = [] if inst is None else list(zip(inst.ids.tolist(), _labels(inst.labels, len(inst.ids))))
        with self._lock:
            recorder = self._recorder
            self.version += 1
            for kind, rows in (("2D", zip(t.ids[seen].tolist(), t.labels[seen].tolist())), ("3D", inst_rows)):
                for i, label in rows:
                    e = self._entries.get((kind, i))
                    if e is None:
                        self._entries[(kind, i)] = TrackEntry(kind, i, result.index, result.index, 1, str(label),
                                                              self.version)
                    else:
                        e.first, e.last, e.frames = min(e.first, result.index), max(e.last, result.index), e.frames + 1
                        e.label, e.version = str(label), self.version
        recorder.add(result)

    def entries(self, changed_after: int = -1) -> list[TrackEntry]:
        """Every track and instance seen (only those changed after log version ``changed_after``), 2D first, by ID."""
        with self._lock:
            found = [TrackEntry(**vars(e)) for e in self._entries.values() if e.version > changed_after]
        return sorted(found, key=lambda e: (e.kind, e.id))

    def entry(self, kind: str, track_id: int) -> TrackEntry | None:
        """One track or instance, or None if never seen."""
        with self._lock:
            e = self._entries.get((kind, track_id))
            return None if e is None else TrackEntry(**vars(e))

    def labels(self) -> dict[str, int]:
        """How many 2D tracks of each class label were seen."""
        with self._lock:
            out: dict[str, int] = {}
            for (kind, _), e in self._entries.items():
                if kind == "2D":
                    out[e.label] = out.get(e.label, 0) + 1
        return out

    @property
    def track_rows(self) -> int:
        """Track rows recorded (one per track per frame)."""
        return len(self._recorder)

    def recorder(self) -> TrackRecorder:
        """The recorder holding this session's tracks (an export keeps working if a new source is opened meanwhile)."""
        return self._recorder

    def write_tracks(self, path: str | Path, fmt: str | None = None) -> Path:
        """Write the recorded tracks atomically (MOTChallenge .txt, .json or .csv), exactly as ``run`` does."""
        return self._recorder.write(path, fmt)


def _labels(labels, n: int) -> list[str]:
    return [UNLABELLED] * n if labels is None else [str(v) for v in labels]
