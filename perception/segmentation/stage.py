"""Pipeline stage "segment": run a segmenter on each frame and fill ``result.segments``."""

from __future__ import annotations

from perception.segmentation.base import Segmentation, Segmenter
from perception.types import FrameResult


class SegmentStage:
    """Fills ``result.segments`` (boxes, scores, masks, embeddings), ``result.segment_labels`` and
    ``result.thin_segments``; with ``feeds_tracker`` (no detector in the pipeline) the segments are also
    ``result.detections``."""

    name = "segment"

    def __init__(self, segmenter: Segmenter, feeds_tracker: bool = True):
        self.segmenter = segmenter
        self.feeds_tracker = feeds_tracker
        self._last: Segmentation | None = None

    def process(self, result: FrameResult) -> FrameResult:
        """Segment the frame."""
        seg = self.segmenter.segment(result.packet)
        self._last = seg
        return self._fill(result, seg)

    def hold(self, result: FrameResult) -> FrameResult:
        """Repeat the last frame's segments without segmenting (adaptive quality under load)."""
        h, w = result.packet.image.shape[:2]
        seg = self._last if self._last is not None and self._last.labels.shape == (h, w) else Segmentation.empty(h, w)
        return self._fill(result, seg)

    def _fill(self, result: FrameResult, seg: Segmentation) -> FrameResult:
        result.segments = seg.detections
        if self.feeds_tracker:
            result.detections = seg.detections
        result.segment_labels = seg.labels
        result.thin_segments = seg.thin
        if seg.image_embedding is not None:
            result.image_embedding = seg.image_embedding
        return result

    def reset(self) -> None:
        """Forget the last segments; forward to the segmenter when it keeps state."""
        self._last = None
        reset = getattr(self.segmenter, "reset", None)
        if reset is not None:
            reset()

    def close(self) -> None:
        """Forward to the segmenter when it holds resources (threads, models)."""
        close = getattr(self.segmenter, "close", None)
        if close is not None:
            close()
