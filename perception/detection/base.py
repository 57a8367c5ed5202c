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

    def process(self, result: FrameResult) -> FrameResult:
        """Detect objects in the frame."""
        result.detections = self.detector.detect(result.packet)
        return result

    def reset(self) -> None:
        """Forward to the detector."""
        self.detector.reset()

    def close(self) -> None:
        """Forward to the detector when it holds resources (sessions, threads)."""
        close = getattr(self.detector, "close", None)
        if close is not None:
            close()
