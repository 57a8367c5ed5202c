"""The pipeline runner: timing, error policy, worker threads, stale-frame dropping for live sources."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from perception.pipeline.runner import Pipeline, PipelineStopped, PipelineWorker, run_pipeline
from perception.sources.base import FrameSource
from perception.types import FramePacket, FrameResult, SourceInfo


class CountingSource(FrameSource):
    """n tiny frames; optionally live and optionally raising after ``fail_after`` frames."""

    def __init__(self, n: int, live: bool = False, fail_after: int | None = None, delay_s: float = 0.0):
        self.info = SourceInfo("counting", "test", 30.0, 8, 6, None if live else n, live=live)
        self.n, self.fail_after, self.delay_s, self.i = n, fail_after, delay_s, 0

    def read(self) -> FramePacket | None:
        if self.fail_after is not None and self.i >= self.fail_after:
            raise OSError("camera vanished")
        if self.i >= self.n:
            return None
        time.sleep(self.delay_s)
        p = FramePacket(self.i, self.i / 30.0, np.zeros((6, 8, 3), np.uint8), self.info)
        self.i += 1
        return p


class Mark:
    """Appends the frame index to ``result.extras['seen']``; fails on chosen frames; can be slow."""

    def __init__(self, name: str = "mark", fail_on: set[int] = frozenset(), sleep_s: float = 0.0):
        self.name, self.fail_on, self.sleep_s = name, fail_on, sleep_s

    def process(self, result: FrameResult) -> FrameResult:
        time.sleep(self.sleep_s)
        if result.index in self.fail_on:
            raise ValueError("bad frame")
        result.extras.setdefault("seen", []).append(result.index)
        return result

    def reset(self) -> None:
        pass

    def close(self) -> None:
        pass


def test_inline_run_times_every_stage_and_counts_frames():
    results: list[FrameResult] = []
    stats = run_pipeline(CountingSource(10), Pipeline([Mark("a"), Mark("b")]), on_result=results.append)
    assert stats.frames == 10 and [r.index for r in results] == list(range(10))
    summary = stats.summary()
    assert set(summary["stages"]) == {"a", "b"}
    assert all(s["p95_ms"] >= 0 for s in summary["stages"].values())
    assert results[3].extras["seen"] == [3, 3]


def test_max_frames_stops_early():
    assert run_pipeline(CountingSource(10), Pipeline([Mark()]), max_frames=4).frames == 4


def test_stage_error_is_reported_with_frame_index_and_run_continues():
    stats = run_pipeline(CountingSource(6), Pipeline([Mark(fail_on={2, 4}), Mark("after")]))
    assert stats.frames == 6
    assert [(e.stage, e.frame_index) for e in stats.errors] == [("mark", 2), ("mark", 4)]
    assert "frame 2" in str(stats.errors[0]) and "ValueError: bad frame" in str(stats.errors[0])


def test_stop_policy_raises_on_first_stage_error():
    with pytest.raises(PipelineStopped, match="frame 3"):
        run_pipeline(CountingSource(6), Pipeline([Mark(fail_on={3})], on_error="stop"))


def test_duplicate_stage_names_are_rejected():
    with pytest.raises(ValueError, match="unique"):
        Pipeline([Mark("x"), Mark("x")])


def _run_worker(source: FrameSource, pipeline: Pipeline, **kw) -> tuple[list[int], object]:
    seen: list[int] = []
    done = threading.Event()
    worker = PipelineWorker(source, pipeline, lambda r: seen.append(r.index), lambda s: done.set(), **kw)
    worker.start()
    assert done.wait(30), "worker did not finish"
    assert worker.join(5)
    return seen, worker.stats


def test_worker_processes_every_frame_of_a_file_source_in_order():
    seen, stats = _run_worker(CountingSource(40), Pipeline([Mark(sleep_s=0.002)]), queue_size=2)
    assert seen == list(range(40)) and stats.dropped == 0


def test_worker_drops_stale_frames_of_a_live_source_and_keeps_the_newest():
    seen, stats = _run_worker(CountingSource(60, live=True), Pipeline([Mark(sleep_s=0.02)]), queue_size=2)
    assert stats.dropped > 0 and len(seen) + stats.dropped == 60
    assert seen == sorted(seen) and seen[-1] == 59  # newest frame wins, order kept


def test_worker_ends_cleanly_when_the_source_fails_mid_stream():
    seen, stats = _run_worker(CountingSource(20, fail_after=5), Pipeline([Mark()]))
    assert seen == [0, 1, 2, 3, 4]
    assert "camera vanished" in stats.source_error


def test_worker_stop_ends_promptly():
    worker = PipelineWorker(CountingSource(10_000, delay_s=0.001), Pipeline([Mark()]), lambda r: None)
    worker.start()
    worker.stop()
    assert worker.join(5) and not worker.running
