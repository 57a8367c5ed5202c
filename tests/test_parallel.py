"""Concurrent stages (one thread per stage): the same results as the sequential run, in order, and clean stops."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from perception.pipeline.factory import PipelineOptions, build_pipeline
from perception.pipeline.runner import Pipeline, PipelineStopped, run_pipeline
from perception.sources import open_source
from perception.types import InputError
from tests.test_runner import CountingSource, Mark


def _fingerprint(result) -> tuple:
    """What the stages produced for one frame, comparable across runs."""
    inst = result.instances
    return (result.index, result.tracks.ids.tolist(), np.round(result.tracks.xyxy, 6).tolist(),
            None if inst is None else inst.ids.tolist(),
            None if result.tracks3d is None else result.tracks3d.ids.tolist(),
            [type(e).__name__ for e in result.events], [str(e) for e in result.errors])


@pytest.mark.parametrize("spec", ["sample", "synthetic:walkers"])
def test_concurrent_run_equals_sequential_run(spec):
    runs = []
    for concurrent in (False, True):
        source = open_source(spec)
        pipeline = build_pipeline(PipelineOptions(), source.info)
        out: list = []
        stats = run_pipeline(source, pipeline, max_frames=25, on_result=lambda r: out.append(_fingerprint(r)),
                             concurrent=concurrent)
        pipeline.close()
        assert stats.frames == 25 and set(stats.summary()["stages"]) == {s.name for s in pipeline.stages}
        runs.append(out)
    assert [f[0] for f in runs[1]] == list(range(25))
    assert runs[0] == runs[1]


def test_concurrent_stop_policy_raises_after_the_frames_before_the_failure():
    seen: list[int] = []
    pipeline = Pipeline([Mark("a"), Mark("b", fail_on={5})], on_error="stop")
    with pytest.raises(PipelineStopped, match="frame 5"):
        run_pipeline(CountingSource(20), pipeline, on_result=lambda r: seen.append(r.index), concurrent=True)
    assert seen == [0, 1, 2, 3, 4]


def test_concurrent_continue_policy_records_errors_and_keeps_going():
    stats = run_pipeline(CountingSource(8), Pipeline([Mark("a", fail_on={2}), Mark("b")]), concurrent=True)
    assert stats.frames == 8 and stats.error_count == 1


def test_concurrent_source_failure_ends_the_run_and_bad_data_is_raised():
    stats = run_pipeline(CountingSource(10, fail_after=4), Pipeline([Mark()]), concurrent=True)
    assert stats.frames == 4 and "camera vanished" in stats.source_error

    class BadData(CountingSource):
        def read(self):
            if self.i == 3:
                raise InputError("frame 3: corrupt depth")
            return super().read()

    seen: list[int] = []
    with pytest.raises(InputError, match="corrupt depth"):
        run_pipeline(BadData(10), Pipeline([Mark()]), on_result=lambda r: seen.append(r.index), concurrent=True)
    assert seen == [0, 1, 2]


def test_concurrent_run_honours_max_frames_and_stop_and_leaves_no_threads():
    before = threading.active_count()
    assert run_pipeline(CountingSource(50), Pipeline([Mark("a"), Mark("b")]), max_frames=7, concurrent=True).frames == 7
    flag = threading.Event()
    stats = run_pipeline(CountingSource(1000), Pipeline([Mark(sleep_s=0.002)]), concurrent=True,
                         on_result=lambda r: r.index == 9 and flag.set(), should_stop=flag.is_set)
    assert 10 <= stats.frames < 1000
    deadline = time.monotonic() + 3.0
    while threading.active_count() > before and time.monotonic() < deadline:
        time.sleep(0.02)
    assert threading.active_count() <= before


class _Spans(Mark):
    """A slow stage that records when it worked on each frame."""

    def __init__(self, name: str):
        super().__init__(name, sleep_s=0.01)
        self.spans: list[tuple[float, float]] = []

    def process(self, result):
        t0 = time.perf_counter()
        result = super().process(result)
        self.spans.append((t0, time.perf_counter()))
        return result


def test_concurrent_stages_work_at_the_same_time():
    a, b = _Spans("a"), _Spans("b")
    run_pipeline(CountingSource(10), Pipeline([a, b]), concurrent=True)
    overlaps = sum(1 for s0, s1 in a.spans for t0, t1 in b.spans if s0 < t1 and t0 < s1)
    assert overlaps >= 3  # b works on frame t while a works on frame t+1
    a2, b2 = _Spans("a"), _Spans("b")
    run_pipeline(CountingSource(10), Pipeline([a2, b2]))
    assert not any(s0 < t1 and t0 < s1 for s0, s1 in a2.spans for t0, t1 in b2.spans)


def test_governor_degrades_in_order_under_load_and_recovers():
    from perception.pipeline.load import LEVELS, QualityGovernor

    gov = QualityGovernor(budget_ms=33.0, patience=3, recovery=10)
    for _ in range(3):
        gov.observe(80.0)
    assert gov.current is LEVELS[1] and gov.current.strides["map3d"] == 2
    for _ in range(30):
        gov.observe(80.0)
    assert gov.current is LEVELS[-1] and gov.current.strides["segment"] == 2
    for _ in range(200):
        gov.observe(5.0)
    assert gov.level == 0 and gov.changes == 2 * (len(LEVELS) - 1)


def test_strides_skip_or_hold_stages_on_the_frames_between():
    from perception.pipeline.factory import PipelineOptions, build_pipeline
    from perception.pipeline.keyframe_map import NOT_KEYFRAME

    source = open_source("sample")
    packets = [p for _, p in zip(range(4), source)]
    plain = build_pipeline(PipelineOptions(memory=False, keyframes=None, segment_reuse=None), source.info)
    results = [plain.process(p, {"map3d": 2}) for p in packets]
    assert "map3d" not in results[0].skipped and results[1].skipped["map3d"].startswith("under load")
    assert results[1].instances is None and results[2].instances is not None
    pipeline = build_pipeline(PipelineOptions(memory=False), source.info)  # the keyframe map tracks in between
    results = [pipeline.process(p, {"map3d": 2, "segment": 2}) for p in packets]
    assert "map3d" not in results[0].skipped and results[1].skipped["map3d"] == NOT_KEYFRAME
    assert results[1].instances is not None and results[1].instance_of_detection is not None
    assert results[1].segments is results[0].segments and len(results[1].detections) == len(results[0].detections)
    assert results[2].segments is not results[1].segments and results[3].segments is results[2].segments


def test_live_worker_reports_the_quality_in_force():
    from perception.pipeline.runner import PipelineWorker

    done = threading.Event()
    # a camera paced at 30 fps (an unpaced one delivers all 40 frames at once and, on a busy machine, the newest-frame
    # rule leaves the stage too few frames to notice the load)
    worker = PipelineWorker(CountingSource(40, live=True, delay_s=1 / 30), Pipeline([Mark("map3d", sleep_s=0.06)]),
                            on_result=lambda r: None, on_finished=lambda s: done.set())
    worker.start()
    assert done.wait(20)
    assert worker.stats.quality_changes >= 1 and worker.stats.summary()["quality"] != "full quality"


@pytest.mark.parametrize("concurrent", [True, False])
def test_headless_live_run_degrades_under_load_as_the_window_does(concurrent):
    results: list = []
    stats = run_pipeline(CountingSource(40, live=True, delay_s=0.03), Pipeline([Mark("map3d", sleep_s=0.06)]),
                         on_result=results.append, concurrent=concurrent)
    assert stats.quality_changes >= 1 and stats.summary()["quality"] != "full quality"
    skipped = [r for r in results if "map3d" in r.skipped]
    assert skipped and all("seen" not in r.extras for r in skipped)  # the map left those frames out
    recording = run_pipeline(CountingSource(40), Pipeline([Mark("map3d", sleep_s=0.06)]), concurrent=concurrent)
    assert recording.quality_changes == 0  # a recording is never degraded: every frame gets every stage


def test_concurrent_live_run_lets_the_newest_frame_win():
    # a camera at about 200 frames/s into a stage that takes 20 ms: stale frames are dropped, not queued up
    seen: list[int] = []
    stats = run_pipeline(CountingSource(60, live=True, delay_s=0.005), Pipeline([Mark("slow", sleep_s=0.02), Mark("b")]),
                         on_result=lambda r: seen.append(r.index), concurrent=True)
    assert stats.dropped > 20 and stats.frames + stats.dropped == 60
    assert seen == sorted(seen) and len(seen) == stats.frames and seen[-1] == 59  # the last frame is never lost
    recording = run_pipeline(CountingSource(30, delay_s=0.005), Pipeline([Mark("slow", sleep_s=0.02)]), concurrent=True)
    assert recording.dropped == 0 and recording.frames == 30  # a recording keeps every frame
