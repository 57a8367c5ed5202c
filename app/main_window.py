"""The studio's main window: video with overlays, dockable 3D / stats / tracks / chat / pipeline panels, menus.

The GUI thread only draws: frames are processed, composited and summarised on the worker thread
(app.controller), and the window picks up the newest finished frame when the worker signals.
"""

from __future__ import annotations

import gc
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path

from pyqtgraph.util.garbage_collector import GarbageCollector
from PySide6.QtCore import QObject, QSettings, Qt, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence
from PySide6.QtWidgets import (QApplication, QDockWidget, QFileDialog, QLabel, QMainWindow, QMessageBox,
                               QProgressDialog, QVBoxLayout, QWidget)

from app.answers import MEMORY_OFF, AnswerSettings, make_backend, memory_of
from app.chat_panel import ChatPanel
from app.cloud_view import CloudView
from app.controller import FrameView, PipelineFactory, SourceOpener, StreamController
from app.downloads import SAM_CHECKPOINTS, download, weights_dir
from app.pipeline_panel import PipelinePanel
from app.recording import recording_kind
from app.stats_panel import StatsPanel
from app.tracks_panel import TracksPanel
from app.transport import TransportBar
from app.video_view import VideoView
from perception.pipeline.factory import PipelineOptions, build_pipeline
from perception.sources import open_source
from perception.types import InputError, SourceInfo, StageError

SAMPLE = "sample"
_gc_on_gui_thread: GarbageCollector | None = None
MAX_RECENT = 8


