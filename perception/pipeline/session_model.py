"""Interactive playback of one source through a pipeline, without Qt: play, pause, seek, step, and a mailbox.

The model owns the source, the pipeline and the background worker. Each processed frame is first given to
``observe`` and then to ``present`` (both on the worker thread); what ``present`` returns goes into a one-slot
mailbox that the display takes with ``take()`` (newest wins). Run-end notifications from the worker reach
the owner's thread through ``post`` (a GUI passes a queued-signal emitter; the default calls at once).
All other methods are called from the owner's thread.
"""

from __future__ import annotations

import enum
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from perception.pipeline.factory import PipelineOptions, build_pipeline
from perception.pipeline.runner import Pipeline, PipelineWorker, RunStats
from perception.sources import open_source
from perception.sources.base import FrameSource
from perception.types import FramePacket, FrameResult, InputError, SourceInfo, StageError

if TYPE_CHECKING:
    from perception.map3d.stage import Map3DStage
    from perception.memory.stage import MemoryStage

PipelineFactory = Callable[[PipelineOptions, SourceInfo], Pipeline]
SourceOpener = Callable[[str], FrameSource]
Presenter = Callable[[FrameResult, FramePacket, bool], Any]


class PlayState(str, enum.Enum):
    """Where playback stands; compares equal to its lower-case name."""

    CLOSED = "closed"    # no source
    PAUSED = "paused"    # a source is open, nothing is being processed
    PLAYING = "playing"  # the worker processes frames continuously
    ENDED = "ended"      # the source ran out or failed; play restarts a seekable one from the start

    def __str__(self) -> str:
        return self.value


class StampedSource(FrameSource):
    """Wraps a source to note when each frame arrived (perf_counter), for latency measurement."""

    def __init__(self, inner: FrameSource):
        self.inner = inner
        self.info = inner.info
        self.arrivals: dict[int, float] = {}
        self.on_packet: Callable[[FramePacket], None] | None = None

    def read(self) -> FramePacket | None:
        """The inner source's next frame, time-stamped on arrival."""
        packet = self.inner.read()
        if packet is not None:
            if len(self.arrivals) > 256:
                self.arrivals.clear()
            self.arrivals[packet.index] = time.perf_counter()
            if self.on_packet is not None:
                self.on_packet(packet)
        return packet

    @property
    def seekable(self) -> bool:
        """As the inner source."""
        return self.inner.seekable

    def seek(self, index: int) -> None:
        """As the inner source."""
        self.inner.seek(index)

    def close(self) -> None:
        """Close the inner source."""
        self.inner.close()


@dataclass
class Delivery:
    """One mailbox entry: the newest result, the frame shown with it, what ``present`` made, worker numbers.

    In live preview ``packet`` may be newer than ``result.packet``: the newest camera frame with the
    overlays of the newest processed one.
    """

    result: FrameResult
    packet: FramePacket
    view: Any
    queue_depth: int
    dropped: int
    arrived_at: float
    ready_at: float

    @property
    def index(self) -> int:
        """The index of the frame shown."""
        return self.packet.index


def _nothing(*_args: Any) -> None:
    return None


