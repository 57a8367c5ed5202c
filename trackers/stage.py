"""Pipeline adapters: the stages that run a 2D or 3D tracker on each frame result."""

from __future__ import annotations

import numpy as np

from perception.types import FrameResult, Instances3D
from trackers.base import Tracker, Tracker3D


class TrackerStage:
    """Pipeline stage "tracker": fills ``result.tracks`` from ``result.detections``."""

    name = "tracker"

    def __init__(self, tracker: Tracker):
        self.tracker = tracker

    def process(self, result: FrameResult) -> FrameResult:
        """Run one tracker update (no image for blank sources, so appearance is not read from them)."""
        p = result.packet
        image = None if p.source.kind == "blank" else p.image
        result.tracks = self.tracker.update(result.detections, image)
        return result

    def reset(self) -> None:
        """Restart the tracker."""
        self.tracker.reset()

    def close(self) -> None:
        """Nothing to release."""


def instance_embeddings(result: FrameResult, instances: Instances3D) -> np.ndarray | None:
    """One appearance row per instance from the segment it was seen in this frame, or None when any is missing."""
    segments = result.segments if result.segments is not None else result.detections
    emb = segments.embeddings
    idx = instances.det_index
    if emb is None or len(instances) == 0 or np.any(idx < 0) or np.any(idx >= len(emb)):
        return None
    return emb[idx]


class Tracker3DStage:
    """Pipeline stage "tracker3d": fills ``result.tracks3d`` from ``result.instances``."""

    name = "tracker3d"

    def __init__(self, tracker: Tracker3D):
        self.tracker = tracker

    def process(self, result: FrameResult) -> FrameResult:
        """Run one 3D tracker update."""
        inst = result.instances if result.instances is not None else Instances3D.empty()
        result.tracks3d = self.tracker.update(inst, float(result.packet.timestamp), instance_embeddings(result, inst))
        return result

    def reset(self) -> None:
        """Restart the tracker."""
        self.tracker.reset()

    def close(self) -> None:
        """Nothing to release."""