class MainWindow(QMainWindow):
    """Perception studio. ``settings`` defaults to the user's QSettings; tests pass their own."""

    export_finished = Signal(str, str)  # path, error ("" on success)
    download_finished = Signal(str, str)  # path, error ("" on success)
    message_shown = Signal(str, str)    # title, text

    def __init__(self, settings: QSettings | None = None, pipeline_factory: PipelineFactory = build_pipeline,
                 source_opener: SourceOpener = open_source, use_opengl: bool | None = None):
        super().__init__()
        _collect_garbage_on_gui_thread()
        self.setWindowTitle("Perception Studio")
        self.settings = settings or QSettings("perception-studio", "studio")
        self.controller = StreamController(pipeline_factory, source_opener, self)
        self.messages: list[tuple[str, str]] = []
        self.latency_ms: deque[float] = deque(maxlen=2000)
        self.gui_ms: deque[float] = deque(maxlen=2000)
        self.frames_shown = 0
        self._pending: FrameView | None = None
        self.last_view: FrameView | None = None
        self._painted_index = -1
        self._handler_ms = 0.0
        self._reported_stages: set[str] = set()
        self._jobs: list[threading.Thread] = []

        self.video = VideoView()
        self.transport = TransportBar()
        central = QWidget()
        lay = QVBoxLayout(central)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.video, 1)
        lay.addWidget(self.transport)
        self.setCentralWidget(central)

        self.pipeline_panel = PipelinePanel()
        self.cloud_view = CloudView(use_opengl=use_opengl)
        self.stats_panel = StatsPanel()
        self.tracks_panel = TracksPanel(self.controller.log)
        self.chat = ChatPanel(self._chat_context, lambda: self.controller.info.fps if self.controller.info else 30.0)
        self.docks: dict[str, QDockWidget] = {}
        for name, widget, area in (("Pipeline", self.pipeline_panel, Qt.DockWidgetArea.LeftDockWidgetArea),
                                   ("3D view", self.cloud_view, Qt.DockWidgetArea.RightDockWidgetArea),
                                   ("Chat", self.chat, Qt.DockWidgetArea.RightDockWidgetArea),
                                   ("Tracks", self.tracks_panel, Qt.DockWidgetArea.BottomDockWidgetArea),
                                   ("Stats", self.stats_panel, Qt.DockWidgetArea.BottomDockWidgetArea)):
            dock = QDockWidget(name, self)
            dock.setObjectName(f"dock-{name}")
            dock.setWidget(widget)
            self.addDockWidget(area, dock)
            self.docks[name] = dock
        self.tabifyDockWidget(self.docks["Tracks"], self.docks["Stats"])
        self.docks["Tracks"].raise_()
        self.resizeDocks([self.docks["3D view"], self.docks["Chat"]], [520, 300], Qt.Orientation.Vertical)
        self.resizeDocks([self.docks["3D view"]], [480], Qt.Orientation.Horizontal)
        self.resizeDocks([self.docks["Tracks"]], [220], Qt.Orientation.Vertical)
        if self.cloud_view.software_gl:
            self.controller.cloud_interval_s = 1.0  # software OpenGL: every 3D redraw costs the GUI thread
        self.state_label = QLabel("no source")
        self.state_label.setMinimumWidth(260)  # per-frame text changes must not relayout the window
        self.statusBar().addPermanentWidget(self.state_label)

        self._build_menus()
        self._connect()
        self._restore_settings()

    # ----- construction ---------------------------------------------------------------------------------
    def _build_menus(self) -> None:
        m = self.menuBar().addMenu("&File")
        self.webcam_menu = m.addMenu("&Webcam")
        self.webcam_menu.aboutToShow.connect(self._fill_webcams)
        m.addAction("Open &video file…", self._ask_video, QKeySequence.StandardKey.Open)
        m.addAction("Open &RGB-D folder…", self._ask_folder)
        m.addAction("Bundled &sample", lambda: self.open_spec(SAMPLE))
        self.recent_menu = m.addMenu("&Recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        m.addSeparator()
        self.record_action = m.addAction("&Record session…", self._toggle_recording)
        m.addSeparator()
        m.addAction("&Quit", self.close, QKeySequence.StandardKey.Quit)
        e = self.menuBar().addMenu("&Export")
        e.addAction("Tracks as &MOTChallenge…", lambda: self._ask_export_tracks("mot", "MOTChallenge (*.txt)"))
        e.addAction("Tracks as &JSON…", lambda: self._ask_export_tracks("json", "JSON (*.json)"))
        e.addAction("Tracks as &CSV…", lambda: self._ask_export_tracks("csv", "CSV (*.csv)"))
        e.addAction("3D &map (PLY)…", self._ask_export_ply)
        v = self.menuBar().addMenu("&View")
        for dock in self.docks.values():
            v.addAction(dock.toggleViewAction())
        v.addAction("&Fit video", self.video.fit)

    def _connect(self) -> None:
        c = self.controller
        c.frame_ready.connect(self._on_frame_ready)
        c.opened.connect(self._on_opened)
        c.state_changed.connect(self._on_state)
        c.stage_failed.connect(self._on_stage_failed)
        c.ended.connect(self._on_ended)
        t = self.transport
        t.play_toggled.connect(c.toggle)
        t.step_requested.connect(self.step)
        t.seek_requested.connect(self.seek)
        t.speed_changed.connect(c.set_speed)
        t.live_changed.connect(c.set_stay_live)
        t.layers_changed.connect(c.set_layers)
        self.video.painted.connect(self._on_painted)
        self.video.clicked.connect(self._video_clicked)
        self.pipeline_panel.options_changed.connect(self.apply_options)
        self.pipeline_panel.answer_changed.connect(self._save_answer_settings)
        self.pipeline_panel.sam_checkpoint_requested.connect(self._ask_sam_checkpoint)
        self.pipeline_panel.sam_download_requested.connect(lambda: self.download_weights(SAM_CHECKPOINTS["vit_b"]))
        self.cloud_view.instance_clicked.connect(lambda i: self.highlight(i, "3D"))
        self.cloud_view.budget_changed.connect(self._set_budget)
        self.tracks_panel.seek_requested.connect(self._seek_to_track)
        self.chat.seek_requested.connect(self._seek_to_citation)

    # ----- settings -------------------------------------------------------------------------------------
    def _restore_settings(self) -> None:
        s = self.settings
        if s.value("geometry") is not None:
            self.restoreGeometry(s.value("geometry"))
        else:
            self.resize(1400, 900)
        if s.value("state") is not None:
            self.restoreState(s.value("state"))
        opts = PipelineOptions()
        opts.segmenter = str(s.value("pipeline/segmenter", opts.segmenter))
        opts.tracker = str(s.value("pipeline/tracker", opts.tracker))
        opts.map3d = {"auto": None, "on": True, "off": False}.get(str(s.value("pipeline/map3d", "auto")))
        opts.memory = s.value("pipeline/memory", opts.memory, type=bool)
        self.pipeline_panel.set_options(opts)
        self.controller.options = self.pipeline_panel.options()
        self.pipeline_panel.set_answer_settings(AnswerSettings(
            str(s.value("answer/backend", "builtin")), str(s.value("answer/endpoint", "")), str(s.value("answer/model", "")),
            str(s.value("answer/api_key_env", ""))))
        self.cloud_view.budget.setValue(int(s.value("cloud/budget", 60_000)))

    def _save_settings(self) -> None:
        s = self.settings
        s.setValue("geometry", self.saveGeometry())
        s.setValue("state", self.saveState())
        o = self.controller.options
        s.setValue("pipeline/segmenter", o.segmenter)
        s.setValue("pipeline/tracker", o.tracker)
        s.setValue("pipeline/map3d", {None: "auto", True: "on", False: "off"}[o.map3d])
        s.setValue("pipeline/memory", bool(o.memory))
        s.setValue("cloud/budget", self.cloud_view.budget.value())
        self._save_answer_settings(self.pipeline_panel.answer_settings())
        s.sync()

    def _save_answer_settings(self, a: AnswerSettings) -> None:
        self.settings.setValue("answer/backend", a.backend)
        self.settings.setValue("answer/endpoint", a.endpoint)
        self.settings.setValue("answer/model", a.model)
        self.settings.setValue("answer/api_key_env", a.api_key_env)

    def recent_sources(self) -> list[str]:
        """Recently opened source specs, newest first."""
        value = self.settings.value("recent", [])
        return [value] if isinstance(value, str) else list(value or [])

    def _remember(self, spec: str) -> None:
        recent = [spec] + [r for r in self.recent_sources() if r != spec]
        self.settings.setValue("recent", recent[:MAX_RECENT])

    # ----- messages -------------------------------------------------------------------------------------
    def notify(self, title: str, text: str) -> None:
        """One clear, non-blocking message: status bar plus a dialog the user can dismiss."""
        self.messages.append((title, text))
        self.statusBar().showMessage(f"{title}: {text.splitlines()[0]}", 15000)
        box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, self)
        box.setModal(False)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.show()
        self.message_shown.emit(title, text)

    # ----- sources --------------------------------------------------------------------------------------
    def open_spec(self, spec: str, play: bool = False) -> bool:
        """Open a source by spec (as the CLI's --source); on failure show why and keep the current one."""
        try:
            self.controller.open(spec)
        except InputError as exc:
            self.notify("Cannot open source", f"{exc}\n\nChoose another source from the File menu.")
            return False
        except Exception as exc:  # a broken file or driver must not take the window down
            self.notify("Cannot open source", f"{spec}: {type(exc).__name__}: {exc}\n\nChoose another source from the File menu.")
            return False
        self._remember(spec)
        if self.controller.pipeline_error:
            self.notify("Pipeline unavailable", f"{self.controller.pipeline_error}\n\nThe source plays without processing; "
                        "change the choices in the Pipeline panel and press Apply.")
        if play:
            self.controller.play()
        else:
            self.controller.step(1)
        return True

    def _on_opened(self, info: SourceInfo) -> None:
        self._painted_index = -1
        self.setWindowTitle(f"Perception Studio — {info.name}")
        self.transport.set_length(info.length, self.controller.seekable)
        self.stats_panel.reset()
        self.tracks_panel.refresh(force=True)
        self._reported_stages.clear()
        o = self.controller.options
        if o.map3d and not info.has_depth:
            self.statusBar().showMessage("This source has no depth: the 3D map stays empty (open an RGB-D folder or the sample).", 15000)

    def _fill_webcams(self) -> None:
        from perception.sources import list_cameras

        self.webcam_menu.clear()
        cams = list_cameras()
        if not cams:
            a = self.webcam_menu.addAction("No camera found — connect one, or open a file")
            a.setEnabled(False)
        for cam in cams:
            self.webcam_menu.addAction(f"{cam.index}: {cam.name}", lambda i=cam.index: self.open_spec(f"webcam:{i}", play=True))

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        for spec in self.recent_sources():
            self.recent_menu.addAction(spec, lambda s=spec: self.open_spec(s))
        if not self.recent_sources():
            self.recent_menu.addAction("(none)").setEnabled(False)

    def _ask_video(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open video", "", "Videos (*.mp4 *.avi *.mov *.mkv *.webm);;All files (*)")
        if path:
            self.open_spec(path)

    def _ask_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Open RGB-D or image folder")
        if path:
            self.open_spec(path)

    # ----- pipeline -------------------------------------------------------------------------------------
    def apply_options(self, options: PipelineOptions) -> bool:
        """Rebuild the pipeline; a stage that cannot be built (e.g. SAM weights absent) is explained, not fatal."""
        try:
            self.controller.set_options(options)
        except Exception as exc:
            self.notify("Cannot build the pipeline", f"{exc}\n\nThe previous pipeline keeps running; change the choice and Apply again.")
            return False
        self._reported_stages.clear()
        self.statusBar().showMessage(f"pipeline: {', '.join(self.controller.stage_names()) or 'no stages'}", 8000)
        return True

    def _ask_sam_checkpoint(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "SAM checkpoint", "", "PyTorch checkpoints (*.pth *.pt);;All files (*)")
        if path:
            self.pipeline_panel.sam_checkpoint = path
            self.statusBar().showMessage(f"SAM checkpoint: {path} (press Apply)", 8000)

    def download_weights(self, url: str, dest: str | None = None) -> None:
        """Download a checkpoint behind a cancellable progress dialog; on success it becomes the SAM checkpoint."""
        target = Path(dest) if dest else weights_dir() / url.rsplit("/", 1)[-1]
        dialog = QProgressDialog(f"Downloading {target.name}…", "Cancel", 0, 100, self)
        dialog.setWindowTitle("Download weights")
        dialog.setMinimumDuration(0)
        relay = _ProgressSignal(self)
        relay.progress.connect(lambda done, total: dialog.setValue(int(100 * done / total)) if total else
                               dialog.setLabelText(f"Downloading {target.name}… {done / 1e6:.1f} MB"))

        def finish(path: str, error: str) -> None:
            dialog.reset()
            dialog.deleteLater()
            relay.deleteLater()
            if error:
                self.notify("Download failed", error)
            else:
                self.pipeline_panel.sam_checkpoint = path
                self.statusBar().showMessage(f"downloaded {path}; choose the SAM segmenter and press Apply", 10000)
            self.download_finished.emit(path, error)

        relay.finished.connect(finish)
        cancelled = threading.Event()
        dialog.canceled.connect(cancelled.set)

        def work() -> None:
            try:
                path = download(url, target, lambda d, t: relay.progress.emit(d, t) or not cancelled.is_set())
                relay.finished.emit(str(path), "")
            except InputError as exc:
                relay.finished.emit("", str(exc))

        threading.Thread(target=work, name="download", daemon=True).start()

    def _set_budget(self, budget: int) -> None:
        self.controller.cloud.budget = int(budget)

    # ----- transport ------------------------------------------------------------------------------------
    def step(self, delta: int) -> None:
        """Step one frame forward or back (back needs a seekable source)."""
        try:
            self.controller.step(delta)
        except InputError as exc:
            self.statusBar().showMessage(str(exc), 5000)

    def seek(self, index: int) -> None:
        """Seek the open source to frame ``index``."""
        try:
            self.controller.seek(index)
        except InputError as exc:
            self.statusBar().showMessage(str(exc), 5000)

    def highlight(self, track_id: int | None, kind: str = "2D") -> None:
        """Emphasise one track / instance in the video, the 3D view and the tracks table."""
        self.transport.highlight = track_id
        self.controller.set_layers(self.transport.layers())
        self.cloud_view.set_highlight(track_id)
        if track_id is not None:
            self.tracks_panel.select(kind, track_id)

    def _video_clicked(self, x: float, y: float) -> None:
        """Highlight the smallest track box under the click (or clear the highlight)."""
        view = self.last_view
        if view is None:
            return
        t = view.result.tracks
        inside = (t.xyxy[:, 0] <= x) & (x <= t.xyxy[:, 2]) & (t.xyxy[:, 1] <= y) & (y <= t.xyxy[:, 3])
        if not inside.any():
            self.highlight(None)
            return
        area = (t.xyxy[:, 2] - t.xyxy[:, 0]) * (t.xyxy[:, 3] - t.xyxy[:, 1])
        self.highlight(int(t.ids[inside][area[inside].argmin()]))

    def _seek_to_track(self, frame: int, kind: str, track_id: int) -> None:
        self.highlight(track_id, kind)
        self.seek(frame)

    def _seek_to_citation(self, frame: int, track_id: int) -> None:
        self.highlight(track_id if track_id >= 0 else None)
        self.seek(frame)

    # ----- frames ---------------------------------------------------------------------------------------
    def _on_frame_ready(self) -> None:
        view = self.controller.take_frame()
        if view is None:
            return
        t0 = time.perf_counter()
        r = view.result
        self.video.set_frame(view.image)
        self.transport.show_frame(view.index)
        self.stats_panel.add(r.index, view.ready_at, r.timings_ms, view.queue_depth, view.dropped)
        if view.cloud is not None:
            self.cloud_view.set_snapshot(view.cloud)
        for said in self.controller.take_narration():
            self.chat.narrate(getattr(said, "text", str(said)))
        self.state_label.setText(f"{self.controller.state} | frame {view.index + 1} | {len(r.tracks)} tracks")
        self._pending = self.last_view = view
        self._handler_ms = (time.perf_counter() - t0) * 1e3

    def _on_painted(self, t: float) -> None:
        view, self._pending = self._pending, None
        if view is None:
            return
        if view.index != self._painted_index:  # distinct frames; a redraw with newer overlays is not a new frame
            self.frames_shown += 1
            self._painted_index = view.index
        self.latency_ms.append((t - view.arrived_at) * 1e3)
        self.gui_ms.append(self._handler_ms + self.video.paint_ms)

    def _on_state(self, state: str) -> None:
        self.transport.show_state(state)
        self.state_label.setText(state)
        if state != "playing":
            self.stats_panel.redraw()

    def _on_stage_failed(self, err: StageError) -> None:
        self.statusBar().showMessage(str(err), 10000)
        if err.stage not in self._reported_stages:
            self._reported_stages.add(err.stage)
            self.notify("A pipeline stage failed",
                        f"{err}\n\nThe stream continues without it on failing frames; turn the stage off in the "
                        "Pipeline panel if it keeps failing.")

    def _on_ended(self, stats) -> None:
        info = self.controller.info
        if stats.worker_error:
            self.notify("Processing stopped", f"{stats.worker_error}\n\nThis is a bug; the window still works: "
                        "press Play to continue or open another source.")
        elif stats.source_error:
            self.notify("The source stopped", f"{stats.source_error}\n\nReconnect it or open another source from the File menu.")
        elif info is not None and info.live:
            self.notify("The camera stopped", f"'{info.name}' stopped delivering frames (unplugged?).\n\n"
                        "Reconnect it and choose File > Webcam, or open a file.")
        else:
            self.statusBar().showMessage("End of the recording: press Play to start again.", 8000)

    # ----- chat -----------------------------------------------------------------------------------------
    def _chat_context(self, question: str):
        mem = memory_of(self.controller.stage("memory"))
        if mem is None:
            raise InputError(MEMORY_OFF)
        return make_backend(self.pipeline_panel.answer_settings()), mem.snapshot()

    # ----- exports and recording ------------------------------------------------------------------------
    def run_job(self, title: str, work: Callable[[], object], on_done: Callable[[object], None] | None = None) -> None:
        """Run ``work`` off the GUI thread behind a progress dialog; errors become one message."""
        dialog = QProgressDialog(title, None, 0, 0, self)
        dialog.setWindowTitle(title)
        dialog.setMinimumDuration(300)
        dialog.setAutoClose(True)
        done = _JobSignal(self)

        def finish(result: object, error: str) -> None:
            dialog.reset()
            dialog.deleteLater()
            if error:
                self.notify(f"{title} failed", error)
                self.export_finished.emit("", error)
            else:
                if on_done is not None:
                    on_done(result)
                self.statusBar().showMessage(f"{title}: wrote {result}", 8000)
                self.export_finished.emit(str(result), "")
            done.deleteLater()

        done.finished.connect(finish)

        def run() -> None:
            try:
                done.finished.emit(work(), "")
            except InputError as exc:
                done.finished.emit(None, str(exc))
            except Exception as exc:
                done.finished.emit(None, f"{type(exc).__name__}: {exc}")

        job = threading.Thread(target=run, name="export", daemon=True)
        self._jobs = [j for j in self._jobs if j.is_alive()] + [job]
        job.start()

    def export_tracks(self, path: str, fmt: str | None = None) -> None:
        """Write every recorded track (MOTChallenge .txt / .json / .csv) atomically in the background."""
        log = self.controller.log
        self.run_job("Export tracks", lambda: log.write_tracks(path, fmt))

    def export_ply(self, path: str) -> None:
        """Write the 3D instance map as a PLY (xyz, rgb, instance) atomically; needs the 3D map stage."""
        stage = self.controller.stage("map3d")
        if stage is None or not hasattr(stage, "export_ply"):
            self.notify("No 3D map", "The 3D map is off: tick '3D map' in the Pipeline panel, press Apply, and play an RGB-D source.")
            self.export_finished.emit("", "no 3D map")
            return
        resume = self.controller.state == "playing"
        self.controller.pause()  # the map is not read while the worker writes it

        def work() -> str:
            stage.export_ply(path)
            return path

        self.run_job("Export 3D map", work, lambda _r: self.controller.play() if resume else None)

    def _ask_export_tracks(self, fmt: str, filt: str) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export tracks", "", filt)
        if path:
            self.export_tracks(path, fmt)

    def _ask_export_ply(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export 3D map", "map.ply", "PLY (*.ply)")
        if path:
            self.export_ply(path)

    def start_recording(self, path: str) -> bool:
        """Record the session to ``path`` (an RGB-D folder for depth sources, else an .avi/.mp4)."""
        try:
            self.controller.start_recording(path)
        except InputError as exc:
            self.notify("Cannot record", str(exc))
            return False
        self.record_action.setText("Stop &recording")
        self.statusBar().showMessage(f"recording to {path}", 8000)
        return True

    def stop_recording(self) -> str | None:
        """Finish the recording; returns its path (None if nothing was recorded)."""
        self.record_action.setText("&Record session…")
        try:
            path = self.controller.stop_recording()
        except InputError as exc:
            self.notify("Recording not saved", str(exc))
            return None
        if path:
            self.statusBar().showMessage(f"recording saved to {path}; open it from the File menu to replay", 10000)
        return path

    def _toggle_recording(self) -> None:
        if self.controller.recorder is not None:
            self.stop_recording()
            return
        info = self.controller.info
        if info is None:
            self.notify("Cannot record", "Open a source first.")
            return
        if recording_kind(info) == "rgbd":
            path, _ = QFileDialog.getSaveFileName(self, "Record session as RGB-D folder", "session")
        else:
            path, _ = QFileDialog.getSaveFileName(self, "Record session as video", "session.avi", "Video (*.avi *.mp4)")
        if path:
            self.start_recording(path)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        """Space: play/pause; Right / Left: step (keys a focused text field does not take)."""
        actions = {Qt.Key.Key_Space: self.controller.toggle, Qt.Key.Key_Right: lambda: self.step(1),
                   Qt.Key.Key_Left: lambda: self.step(-1)}
        action = actions.get(Qt.Key(event.key()))
        if action is None:
            super().keyPressEvent(event)
            return
        action()
        event.accept()

    # ----- shutdown -------------------------------------------------------------------------------------
    def closeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        """Save the layout and settings, stop the worker, finish a recording."""
        self._save_settings()
        if self.controller.recorder is not None:
            self.stop_recording()
        self.controller.close()
        self.cloud_view.close_window()
        for job in self._jobs:
            job.join(10.0)
        super().closeEvent(event)
        gc.collect()  # the stopped session's cycles go now, on this thread


def _collect_garbage_on_gui_thread() -> None:
    """Python's cycle collector may run in whichever thread allocates; if it frees Qt objects from a pipeline
    thread, Qt aborts. Collect on a GUI-thread timer instead (once per process)."""
    global _gc_on_gui_thread
    if _gc_on_gui_thread is None:
        _gc_on_gui_thread = GarbageCollector(interval=1.0)
        _gc_on_gui_thread.timer.setObjectName("gc-timer")


class _JobSignal(QObject):
    """Carries a background job's result to the GUI thread."""

    finished = Signal(object, str)


class _ProgressSignal(QObject):
    """Carries a download's progress (bytes done, total or 0) and result (path, error) to the GUI thread."""

    progress = Signal(object, object)
    finished = Signal(str, str)


def launch(argv: list[str] | None = None) -> int:
    """Open the studio on ``argv[0]`` (a source spec) or the bundled sample and run until the window closes."""
    argv = list(argv or [])
    QApplication.setAttribute(Qt.ApplicationAttribute.AA_ShareOpenGLContexts)
    sys.setswitchinterval(0.001)  # the GUI thread gets the GIL back quickly from the pipeline threads
    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "perception-studio"])
    app.setApplicationName("Perception Studio")
    window = MainWindow()
    window.show()
    window.open_spec(argv[0] if argv else SAMPLE, play=True)
    code = app.exec()
    window.deleteLater()  # Qt objects go before the interpreter tears down the modules they use
    app.processEvents()
    return code