class PlaybackSession:
    """Play / pause / seek / step over one source; the worker lifecycle and the latest-frame mailbox."""

    def __init__(self, pipeline_factory: PipelineFactory = build_pipeline, source_opener: SourceOpener = open_source,
                 present: Presenter | None = None, observe: Callable[[FrameResult], None] = _nothing,
                 post: Callable[[Callable[[], None]], None] | None = None):
        self.pipeline_factory, self.source_opener = pipeline_factory, source_opener
        self.present: Presenter = present or (lambda result, packet, settled: None)
        self.observe = observe
        self.post = post or (lambda fn: fn())
        self.on_state: Callable[[PlayState], None] = _nothing
        self.on_frame_ready: Callable[[], None] = _nothing        # worker thread: the mailbox was empty
        self.on_stage_failed: Callable[[StageError], None] = _nothing  # worker thread
        self.on_ended: Callable[[RunStats], None] = _nothing      # owner thread: the run stopped by itself
        self.options = PipelineOptions()
        self.speed: float | None = 1.0
        self.stay_live = False
        self.source: StampedSource | None = None
        self.spec: str | None = None
        self.pipeline: Pipeline | None = None
        self.pipeline_error: str | None = None
        self.state = PlayState.CLOSED
        self.last_index = -1
        self.last_result: FrameResult | None = None
        self.last_stats: RunStats | None = None
        self._worker: PipelineWorker | None = None
        self._mailbox: Delivery | None = None
        self._mail_lock = threading.Lock()
        self._generation = 0
        self._narration: deque = deque(maxlen=256)
        self._latest: FramePacket | None = None
        self._preview = False

    # ----- sources and pipeline -------------------------------------------------------------------------
    def open(self, spec: str) -> SourceInfo:
        """Close what is open and open ``spec`` paused; InputError (nothing changes) if it cannot be opened.

        A pipeline that cannot be built leaves the source playing unprocessed; ``pipeline_error`` says why.
        """
        source = StampedSource(self.source_opener(spec))
        error = None
        try:
            pipeline = self.pipeline_factory(self.options, source.info)
        except Exception as exc:
            error = str(exc) if isinstance(exc, InputError) else f"{type(exc).__name__}: {exc}"
            pipeline = Pipeline([])
        self.close()
        self.source, self.spec, self.pipeline, self.pipeline_error = source, spec, pipeline, error
        self.last_index, self.last_result, self.last_stats = -1, None, None
        self._narration.clear()
        with self._mail_lock:
            self._mailbox = None
        self._set_state(PlayState.PAUSED)
        return source.info

    def set_options(self, options: PipelineOptions) -> None:
        """Rebuild the pipeline with new options, keeping source and position; on error the old one stays."""
        if self.source is None:
            self.options = options
            return
        pipeline = self.pipeline_factory(options, self.source.info)
        playing = self.state is PlayState.PLAYING
        self._stop_worker()
        if self.pipeline is not None:
            self.pipeline.close()
        self.options, self.pipeline, self.pipeline_error = options, pipeline, None
        if playing:
            self.play()

    def close(self) -> None:
        """Stop the worker and release the pipeline and the source."""
        self._stop_worker()
        if self.pipeline is not None:
            self.pipeline.close()
        if self.source is not None:
            self.source.close()
        self.source = self.pipeline = None
        self._set_state(PlayState.CLOSED)

    @property
    def info(self) -> SourceInfo | None:
        """The open source's description."""
        return None if self.source is None else self.source.info

    @property
    def seekable(self) -> bool:
        """Whether the open source can seek."""
        return self.source is not None and self.source.seekable

    @property
    def worker(self) -> PipelineWorker | None:
        """The running worker, if any."""
        return self._worker

    def stage_names(self) -> list[str]:
        """Names of the pipeline's stages, in order."""
        return [] if self.pipeline is None else [s.name for s in self.pipeline.stages]

    def map3d(self) -> Map3DStage | None:
        """The pipeline's 3D map stage, if it runs one."""
        stage = None if self.pipeline is None else self.pipeline.stage("map3d")
        if stage is None:
            return None
        from perception.map3d.stage import Map3DStage

        return stage if isinstance(stage, Map3DStage) else None

    def memory(self) -> MemoryStage | None:
        """The pipeline's streaming memory stage, if it runs one."""
        stage = None if self.pipeline is None else self.pipeline.stage("memory")
        if stage is None:
            return None
        from perception.memory.stage import MemoryStage

        return stage if isinstance(stage, MemoryStage) else None

    # ----- transport ------------------------------------------------------------------------------------
    def play(self) -> None:
        """Process frames continuously from the current position (from the start if a seekable source ended)."""
        if self.source is None or self.state is PlayState.PLAYING:
            return
        if self.state is PlayState.ENDED:
            if not self.seekable:
                return
            self._reposition(0)
        self._start(None)
        self._set_state(PlayState.PLAYING)

    def pause(self) -> None:
        """Stop after the frame in hand; the next play resumes exactly at the following frame."""
        if self.state is not PlayState.PLAYING:
            return
        self._stop_worker()
        length = self.info.length
        if self.seekable and length is not None and self.last_index + 1 < length:
            self._reposition(self.last_index + 1)
        self._preview = False
        self._set_state(PlayState.PAUSED)
        self.refresh()

    def toggle(self) -> None:
        """Play if paused or ended, pause if playing."""
        self.pause() if self.state is PlayState.PLAYING else self.play()

    def step(self, delta: int = 1) -> None:
        """Pause, then show the frame ``delta`` frames from the current one (backwards needs a seekable source)."""
        if self.source is None:
            return
        self.pause()
        if delta == 1 and self.state is not PlayState.ENDED:
            self._stop_worker()
            self._start(1)
            return
        if self.seekable:
            self.seek(max(0, self.last_index + delta))

    def seek(self, index: int) -> None:
        """Show frame ``index`` exactly (clamped to the source) and continue from there; playing stays playing."""
        if not self.seekable:
            raise InputError(f"'{self.info.name if self.info else 'nothing'}' cannot seek")
        length = self.info.length
        index = int(np.clip(index, 0, (length - 1) if length else index))
        playing = self.state is PlayState.PLAYING
        self._stop_worker()
        self._reposition(index)
        self._start(None if playing else 1)
        self._set_state(PlayState.PLAYING if playing else PlayState.PAUSED)

    def set_speed(self, speed: float | None) -> None:
        """Playback speed for files (1.0 = native rate, None = as fast as the pipeline goes)."""
        self.speed = speed
        self._restart_if_playing()

    def set_stay_live(self, stay_live: bool) -> None:
        """True: drop stale frames so the display keeps up; False: process every frame."""
        self.stay_live = stay_live
        self._restart_if_playing()

    def refresh(self, settled: bool = True) -> None:
        """Present the last result again on its own frame (e.g. after the overlay choice changed), unless playing."""
        if self.state is not PlayState.PLAYING and self.last_result is not None:
            self._deliver(self.last_result, self.last_result.packet, settled)

    # ----- the display side -----------------------------------------------------------------------------
    def take(self) -> Delivery | None:
        """The newest delivery (older untaken ones are skipped), or None."""
        with self._mail_lock:
            delivery, self._mailbox = self._mailbox, None
        return delivery

    def take_narration(self) -> list:
        """Narration messages the pipeline produced since the last call, oldest first."""
        out = []
        while self._narration:
            out.append(self._narration.popleft())
        return out

    # ----- internals ------------------------------------------------------------------------------------
    def _set_state(self, state: PlayState) -> None:
        if state is not self.state:
            self.state = state
            self.on_state(state)

    def _reposition(self, index: int) -> None:
        self.source.seek(index)
        self.last_index = index - 1

    def _restart_if_playing(self) -> None:
        if self.state is PlayState.PLAYING:
            self.pause()
            self.play()

    def _start(self, max_frames: int | None) -> None:
        length = self.source.info.length
        if self.seekable and length is not None and self.last_index + 1 < length:
            self._reposition(self.last_index + 1)  # undo the reader's read-ahead of the previous run
        self._generation += 1
        gen = self._generation
        live = self.source.info.live
        self._preview = max_frames is None and (live or self.stay_live)
        self._latest = None
        self.source.on_packet = self._on_packet if self._preview else None
        pace = None if live or max_frames is not None else self.speed
        self._worker = PipelineWorker(
            self.source, self.pipeline, lambda r: self._on_result(r, gen),
            lambda s: self.post(lambda: self._on_finished(s, gen)),
            max_frames=max_frames, pace_speed=pace, drop_stale=live or self.stay_live,
            adaptive=live or self.stay_live)
        self._worker.start()

    def _stop_worker(self) -> None:
        worker, self._worker = self._worker, None
        if self.source is not None:
            self.source.on_packet = None
        if worker is not None:
            self._generation += 1  # results still in flight from this worker are ignored
            worker.stop()
            worker.join()

    def _on_result(self, result: FrameResult, gen: int) -> None:
        """Worker thread: observe, present and post the frame."""
        if gen != self._generation:
            return
        self.last_index, self.last_result = result.index, result
        self.observe(result)
        worker = self._worker
        settled = worker is not None and worker.max_frames is not None
        latest = self._latest
        packet = latest if self._preview and latest is not None and latest.index > result.index else result.packet
        self._deliver(result, packet, settled)
        self._narration.extend(result.narration)
        for err in result.errors:
            self.on_stage_failed(err)

    def _on_packet(self, packet: FramePacket) -> None:
        """Reader thread, live preview: show each new camera frame at once with the latest result."""
        self._latest = packet
        if self.last_result is not None:
            self._deliver(self.last_result, packet, settled=False)

    def _deliver(self, result: FrameResult, packet: FramePacket, settled: bool) -> None:
        view = self.present(result, packet, settled)
        worker = self._worker
        now = time.perf_counter()
        arrived = self.source.arrivals.get(packet.index, now) if self.source is not None else now
        delivery = Delivery(result, packet, view, worker.queue_depth if worker else 0,
                            worker.stats.dropped if worker else 0, arrived, now)
        with self._mail_lock:
            was_empty = self._mailbox is None
            self._mailbox = delivery
        if was_empty:
            self.on_frame_ready()

    def _on_finished(self, stats: RunStats, gen: int) -> None:
        """Owner thread: a run stopped by itself (end, one step done, or a source error)."""
        if gen != self._generation:
            return
        self.last_stats = stats
        info = self.info
        at_end = info is not None and info.length is not None and self.last_index + 1 >= info.length
        lost_live = info is not None and info.live and self.state is PlayState.PLAYING  # a camera ends only when lost
        failed = stats.source_error is not None or stats.worker_error is not None
        if failed or at_end or lost_live:
            self._set_state(PlayState.ENDED)
        elif self.state is PlayState.PLAYING:
            self._set_state(PlayState.PAUSED)
        if failed or self.state is PlayState.ENDED:
            self.on_ended(stats)  # first: the refresh may fail the same way the worker did
            if stats.worker_error is None:
                self.refresh()  # the last frame settled: the display shows the run's final state
