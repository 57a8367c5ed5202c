"""The detector contract (frame -> labelled detections) and the pipeline stage that runs one."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from perception.types import Detections, FramePacket, FrameResult


@runtime_checkable
class Detector(Protocol):
    """Finds objects in one frame: boxes, scores, class ids and class names (``labels``), optionally masks.

    Detectors are online (one frame at a time, in order); ``reset`` forgets any state (a new sequence).
    ``class_names`` lists every name the detector can issue (empty when open-ended).
    """

    name: str
    class_names: tuple[str, ...]

    def detect(self, packet: FramePacket) -> Detections:
        """The detections of ``packet``."""
        ...

    def reset(self) -> None:
        """Forget all state."""
        ...


class DetectStage:
    """Pipeline stage "detect": fills ``result.detections`` from a detector (labels ride on them)."""

    name = "detect"

    def __init__(self, detector: Detector):
        self.detector = detector
        self._last: Detections | None = None

    def process(self, result: FrameResult) -> FrameResult:
        """Detect objects in the frame."""
        result.detections = self._last = self.detector.detect(result.packet)
        return result

    def hold(self, result: FrameResult) -> FrameResult:
        """Repeat the last frame's detections without detecting (adaptive quality under load)."""
        result.detections = self._last if self._last is not None else Detections.empty()
        return result

    def reset(self) -> None:
        """Forget the last detections; forward to the detector."""
        self._last = None
        self.detector.reset()

    def close(self) -> None:
        """Forward to the detector when it holds resources (sessions, threads)."""
        close = getattr(self.detector, "close", None)
        if close is not None:
            close()
