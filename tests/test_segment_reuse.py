"""Incremental segmentation: unchanged frames repeat the last segments, changed ones are segmented again."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from perception.pipeline.factory import PipelineOptions, build_stages
from perception.pipeline.reuse import ReusePolicy, ReuseUnchanged
from perception.sources import open_source
from perception.types import FrameResult, InputError


class Counting:
    """A stage with ``hold`` that counts real runs."""

    name = "segment"

    def __init__(self):
        self.runs = self.holds = 0

    def process(self, result: FrameResult) -> FrameResult:
        self.runs += 1
        return result

    def hold(self, result: FrameResult) -> FrameResult:
        self.holds += 1
        return result

    def reset(self) -> None:
        self.runs = self.holds = 0

    def close(self) -> None:
        pass


@pytest.fixture(scope="module")
def packet():
    with open_source("sample") as src:
        return src.read()


def test_unchanged_frames_reuse_and_changes_rerun(packet):
    inner = Counting()
    stage = ReuseUnchanged(inner, ReusePolicy(max_reuse=3))
    for i in range(6):  # the same view 6 times: run, 3 reuses, run again (max_reuse), reuse
        stage.process(FrameResult(replace(packet, index=i)))
    assert (inner.runs, inner.holds, stage.reused) == (2, 4, 4)
    noisy = packet.depth * np.float32(1.005)  # sensor noise well inside the depth tolerance
    stage.process(FrameResult(replace(packet, index=6, depth=noisy)))
    assert inner.runs == 2
    moved = packet.depth.copy()
    moved[100:300, 100:400] *= 0.8  # something came closer
    stage.process(FrameResult(replace(packet, index=7, depth=moved)))
    darker = (packet.image // 2).astype(np.uint8)
    stage.process(FrameResult(replace(packet, index=8, image=darker)))
    assert inner.runs == 4
    stage.reset()
    assert stage.reused == 0 and inner.runs == 0
    with pytest.raises(InputError):
        ReusePolicy(stride=0)


def test_the_default_pipeline_wraps_the_segmenter_and_repeats_its_segments(packet):
    with open_source("sample") as src:
        seg = build_stages(PipelineOptions(tracker="none", map3d=False, memory=False), src.info)[0]
    assert isinstance(seg, ReuseUnchanged) and seg.name == "segment" and seg.segmenter is seg.stage.segmenter
    a = seg.process(FrameResult(packet))
    b = seg.process(FrameResult(replace(packet, index=1)))
    assert seg.reused == 1 and b.segments is a.segments and np.array_equal(a.segment_labels, b.segment_labels)
