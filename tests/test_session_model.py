"""The Qt-free playback session: states, play / pause / seek / step, the latest-frame mailbox, failures."""

from __future__ import annotations

import threading
import time
from dataclasses import replace

import numpy as np
import pytest

from perception.pipeline.runner import Pipeline
from perception.pipeline.session_model import PlaybackSession, PlayState
from perception.sources import MemorySource
from perception.types import FramePacket, InputError

WAIT_S = 30.0


class _Flaky(MemorySource):
    """Frames until ``fail_at``, then an OSError."""

    def __init__(self, n: int, fail_at: int):
        super().__init__([np.zeros((8, 8, 3), np.uint8)] * n, name="flaky")
        self.fail_at = fail_at

    def read(self) -> FramePacket | None:
        if self._next == self.fail_at:
            raise OSError("device disconnected")
        return super().read()


class _Camera(MemorySource):
    """A live source: no length, no seeking."""

    def __init__(self, n: int):
        super().__init__([np.zeros((8, 8, 3), np.uint8)] * n, name="camera")
        self.info = replace(self.info, live=True, length=None)

    @property
    def seekable(self) -> bool:
        return False


def _opener(spec: str):
    kind, n = spec.split(":")
    if kind == "flaky":
        return _Flaky(10, int(n))
    if kind == "live":
        return _Camera(int(n))
    return MemorySource([np.zeros((8, 8, 3), np.uint8)] * int(n), fps=30.0, name=spec)


class _Recorder:
    """Collects what the session reports; ``post`` runs the worker's run-end on this (the test's) thread later."""

    def __init__(self):
        self.states: list[PlayState] = []
        self.ended = []
        self.posted: list = []
        self.lock = threading.Lock()

    def post(self, fn) -> None:
        with self.lock:
            self.posted.append(fn)

    def pump(self) -> None:
        with self.lock:
            todo, self.posted = self.posted, []
        for fn in todo:
            fn()


@pytest.fixture
def session():
    rec = _Recorder()
    s = PlaybackSession(lambda o, i: Pipeline([]), _opener, present=lambda r, p, settled: p.index,
                        post=rec.post)
    s.on_state = rec.states.append
    s.on_ended = rec.ended.append
    s.rec = rec
    s.speed = None
    yield s
    s.close()


def _until(s: PlaybackSession, cond, timeout: float = WAIT_S) -> None:
    end = time.monotonic() + timeout
    while not cond():
        s.rec.pump()
        assert time.monotonic() < end, "timed out"
        time.sleep(0.002)
    s.rec.pump()


def _idle(s: PlaybackSession) -> None:
    """Wait until the worker of a single step finished and its run-end was handled."""
    _until(s, lambda: s.worker is None or not s.worker._worker.is_alive())
    time.sleep(0.01)
    s.rec.pump()


def test_states_and_exact_stepping(session):
    s = session
    assert s.state is PlayState.CLOSED and s.state == "closed"
    s.open("mem:6")
    assert s.state is PlayState.PAUSED and s.take() is None
    s.step(1)
    _idle(s)
    d = s.take()
    assert d.index == 0 and d.view == 0 and s.last_index == 0 and s.state is PlayState.PAUSED
    s.seek(4)
    _idle(s)
    assert s.take().index == 4
    s.step(-2)
    _idle(s)
    assert s.take().index == 2
    s.seek(99)  # clamped to the last frame
    _idle(s)
    assert s.take().index == 5


def test_play_to_the_end_then_play_restarts(session):
    s = session
    s.open("mem:20")
    s.play()
    assert s.state is PlayState.PLAYING
    _until(s, lambda: s.state is PlayState.ENDED)
    assert s.last_index == 19 and len(s.rec.ended) == 1 and s.rec.ended[0].frames == 20
    assert s.take().index == 19  # the mailbox keeps only the newest
    s.play()
    _until(s, lambda: s.state is PlayState.ENDED and len(s.rec.ended) == 2)
    assert s.rec.states[:3] == [PlayState.PAUSED, PlayState.PLAYING, PlayState.ENDED]


def test_pause_resumes_at_the_next_frame(session):
    s = session
    s.open("mem:400")
    s.speed = 1.0  # 30 fps: the pause lands mid-stream
    s.play()
    _until(s, lambda: s.last_index >= 3)
    s.pause()
    paused_at = s.last_index
    assert s.state is PlayState.PAUSED and s.take().index == paused_at
    s.step(1)
    _idle(s)
    assert s.take().index == paused_at + 1


def test_source_error_ends_with_the_reason(session):
    s = session
    s.open("flaky:3")
    s.play()
    _until(s, lambda: s.state is PlayState.ENDED)
    assert s.last_index == 2 and "device disconnected" in s.rec.ended[0].source_error


def test_live_sources_cannot_seek_and_stale_runs_are_ignored(session):
    s = session
    s.open("live:5")
    assert not s.seekable
    with pytest.raises(InputError, match="cannot seek"):
        s.seek(2)
    s.open("mem:3")  # the old source's run-end, if still queued, must not touch the new one
    s.rec.pump()
    assert s.state is PlayState.PAUSED and s.info.name == "mem:3" and s.last_index == -1


def test_unbuildable_pipeline_plays_unprocessed_and_options_keep_the_old_one(session):
    s = session

    def broken(options, info):
        raise FileNotFoundError("no checkpoint")

    s.pipeline_factory = broken
    s.open("mem:2")
    assert "no checkpoint" in s.pipeline_error and s.stage_names() == []
    with pytest.raises(FileNotFoundError):
        s.set_options(s.options)
    assert s.pipeline is not None and s.map3d() is None and s.memory() is None


def test_typed_stage_accessors_find_real_stages():
    from perception.pipeline.factory import PipelineOptions, build_pipeline

    s = PlaybackSession(build_pipeline, _opener)
    s.options = PipelineOptions(segmenter="none", tracker="none", map3d=True, tracker3d="none", memory=True)
    s.open("mem:2")
    try:
        assert s.map3d() is not None and s.memory() is not None
    finally:
        s.close()
