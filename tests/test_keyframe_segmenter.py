"""The asynchronous keyframe wrapper carries a keyframe's per-segment flags to the frames that reuse it."""

from __future__ import annotations

import time

import numpy as np

from perception.segmentation.base import Segmentation
from perception.segmentation.keyframes import AsyncKeyframeSegmenter
from perception.types import Detections, FramePacket, SourceInfo

INFO = SourceInfo(kind="video", name="t", fps=30.0, width=96, height=64)


class _TwoBoxes:
    """Two fixed segments, the second one flagged thin."""

    name = "two-boxes"

    def segment(self, packet: FramePacket) -> Segmentation:
        labels = np.full(packet.image.shape[:2], -1, np.int32)
        labels[10:40, 10:40] = 0
        labels[50:54, 20:80] = 1
        masks = labels[None] == np.arange(2)[:, None, None]
        dets = Detections(np.array([[10, 10, 40, 40], [20, 50, 80, 54]], float), scores=np.ones(2), masks=masks)
        return Segmentation(dets, labels, thin=np.array([False, True]))


def test_thin_flags_follow_the_keyframe_to_later_frames():
    seg = AsyncKeyframeSegmenter(_TwoBoxes(), every=100)
    try:
        frame = lambda i: FramePacket(i, i / 30, np.zeros((64, 96, 3), np.uint8), INFO)  # noqa: E731
        assert seg.segment(frame(0)).thin is None  # nothing adopted yet
        deadline = time.time() + 10
        while seg.busy and time.time() < deadline:
            time.sleep(0.01)
        out = seg.segment(frame(1))
        assert len(out.detections) == 2 and out.thin is not None
        assert out.thin.tolist() == [False, True]
    finally:
        seg.close()
