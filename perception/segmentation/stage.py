"""Pipeline stage "segment": run a segmenter on each frame and fill ``result.detections``."""

from __future__ import annotations

from perception.segmentation.base import Segmenter
from perception.types import FrameResult


class SegmentStage:
    """Fills ``result.detections`` (boxes, scores, masks, embeddings) and ``result.extras["segment_labels"]``
    (HxW int32 label image, -1 = none, row i of the detections = label i)."""

    name = "segment"

    def __init__(self, segmenter: Segmenter):
        self.segmenter = segmenter

    def process(self, result: FrameResult) -> FrameResult:
        """Segment the frame."""
        seg = self.segmenter.segment(result.packet)
        result.detections = seg.detections
        result.extras["segment_labels"] = seg.labels
        return result

    def reset(self) -> None:
        """Forward to the segmenter when it keeps state."""
        reset = getattr(self.segmenter, "reset", None)
        if reset is not None:
            reset()

    def close(self) -> None:
        """Forward to the segmenter when it holds resources (threads, models)."""
        close = getattr(self.segmenter, "close", None)
        if close is not None:
            close()
