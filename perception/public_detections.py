"""A detection stage that replays precomputed (public) detections from a MOTChallenge det.txt."""

from __future__ import annotations

import numpy as np

from perception.io.mot import MotTable
from perception.types import Detections, FrameResult


class PublicDetectionsStage:
    """Fills ``result.detections`` with the det.txt rows of the frame (packet index 0 = MOT frame 1)."""

    name = "detections"

    def __init__(self, table: MotTable, scores: np.ndarray | None = None):
        self._xyxy = table.xyxy
        self._scores = table.scores if scores is None else np.asarray(scores, dtype=np.float64)
        self._rows = table.split_by_frame()

    def process(self, result: FrameResult) -> FrameResult:
        """Look up this frame's detections."""
        rows = self._rows.get(result.index + 1)
        if rows is None:
            result.detections = Detections.empty()
        else:
            result.detections = Detections(self._xyxy[rows], self._scores[rows])
        return result

    def reset(self) -> None:
        """Stateless."""

    def close(self) -> None:
        """Nothing to release."""
