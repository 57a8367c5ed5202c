"""The contract every tracker follows, and the pipeline stage that runs one."""

from __future__ import annotations

import abc
import math

from perception.types import FrameResult, Tracks


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


class TrackerStage:
    """Pipeline stage that fills ``result.tracks`` from a tracker."""

    name = "tracker"

    def __init__(self, tracker: Tracker):
        self.tracker = tracker

    def process(self, result: FrameResult) -> FrameResult:
        """Run one tracker update."""
        result.tracks = self.tracker.update(result)
        return result

    def reset(self) -> None:
        """Restart the tracker."""
        self.tracker.reset()

    def close(self) -> None:
        """Nothing to release."""
