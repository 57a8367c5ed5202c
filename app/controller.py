"""The perception session seen from Qt: forwards perception's PlaybackSession as signals and draws on its worker.

Playback, the worker lifecycle and the latest-frame mailbox live in the Qt-free
perception.pipeline.session_model.PlaybackSession. This controller adds what the window needs per frame,
computed on the worker thread: the composited overlay image, the session log, trails and 3D snapshots.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QObject, Signal

from app.cloud import CloudBuilder, CloudSnapshot
from app.overlay import OverlayLayer, OverlayLayers, TrailBook, build_layer
from app.recording import SessionRecorder
from app.session_log import SessionLog
from perception.pipeline.factory import PipelineOptions, build_pipeline
from perception.pipeline.session_model import PipelineFactory, PlaybackSession, PlayState, SourceOpener
from perception.sources import open_source
from perception.types import FramePacket, FrameResult, InputError, SourceInfo

__all__ = ["FrameView", "PipelineFactory", "SourceOpener", "StreamController"]


@dataclass
class FrameView:
    """A frame ready to draw: the latest result, the composited image of frame ``index``, worker-side numbers."""

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
    """Qt face of a PlaybackSession; all public methods are called from the GUI thread."""

    opened = Signal(object)        # SourceInfo
    frame_ready = Signal()         # the mailbox holds a new frame: call take_frame()
    stage_failed = Signal(object)  # StageError
    ended = Signal(object)         # RunStats of the run that just stopped by itself (end of file, source error)
    state_changed = Signal(str)    # a PlayState value
    _posted = Signal(object)       # worker thread -> GUI thread: a callable to run here

    def __init__(self, pipeline_factory: PipelineFactory = build_pipeline, source_opener: SourceOpener = open_source,
                 parent: QObject | None = None):
        super().__init__(parent)
        self.layers = OverlayLayers()
        self.cloud_interval_s = 0.5  # 3D snapshots at most this often while playing
        self.want_cloud = True
        self.log = SessionLog()
        self.trails = TrailBook()
        self.cloud = CloudBuilder()
        self.recorder: SessionRecorder | None = None
        self._last_cloud = 0.0
        self._cloud_box: CloudSnapshot | None = None
        self._cloud_lock = threading.Lock()
        self._layer: tuple[FrameResult, OverlayLayers, OverlayLayer] | None = None
        self._posted.connect(lambda fn: fn())
        s = self.session = PlaybackSession(pipeline_factory, source_opener, self._present, self._observe,
                                           self._posted.emit)
        s.on_state = lambda state: self.state_changed.emit(state.value)
        s.on_frame_ready = self.frame_ready.emit
        s.on_stage_failed = self.stage_failed.emit
        s.on_ended = self.ended.emit

    # ----- forwarded to the session ---------------------------------------------------------------------
    @property
    def state(self) -> PlayState:
        """The playback state."""
        return self.session.state

    @property
    def options(self) -> PipelineOptions:
        """The pipeline options in force."""
        return self.session.options

    @options.setter
    def options(self, options: PipelineOptions) -> None:
        self.session.options = options

    @property
    def pipeline_factory(self) -> PipelineFactory:
        """What builds pipelines."""
        return self.session.pipeline_factory

    @pipeline_factory.setter
    def pipeline_factory(self, factory: PipelineFactory) -> None:
        self.session.pipeline_factory = factory

    @property
    def info(self) -> SourceInfo | None:
        """The open source's description."""
        return self.session.info

    @property
    def seekable(self) -> bool:
        """Whether the open source can seek."""
        return self.session.seekable

    @property
    def last_index(self) -> int:
        """The last processed frame."""
        return self.session.last_index

    @property
    def pipeline_error(self) -> str | None:
        """Why the pipeline could not be built for the open source, if it could not."""
        return self.session.pipeline_error

    @property
    def spec(self) -> str | None:
        """The open source's spec."""
        return self.session.spec

    def detector_name(self) -> str | None:
        """The detector the pipeline runs ("auto" resolved), or None when it runs none."""
        pipeline = self.session.pipeline
        stage = None if pipeline is None else pipeline.stage("detect")
        detector = getattr(stage, "detector", None)
        return None if detector is None else str(detector.name)

    def stage_names(self) -> list[str]:
        """Names of the pipeline's stages, in order."""
        return self.session.stage_names()

    def open(self, spec: str) -> SourceInfo:
        """Close what is open and open ``spec`` paused, with a fresh log, trails and 3D; InputError if it cannot."""
        self.stop_recording()
        info = self.session.open(spec)
        self.log.reset()
        self.trails.reset()
        self.cloud.reset()
        self._layer = None
        with self._cloud_lock:
            self._cloud_box = None
        self.opened.emit(info)
        return info

    def set_options(self, options: PipelineOptions) -> None:
        """Rebuild the pipeline (keeps source and position); raises and keeps the old one if it cannot be built."""
        self.session.set_options(options)

    def play(self) -> None:
        """Process continuously from the current position."""
        self.session.play()

    def pause(self) -> None:
        """Stop after the frame in hand."""
        self.session.pause()

    def toggle(self) -> None:
        """Play if paused, pause if playing."""
        self.session.toggle()

    def step(self, delta: int = 1) -> None:
        """Show the frame ``delta`` frames away, paused."""
        self.session.step(delta)

    def seek(self, index: int) -> None:
        """Show frame ``index`` exactly."""
        self.session.seek(index)

    def set_speed(self, speed: float | None) -> None:
        """Playback speed for files (None: as fast as the pipeline goes)."""
        self.session.set_speed(speed)

    def set_stay_live(self, stay_live: bool) -> None:
        """True: drop stale frames so the display keeps up."""
        self.session.set_stay_live(stay_live)

    def set_layers(self, layers: OverlayLayers) -> None:
        """Change the overlay layers; a paused frame is redrawn at once."""
        self.layers = layers
        self.session.refresh(settled=False)

    def close(self) -> None:
        """Stop the worker, finish a recording, release the pipeline and the source."""
        self.stop_recording()
        self.session.close()

    def quality(self) -> tuple[int, str] | None:
        """The adaptive quality level in force and what it degrades (None: adaptive quality is off, i.e. every
        frame is processed in full; it is on for live sources and with 'Stay live')."""
        worker = self.session.worker
        governor = None if worker is None else worker.governor
        return None if governor is None else (governor.level, governor.current.description)

    def take_narration(self) -> list:
        """Narration since the last call, oldest first."""
        return self.session.take_narration()

    # ----- recording ------------------------------------------------------------------------------------
    def start_recording(self, path: str) -> None:
        """Record every frame shown from now on (RGB-D folder if the source has depth, else a video)."""
        if self.session.source is None:
            raise InputError("open a source before recording")
        self.recorder = SessionRecorder(path, self.session.source.info)

    def stop_recording(self) -> str | None:
        """Finish the recording and return its path (None if nothing was recorded)."""
        rec, self.recorder = self.recorder, None
        if rec is None:
            return None
        return str(rec.finish())

    # ----- the GUI side of the mailbox ------------------------------------------------------------------
    def take_frame(self) -> FrameView | None:
        """The newest finished frame with the newest 3D snapshot not yet taken, or None."""
        d = self.session.take()
        if d is None:
            return None
        image, overlay_ms = d.view
        with self._cloud_lock:
            cloud, self._cloud_box = self._cloud_box, None
        return FrameView(d.result, d.index, image, cloud, d.queue_depth, d.dropped, d.arrived_at, d.ready_at,
                         overlay_ms)

    # ----- worker thread --------------------------------------------------------------------------------
    def _observe(self, result: FrameResult) -> None:
        self.log.add(result)
        if self.recorder is not None:
            self.recorder.add(result.packet)
        self.trails.update(result)
        self.cloud.observe(result)

    def _present(self, result: FrameResult, packet: FramePacket, settled: bool) -> tuple[np.ndarray, float]:
        """The frame composited with the result's overlays (the layer is reused for newer preview frames)."""
        t0 = time.perf_counter()
        cached = self._layer
        if cached is not None and cached[0] is result and cached[1] == self.layers:
            layer = cached[2]
        else:
            layer = build_layer(result, self.layers, self.trails if self.layers.trails else None)
            self._layer = (result, self.layers, layer)
        image = layer.apply(packet.image)
        overlay_ms = (time.perf_counter() - t0) * 1e3
        if packet is result.packet and self.want_cloud and (
                settled or time.perf_counter() - self._last_cloud >= self.cloud_interval_s):
            self._last_cloud = time.perf_counter()
            snap = self.cloud.snapshot(result, self.session.map3d())
            with self._cloud_lock:
                self._cloud_box = snap
        return image, overlay_ms
