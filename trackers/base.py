"""The contract every tracker follows, and the pipeline stage that runs one."""

from __future__ import annotations

import abc
import math
from collections import Counter

import numpy as np

from perception.types import UNLABELLED, FrameResult, Tracks


def frames_for(seconds: float, fps: float) -> int:
    """A lifecycle buffer given in seconds, as a whole number of frames at ``fps`` (at least 1)."""
    return max(1, int(math.ceil(seconds * fps)))


class Tracker(abc.ABC):
    """Tracking-by-detection: one ``update`` per frame, in order; ``reset`` starts a new sequence."""

    name: str = "tracker"

    def __init__(self, fps: float = 30.0):
        if not fps > 0:
            raise ValueError(f"fps must be positive, got {fps}")
        self.fps = float(fps)

    @abc.abstractmethod
    def update(self, result: FrameResult) -> Tracks:
        """Associate ``result.detections`` with the tracks so far; return the tracks to report."""

    @abc.abstractmethod
    def reset(self) -> None:
        """Forget every track and restart IDs at 1."""


class LabelVotes:
    """Each track's class: the majority label (with its class id) over the detections it was matched to.

    Votes of at most ``keep`` track ids are kept (the oldest ids not reported this frame are forgotten first).
    """

    def __init__(self, keep: int = 4096) -> None:
        self._votes: dict[int, Counter] = {}
        self.keep = keep

    def label(self, tracks: Tracks, result: FrameResult) -> Tracks:
        """``tracks`` with ``labels`` and ``class_ids`` set from the votes so far plus this frame's matches."""
        dets = result.detections
        labels = np.full(len(tracks), UNLABELLED, dtype=object)
        class_ids = tracks.class_ids.copy()
        for k, (tid, row) in enumerate(zip(tracks.ids.tolist(), tracks.det_index.tolist())):
            votes = self._votes.setdefault(tid, Counter())
            if 0 <= row < len(dets):
                votes[(str(dets.labels[row]), int(dets.class_ids[row]))] += 1
            if votes:
                (labels[k], class_ids[k]), _ = votes.most_common(1)[0]
        tracks.labels, tracks.class_ids = labels, class_ids
        if len(self._votes) > self.keep:
            current = set(tracks.ids.tolist())
            for tid in [t for t in self._votes if t not in current][: len(self._votes) - self.keep]:
                del self._votes[tid]
        return tracks

    def reset(self) -> None:
        """Forget every track's votes."""
        self._votes.clear()


class TrackerStage:
    """Pipeline stage that fills ``result.tracks`` from a tracker; each track's label is its detections' majority."""

    name = "tracker"

    def __init__(self, tracker: Tracker):
        self.tracker = tracker
        self.votes = LabelVotes()

    def process(self, result: FrameResult) -> FrameResult:
        """Run one tracker update."""
        result.tracks = self.votes.label(self.tracker.update(result), result)
        return result

    def reset(self) -> None:
        """Restart the tracker."""
        self.tracker.reset()
        self.votes.reset()

    def close(self) -> None:
        """Nothing to release."""
