"""The perception worker seen from Qt: opens sources, runs the GUI-free pipeline off the GUI thread, hands frames over.

The pipeline runs in perception's PipelineWorker (reader + worker threads, bounded queue, latest-frame-wins
for live sources). Overlays, the session log and the 3D snapshot are computed on the worker thread; the GUI
thread only picks up the newest finished frame from a one-slot mailbox and draws it, so it never lags.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QObject, Signal

from app.cloud import CloudBuilder, CloudSnapshot
from app.overlay import OverlayLayer, OverlayLayers, TrailBook, build_layer
from app.recording import SessionRecorder
from app.session_log import SessionLog
from perception.pipeline.factory import PipelineOptions, build_pipeline
from perception.pipeline.runner import Pipeline, PipelineWorker, RunStats
from perception.sources import open_source
from perception.sources.base import FrameSource
from perception.types import FramePacket, FrameResult, InputError, SourceInfo

PipelineFactory = Callable[[PipelineOptions, SourceInfo], Pipeline]
SourceOpener = Callable[[str], FrameSource]


class _StampedSource(FrameSource):
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
class FrameView:
    """A frame ready to draw: the latest result, the composited image of frame ``index``, worker-side numbers.

    In live preview ``index`` may be newer than ``result.index``: the newest camera frame is shown with
    the overlays of the newest processed one.
    """

    result: FrameResult
    index: int
    image: np.ndarray
    cloud: CloudSnapshot | None
    queue_depth: int
    dropped: int
    arrived_at: float
    ready_at: float
    overlay_ms: float


class StreamController(QObject):
    """Owns the source, the pipeline and the worker; all public methods are called from the GUI thread."""

    opened = Signal(object)        # SourceInfo
    frame_ready = Signal()         # the mailbox holds a new FrameView: call take_frame()
    stage_failed = Signal(object)  # StageError
    ended = Signal(object)         # RunStats of the run that just stopped by itself (end of file, source error)
    state_changed = Signal(str)    # "playing", "paused", "ended", "closed"
    _finished = Signal(object, int)  # worker thread -> GUI thread

    def __init__(self, pipeline_factory: PipelineFactory = build_pipeline, source_opener: SourceOpener = open_source,
                 parent: QObject | None = None):
        super().__init__(parent)
        self.pipeline_factory, self.source_opener = pipeline_factory, source_opener
        self.options = PipelineOptions()
        self.layers = OverlayLayers()
        self.speed: float | None = 1.0
        self.stay_live = False
        self.cloud_interval_s = 0.5  # 3D snapshots at most this often while playing
        self.source: _StampedSource | None = None
        self.spec: str | None = None
        self.pipeline: Pipeline | None = None
        self.log = SessionLog()
        self.trails = TrailBook()
        self.cloud = CloudBuilder()
        self.recorder: SessionRecorder | None = None
        self.pipeline_error: str | None = None
        self.state = "closed"
        self.last_index = -1
        self.last_result: FrameResult | None = None
        self._worker: PipelineWorker | None = None
        self._mailbox: FrameView | None = None
        self._mail_lock = threading.Lock()
        self._generation = 0
        self._last_cloud = 0.0
        self.want_cloud = True
        self._narration: deque = deque(maxlen=256)
        self._layer: OverlayLayer | None = None
        self._latest: FramePacket | None = None
        self._preview = False
        self._finished.connect(self._on_finished)

    # ----- sources and pipeline -------------------------------------------------------------------------
    def open(self, spec: str) -> SourceInfo:
        """Close what is open and open ``spec``; InputError (nothing changes) if it cannot be opened."""
        source = _StampedSource(self.source_opener(spec))
        self.pipeline_error = None
        try:
            pipeline = self.pipeline_factory(self.options, source.info)
        except Exception as exc:  # the video still plays; the window says why nothing is processed
            self.pipeline_error = f"{type(exc).__name__}: {exc}" if not isinstance(exc, InputError) else str(exc)
            pipeline = Pipeline([])
        self.close()
        self.source, self.spec, self.pipeline = source, spec, pipeline
        self.log.reset()
        self.trails.reset()
        self.cloud.reset()
        self.last_index, self.last_result = -1, None
        self._set_state("paused")
        self.opened.emit(source.info)
        return source.info

    def set_options(self, options: PipelineOptions) -> None:
        """Rebuild the pipeline with new options (keeps the source and position); InputError leaves the old one."""
        if self.source is None:
            self.options = options
            return
        pipeline = self.pipeline_factory(options, self.source.info)
        self.pipeline_error = None
        playing = self.state == "playing"
        self._stop_worker()
        if self.pipeline is not None:
            self.pipeline.close()
        self.options, self.pipeline = options, pipeline
        if playing:
            self.play()

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

    def stage(self, name: str):
        """The pipeline stage called ``name``, or None."""
        return next((s for s in (self.pipeline.stages if self.pipeline else []) if s.name == name), None)

    # ----- transport ------------------------------------------------------------------------------------
    def play(self) -> None:
        """Process frames continuously from the current position (from the start if the file ended)."""
        if self.source is None or self.state == "playing":
            return
        if self.state == "ended":
            if not self.seekable:
                return
            self._reposition(0)
        self._start(None)
        self._set_state("playing")

    def pause(self) -> None:
        """Stop after the frame in hand; the next play resumes exactly at the following frame."""
        if self.state != "playing":
            return
        self._stop_worker()
        if self.seekable and self.info.length is not None and self.last_index + 1 < self.info.length:
            self._reposition(self.last_index + 1)
        self._preview = False
        if self.last_result is not None:  # the frame the overlays belong to, and the map as of that frame
            self._deliver(self.last_result, cloud=self.want_cloud, own_frame=True)
        self._set_state("paused")

    def toggle(self) -> None:
        """Play if paused, pause if playing."""
        self.pause() if self.state == "playing" else self.play()

    def step(self, delta: int = 1) -> None:
        """Pause, then show the frame ``delta`` frames from the current one (backwards needs a seekable source)."""
        if self.source is None:
            return
        self.pause()
        if delta == 1 and self.state != "ended":
            self._stop_worker()
            self._start(1)
            return
        if self.seekable:
            self.seek(max(0, self.last_index + delta))

    def seek(self, index: int) -> None:
        """Show frame ``index`` exactly and continue from there (playing stays playing)."""
        if not self.seekable:
            raise InputError(f"'{self.info.name if self.info else 'nothing'}' cannot seek")
        length = self.info.length
        index = int(np.clip(index, 0, (length - 1) if length else index))
        playing = self.state == "playing"
        self._stop_worker()
        self._reposition(index)
        self._start(None if playing else 1)
        self._set_state("playing" if playing else "paused")

    def set_speed(self, speed: float | None) -> None:
        """Playback speed for files (1.0 = native rate, None = as fast as the pipeline goes)."""
        self.speed = speed
        self._restart_if_playing()

    def set_stay_live(self, stay_live: bool) -> None:
        """True: drop stale frames so the display keeps up; False: process every frame."""
        self.stay_live = stay_live
        self._restart_if_playing()

    def set_layers(self, layers: OverlayLayers) -> None:
        """Change the overlay layers; a paused frame is redrawn at once."""
        self.layers = layers
        if self.state != "playing" and self.last_result is not None:
            self._deliver(self.last_result, cloud=False, own_frame=True)

    def close(self) -> None:
        """Stop the worker and release the pipeline and the source."""
        self._stop_worker()
        self.stop_recording()
        if self.pipeline is not None:
            self.pipeline.close()
        if self.source is not None:
            self.source.close()
        self.source = self.pipeline = None
        self._set_state("closed")

    # ----- recording ------------------------------------------------------------------------------------
    def start_recording(self, path: str) -> None:
        """Record every frame shown from now on (RGB-D folder if the source has depth, else a video)."""
        if self.source is None:
            raise InputError("open a source before recording")
        self.recorder = SessionRecorder(path, self.source.info)

    def stop_recording(self) -> str | None:
        """Finish the recording and return its path (None if nothing was recorded)."""
        rec, self.recorder = self.recorder, None
        if rec is None:
            return None
        return str(rec.finish())

    # ----- the GUI side of the mailbox ------------------------------------------------------------------
    def take_frame(self) -> FrameView | None:
        """The newest finished frame (older undrawn ones are skipped), or None."""
        with self._mail_lock:
            view, self._mailbox = self._mailbox, None
        return view

    def take_narration(self) -> list:
        """Narration messages the memory stage produced since the last call, oldest first."""
        out = []
        while self._narration:
            out.append(self._narration.popleft())
        return out

    # ----- internals ------------------------------------------------------------------------------------
    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self.state_changed.emit(state)

    def _reposition(self, index: int) -> None:
        self.source.seek(index)
        self.last_index = index - 1

    def _restart_if_playing(self) -> None:
        if self.state == "playing":
            self.pause()
            self.play()

    def _start(self, max_frames: int | None) -> None:
        length = self.source.info.length
        if self.seekable and length is not None and self.last_index + 1 < length:
            self._reposition(self.last_index + 1)  # undo the reader's read-ahead of the previous run
        self._generation += 1
        gen = self._generation
        live = self.source.info.live
        pace = None if live or max_frames is not None else self.speed
        self._preview = max_frames is None and (live or self.stay_live)
        self._latest = None
        self.source.on_packet = self._on_packet if self._preview else None
        self._worker = PipelineWorker(
            self.source, self.pipeline, lambda r: self._on_result(r, gen), lambda s: self._finished.emit(s, gen),
            max_frames=max_frames, pace_speed=pace, drop_stale=live or self.stay_live)
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
        """Worker thread: log, record, composite and post the frame."""
        if gen != self._generation:
            return
        self.last_index, self.last_result = result.index, result
        self.log.add(result)
        if self.recorder is not None:
            self.recorder.add(result.packet)
        self.trails.update(result)
        self.cloud.observe(result)
        single = self._worker is not None and self._worker.max_frames is not None
        self._deliver(result, cloud=self.want_cloud and (single or time.perf_counter() - self._last_cloud >= self.cloud_interval_s),
                      own_frame=not self._preview)
        self._narration.extend(result.narration)
        for err in result.errors:
            self.stage_failed.emit(err)

    def _on_packet(self, packet: FramePacket) -> None:
        """Reader thread, live preview: show the new camera frame at once with the latest overlays."""
        self._latest = packet
        result = self.last_result
        if result is None or self._layer is None:
            return
        image = self._layer.apply(packet.image)
        self._post(result, packet.index, image, None, 0.0)

    def _deliver(self, result: FrameResult, cloud: bool, own_frame: bool) -> None:
        """Build the result's overlay layer and post it on its own frame (or, in preview, on the newest one)."""
        t0 = time.perf_counter()
        layer = build_layer(result, self.layers, self.trails if self.layers.trails else None)
        self._layer = layer
        latest = self._latest
        packet = result.packet if own_frame or latest is None or latest.index < result.index else latest
        image = layer.apply(packet.image)
        overlay_ms = (time.perf_counter() - t0) * 1e3
        snap = None
        if cloud:
            self._last_cloud = time.perf_counter()
            snap = self.cloud.snapshot(result, self.pipeline)
        self._post(result, packet.index, image, snap, overlay_ms)

    def _post(self, result: FrameResult, index: int, image: np.ndarray, snap: CloudSnapshot | None,
              overlay_ms: float) -> None:
        worker = self._worker
        now = time.perf_counter()
        arrived = self.source.arrivals.get(index, now) if self.source is not None else now
        view = FrameView(result, index, image, snap, worker.queue_depth if worker else 0,
                         worker.stats.dropped if worker else 0, arrived, now, overlay_ms)
        with self._mail_lock:
            was_empty = self._mailbox is None
            if view.cloud is None and self._mailbox is not None:
                view.cloud = self._mailbox.cloud  # a skipped frame's cloud is not lost
            self._mailbox = view
        if was_empty:
            self.frame_ready.emit()

    def _on_finished(self, stats: RunStats, gen: int) -> None:
        """GUI thread (queued from the worker): a run stopped by itself (end, one step done, or a source error)."""
        if gen != self._generation:
            return
        info = self.info
        at_end = info is not None and info.length is not None and self.last_index + 1 >= info.length
        stopped_live = info is not None and info.live and self.state == "playing"  # a camera ends only when lost
        failed = stats.source_error is not None or stats.worker_error is not None
        if failed or at_end or stopped_live:
            self._set_state("ended")
        elif self.state == "playing":
            self._set_state("paused")
        if failed or self.state == "ended":
            self.ended.emit(stats)
