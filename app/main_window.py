"""The studio's main window: video, timeline and transport; docked 3D / chat / tracks / stats / pipeline panels.

The GUI thread only draws: frames are processed, composited and summarised on the worker thread
(app.controller over perception's PlaybackSession), and the window picks up the newest finished frame
when the worker signals. It reads FrameResult fields only; stages are reached through the session's typed
accessors (``map3d()``, ``memory()``).
"""

from __future__ import annotations

import gc
import sys
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path

from pyqtgraph.util.garbage_collector import GarbageCollector
from PySide6.QtCore import QPoint, QRect, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QPainter, QPixmap, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QFileDialog,
    QFrame,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QProgressDialog,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app import crash
from app.answers import MEMORY_OFF, make_backend
from app.chat_panel import ChatPanel
from app.class_legend import ClassLegend
from app.cloud_view import CloudView
from app.controller import FrameView, PipelineFactory, SourceOpener, StreamController
from app.downloads import SAM_CHECKPOINTS, download, weights_dir
from app.jobs import Job, JobRunner
from app.narration_digest import NarrationDigest
from app.pipeline_panel import PATH_KINDS, PipelinePanel
from app.preload import NativePreload, preload
from app.recording import recording_kind
from app.settings import StudioSettings, source_missing
from app.stats_panel import StatsPanel
from app.timeline import Lane, Marker, Timeline
from app.tracks_panel import TracksPanel
from app.transport import TransportBar
from app.video_view import VideoView
from perception.pipeline.factory import PipelineOptions, build_pipeline
from perception.pipeline.session_model import PlayState
from perception.sources import open_source
from perception.types import InputError, SourceInfo, StageError

SAMPLE = "sample"
_gc_on_gui_thread: GarbageCollector | None = None
SHORTCUTS = (("Space", "play / pause"), ("Right / Left", "next / previous frame"),
             ("Shift+Right / Shift+Left", "10 frames forward / back"), ("Home / End", "first / last frame"),
             ("] / [", "faster / slower"), ("F", "fit the video to the window"),
             ("Esc (in the question box)", "back to the video, so these keys work again"))
EMPTY_STATE = ("Nothing is open yet.\n\nFile > Open video file… (mp4, avi, mov, mkv)\n"
               "File > Open image / MOT folder…\nFile > Open RGB-D folder… (ESAM, TUM or 7-Scenes layout: 3D map)\n"
               "File > Webcam\nFile > Bundled sample (a synthetic RGB-D room)")


class MainWindow(QMainWindow):
    """Perception studio. ``settings`` defaults to the user's QSettings; tests pass their own."""

    export_finished = Signal(str, str)  # path, error ("" on success)
    download_finished = Signal(str, str)  # path, error ("" on success)
    message_shown = Signal(str, str)    # title, text
    sample_ready = Signal(str)          # path of the generated sample, or "" if it failed

    def __init__(self, settings: QSettings | None = None, pipeline_factory: PipelineFactory = build_pipeline,
                 source_opener: SourceOpener = open_source, use_opengl: bool | None = None,
                 native_preload: NativePreload | None = None):
        super().__init__()
        _collect_garbage_on_gui_thread()
        self.setWindowTitle("Perception Studio")
        self.settings = StudioSettings(settings)
        self.controller = StreamController(pipeline_factory, source_opener, self)
        self.jobs = JobRunner(self)
        self.messages: list[tuple[str, str]] = []
        self.latency_ms: deque[float] = deque(maxlen=2000)
        self.gui_ms: deque[float] = deque(maxlen=2000)
        self.frames_shown = 0
        self._pending: FrameView | None = None
        self.last_view: FrameView | None = None
        self._painted_index = -1
        self._handler_ms = 0.0
        self._reported_stages: set[str] = set()
        self.track_labels: dict[int, str] = {}
        self.digest = NarrationDigest()
        self._preload_timer: QTimer | None = None
        self._needs_layout = False
        self._lanes_version = -1
        self._lanes_hidden: frozenset[str] = frozenset()

        self.video = VideoView(EMPTY_STATE)
        self.timeline = Timeline()
        self.transport = TransportBar()
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.setTextVisible(True)
        self.progress.hide()
        central = QWidget()
        lay = QVBoxLayout(central)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        lay.addWidget(self.video, 1)
        lay.addWidget(self.progress)
        self.legend = ClassLegend()
        lay.addWidget(self.legend)
        lay.addWidget(self.timeline)
        lay.addWidget(self.transport)
        self.setCentralWidget(central)

        self.pipeline_panel = PipelinePanel()
        self.cloud_view = CloudView(use_opengl=use_opengl)
        self.stats_panel = StatsPanel()
        self.tracks_panel = TracksPanel(self.controller.log, self._fps)
        self.chat = ChatPanel(self._chat_context, self._fps)
        self.docks: dict[str, QDockWidget] = {}
        pipeline_scroll = QScrollArea()  # a long form scrolls rather than squeezing the 3D view above it
        pipeline_scroll.setWidget(self.pipeline_panel)
        pipeline_scroll.setWidgetResizable(True)
        pipeline_scroll.setFrameShape(QFrame.Shape.NoFrame)
        for name, widget, area in (("Pipeline", pipeline_scroll, Qt.DockWidgetArea.RightDockWidgetArea),
                                   ("3D view", self.cloud_view, Qt.DockWidgetArea.RightDockWidgetArea),
                                   ("Chat", self.chat, Qt.DockWidgetArea.RightDockWidgetArea),
                                   ("Tracks", self.tracks_panel, Qt.DockWidgetArea.BottomDockWidgetArea),
                                   ("Stats", self.stats_panel, Qt.DockWidgetArea.BottomDockWidgetArea)):
            dock = QDockWidget(name, self)
            dock.setObjectName(f"dock-{name}")
            dock.setWidget(widget)
            self.addDockWidget(area, dock)
            self.docks[name] = dock
        self.splitDockWidget(self.docks["3D view"], self.docks["Chat"], Qt.Orientation.Vertical)
        self.tabifyDockWidget(self.docks["Chat"], self.docks["Pipeline"])
        self.tabifyDockWidget(self.docks["Tracks"], self.docks["Stats"])
        self.docks["Chat"].raise_()
        self.docks["Tracks"].raise_()
        self.state_label = QLabel("no source")
        self.state_label.setMinimumWidth(300)  # per-frame text changes must not relayout the window
        self.statusBar().addPermanentWidget(self.state_label)
        self.setMinimumSize(900, 600)

        self._build_menus()
        self._build_shortcuts()
        self._connect()
        self._restore_settings()
        self._start_3d(native_preload if native_preload is not None else preload())

    # ----- construction ---------------------------------------------------------------------------------
    def _build_menus(self) -> None:
        m = self.menuBar().addMenu("&File")
        self.webcam_menu = m.addMenu("Open &webcam")
        self.webcam_menu.aboutToShow.connect(self._fill_webcams)
        m.addAction("Open &video file…", self._ask_video, QKeySequence.StandardKey.Open)
        m.addAction("Open &image / MOT folder…", lambda: self._ask_folder("Open image or MOT sequence folder"))
        m.addAction("Open &RGB-D folder…", lambda: self._ask_folder("Open RGB-D folder (ESAM, TUM or 7-Scenes)"))
        m.addAction("Bundled &sample", self.open_sample)
        self.recent_menu = m.addMenu("Open &recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        m.addSeparator()
        self.record_action = m.addAction("&Record session…", self._toggle_recording)
        m.addSeparator()
        m.addAction("&Quit", self.close, QKeySequence.StandardKey.Quit)
        e = self.menuBar().addMenu("&Export")
        e.addAction("Tracks as &MOTChallenge…", lambda: self._ask_export_tracks("mot", "txt", "MOTChallenge"))
        e.addAction("Tracks as &JSON…", lambda: self._ask_export_tracks("json", "json", "JSON"))
        e.addAction("Tracks as &CSV…", lambda: self._ask_export_tracks("csv", "csv", "CSV"))
        e.addAction("3D &map (PLY)…", self._ask_export_ply)
        v = self.menuBar().addMenu("&View")
        for dock in self.docks.values():
            v.addAction(dock.toggleViewAction())
        v.addSeparator()
        v.addMenu(self.transport.layers_menu).setText("&Overlays")
        v.addAction("&Fit video", self.video.fit)
        v.addAction("3D: fit to data", self.cloud_view.fit)
        v.addAction("3D: reset view", self.cloud_view.reset_view)
        v.addSeparator()
        v.addAction("Save &screenshot…", self._ask_screenshot)
        h = self.menuBar().addMenu("&Help")
        h.addAction("&Keyboard shortcuts", self.show_shortcuts)
        h.addAction("Last &crash report…", self.show_crash_report)
        h.addAction("&About Perception Studio", self.show_about)

    def _build_shortcuts(self) -> None:
        """Window-wide keys. A text field being typed in takes its own keys first (Qt's ShortcutOverride)."""
        keys: list[tuple[str, Callable[[], None]]] = [
            ("Space", lambda: self.controller.toggle()), ("Right", lambda: self.step(1)),
            ("Left", lambda: self.step(-1)), ("Shift+Right", lambda: self.step(10)),
            ("Shift+Left", lambda: self.step(-10)), ("Home", lambda: self.seek(0)),
            ("End", self._seek_end), ("]", lambda: self.transport.change_speed(1)),
            ("[", lambda: self.transport.change_speed(-1)), ("F", self.video.fit)]
        self.shortcuts = []
        for key, action in keys:
            sc = QShortcut(QKeySequence(key), self)
            sc.setContext(Qt.ShortcutContext.WindowShortcut)
            sc.activated.connect(action)
            self.shortcuts.append(sc)

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
        t.speed_changed.connect(c.set_speed)
        t.live_changed.connect(c.set_stay_live)
        t.layers_changed.connect(c.set_layers)
        self.timeline.seek_requested.connect(self.seek)
        self.legend.hidden_changed.connect(self.hide_classes)
        self.video.painted.connect(self._on_painted)
        self.video.clicked.connect(self._video_clicked)
        self.pipeline_panel.options_changed.connect(self.apply_options)
        self.pipeline_panel.answer_changed.connect(self.settings.save_answer_settings)
        self.pipeline_panel.sam_checkpoint_requested.connect(self._ask_sam_checkpoint)
        self.pipeline_panel.sam_download_requested.connect(lambda: self.download_weights(SAM_CHECKPOINTS["vit_b"]))
        self.pipeline_panel.detector_file_requested.connect(self._ask_detector_file)
        self.pipeline_panel.detector_download_requested.connect(
            lambda url, dest: self.download_weights(url, dest, purpose="detector"))
        self.cloud_view.instance_clicked.connect(lambda i: self.highlight(i, "3D"))
        self.cloud_view.budget_changed.connect(self._set_budget)
        self.tracks_panel.seek_requested.connect(self._seek_to_track)
        self.chat.seek_requested.connect(self._seek_to_citation)
        self.chat.answered.connect(self._on_answered)
        self._lanes_timer = QTimer(self)
        self._lanes_timer.setObjectName("timeline-lanes")
        self._lanes_timer.timeout.connect(self._refresh_lanes)
        self._lanes_timer.start(700)

    def _start_3d(self, native: NativePreload) -> None:
        """Create the 3D view's OpenGL context only once torch and triton are loaded (see app.preload)."""
        if native.done.is_set():
            self._activate_3d()
            return
        self._preload_timer = QTimer(self)
        self._preload_timer.setObjectName("preload-poll")
        self._preload_timer.timeout.connect(lambda: native.done.is_set() and self._activate_3d())
        self._preload_timer.start(50)

    def _activate_3d(self) -> None:
        if self._preload_timer is not None:
            self._preload_timer.stop()
        self.cloud_view.activate()
        if self.cloud_view.software_gl:
            self.controller.cloud_interval_s = 1.0  # software OpenGL: every 3D redraw costs the GUI thread

    # ----- settings -------------------------------------------------------------------------------------
    def _restore_settings(self) -> None:
        s = self.settings
        geometry, state = s.value("geometry"), s.value("state")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1500, 950)
        self._needs_layout = state is None or not self.restoreState(state)
        self.pipeline_panel.set_options(s.pipeline_options())
        self.controller.options = self.pipeline_panel.options()
        self.pipeline_panel.set_answer_settings(s.answer_settings())
        self.cloud_view.budget.setValue(int(s.value("cloud/budget", self.cloud_view.budget.value())))

    def _default_layout(self) -> None:
        """Video in the middle; 3D view over chat and pipeline on the right; tracks and stats below (sized once
        the window has its size, so the video gets the room)."""
        width, height = self.width(), self.height()
        self.resizeDocks([self.docks["Tracks"]], [max(170, int(height * 0.24))], Qt.Orientation.Vertical)
        self.resizeDocks([self.docks["3D view"]], [max(380, int(width * 0.36))], Qt.Orientation.Horizontal)
        column = height - max(170, int(height * 0.24))
        self.resizeDocks([self.docks["3D view"]], [int(column * 0.52)], Qt.Orientation.Vertical)

    def showEvent(self, event) -> None:  # noqa: N802 - Qt's name
        """Size the docks the first time the window shows (before that, Qt ignores the sizes)."""
        super().showEvent(event)
        if self._needs_layout:
            self._needs_layout = False
            QTimer.singleShot(0, self._default_layout)  # once the docks have their first geometry

    def _save_settings(self) -> None:
        s = self.settings
        s.set_value("geometry", self.saveGeometry())
        s.set_value("state", self.saveState())
        s.save_pipeline_options(self.controller.options)
        s.set_value("cloud/budget", self.cloud_view.budget.value())
        s.save_answer_settings(self.pipeline_panel.answer_settings())
        s.sync()

    def recent_sources(self) -> list[str]:
        """Recently opened source specs, newest first."""
        return self.settings.recent_sources()

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

    def show_shortcuts(self) -> None:
        """The keyboard shortcuts, in a dialog."""
        rows = "".join(f"<tr><td><b>{k}</b></td><td>&nbsp;&nbsp;{v}</td></tr>" for k, v in SHORTCUTS)
        QMessageBox.information(self, "Keyboard shortcuts", f"<table>{rows}</table>")

    def show_about(self) -> None:
        """What the studio is."""
        QMessageBox.about(self, "About Perception Studio",
                          "<b>Perception Studio</b><br/>Online segmentation, 2D and 3D tracking, a 3D instance map "
                          "and a video memory you can ask questions, over webcams, videos, image folders and RGB-D "
                          "recordings.<br/><br/>The same pipeline runs headless: <tt>python main.py --help</tt>.")

    def screenshot(self) -> QPixmap:
        """The whole window as shown, the 3D view included (it draws in a native window that a grab misses)."""
        pixmap = self.grab()
        canvas = self.cloud_view.canvas
        if canvas is not None and self.cloud_view.opengl and canvas.widget.isVisible():
            image = canvas.image()
            painter = QPainter(pixmap)
            painter.drawImage(QRect(canvas.widget.mapTo(self, QPoint(0, 0)), canvas.widget.size()), image)
            painter.end()
        return pixmap

    def _ask_screenshot(self) -> None:
        path = self._ask_save("Save screenshot", self._default_name("_screenshot.png"), "PNG image (*.png)")
        if path and not self.screenshot().save(path):
            self.notify("Screenshot not saved", f"cannot write {path}")

    def show_crash_report(self, text: str | None = None) -> None:
        """Show a crash report (the given one, else the last one kept)."""
        if text is None:
            prev = crash.crash_log_path().with_name("crash.prev.log")
            text = prev.read_text(errors="replace") if prev.exists() else ""
        if not text:
            QMessageBox.information(self, "Crash report", "No crash has been recorded.")
            return
        box = QMessageBox(QMessageBox.Icon.Information, "Crash report",
                          "Perception Studio stopped unexpectedly last time. The report below shows where; please "
                          "attach it to a bug report.", QMessageBox.StandardButton.Ok, self)
        box.setDetailedText(text)
        box.setModal(False)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.show()

    def offer_crash_report(self, text: str) -> None:
        """Say that the previous run crashed, with a button that shows the report."""
        self.statusBar().showMessage("The previous run stopped unexpectedly.", 20000)
        button = QPushButton("Show crash report")
        button.setObjectName("crash-report-button")
        button.clicked.connect(lambda: self.show_crash_report(text))
        button.clicked.connect(button.deleteLater)
        self.statusBar().addWidget(button)
        self.message_shown.emit("Previous run crashed", text.splitlines()[0] if text else "")

    # ----- sources --------------------------------------------------------------------------------------
    def open_spec(self, spec: str, play: bool = False) -> bool:
        """Open a source by spec (as the CLI's --source); on failure show why and keep the current one."""
        try:
            self.controller.open(spec)
        except InputError as exc:
            self.notify("Cannot open source", f"{exc}\n\nChoose another source from the File menu.")
            return False
        except Exception as exc:  # a broken file or driver must not take the window down
            self.notify("Cannot open source", f"{spec}: {type(exc).__name__}: {exc}\n\nChoose another source from the "
                        "File menu.")
            return False
        self.settings.remember_source(spec)
        self._show_detector()
        if self.controller.pipeline_error:
            self.notify("Pipeline unavailable", f"{self.controller.pipeline_error}\n\nThe source plays without "
                        "processing; change the choices in the Pipeline panel and press Apply.")
        if play:
            self.controller.play()
        else:
            self.controller.step(1)
        return True

    def open_sample(self) -> None:
        """Open the bundled sample, generating it off the GUI thread first if this is the first run."""
        from perception.synthetic.cache import SAMPLE_OPTIONS, cache_dir
        from perception.synthetic.folder import is_complete
        from perception.synthetic.rgbd_scene import scene_name

        try:
            ready = is_complete(cache_dir() / scene_name(**SAMPLE_OPTIONS))
        except InputError as exc:
            self.notify("Cannot open the sample", str(exc))
            return
        if ready:
            self.open_spec(SAMPLE, play=True)
            return
        self.video.set_placeholder("Preparing the bundled sample (first run only): rendering a synthetic RGB-D room "
                                   "with moving objects…\n\nMeanwhile you can open your own video or folder from the "
                                   "File menu.")
        self.progress.setFormat("Generating the sample… %v")
        self.progress.show()
        started = time.perf_counter()
        ticker = QTimer(self)
        ticker.timeout.connect(lambda: self.progress.setFormat(
            f"Generating the bundled sample (first run only)… {time.perf_counter() - started:.0f} s"))
        ticker.start(500)

        def work(_job: Job) -> str:
            from perception.synthetic import sample_path

            return str(sample_path())

        def done(result: object, error: str) -> None:
            ticker.stop()
            ticker.deleteLater()
            self.progress.hide()
            if self.controller.info is None:
                self.video.set_placeholder(EMPTY_STATE)
            if error:
                self.notify("Cannot generate the sample", error)
                self.sample_ready.emit("")
                return
            self.sample_ready.emit(str(result))
            if self.controller.info is None:  # the user did not open something else meanwhile
                self.open_spec(SAMPLE, play=True)

        self.jobs.start("sample", work, done)

    def _on_opened(self, info: SourceInfo) -> None:
        """A new source: every panel starts over, nothing of the previous source stays on screen."""
        self._painted_index = -1
        self.last_view = None
        self._pending = None
        self.track_labels.clear()
        self.digest.reset()
        self.legend.reset()
        self._lanes_version = -1
        self.setWindowTitle(f"Perception Studio — {info.name}")
        self.transport.set_length(info.length, self.controller.seekable)
        self.timeline.reset(info.length, self.controller.seekable)
        self.transport.highlight = None
        self.stats_panel.reset()
        self.stats_panel.redraw()
        self.tracks_panel.refresh(force=True)
        self.chat.reset()
        self.cloud_view.clear()
        self.video.clear()
        self.video.set_placeholder(f"Opening {info.name}… the first frame appears here.")
        self._reported_stages.clear()
        length = f"{info.length} frames" if info.length else "live"
        depth = "with depth (3D map)" if info.has_depth else "no depth (2D only)"
        self.statusBar().showMessage(f"Opened {info.name}: {info.width}x{info.height}, {length}, {depth}. "
                                     "Space plays.", 10000)
        self.state_label.setText(f"opened | {length}")

    def _fill_webcams(self) -> None:
        from perception.sources import list_cameras

        self.webcam_menu.clear()
        cams = list_cameras()
        if not cams:
            self.webcam_menu.addAction("No camera found: connect one, or open a file").setEnabled(False)
        for cam in cams:
            self.webcam_menu.addAction(f"{cam.index}: {cam.name}", lambda i=cam.index: self.open_spec(f"webcam:{i}", play=True))

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        for spec in self.recent_sources():
            missing = source_missing(spec)
            action = self.recent_menu.addAction(f"{spec}  (missing)" if missing else spec,
                                                lambda s=spec: self.open_spec(s))
            if missing:
                action.setEnabled(False)
                action.setToolTip("This file or folder no longer exists")
        if not self.recent_sources():
            self.recent_menu.addAction("(none)").setEnabled(False)

    def _ask_video(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open video", self.settings.folder("open"),
                                              "Videos (*.mp4 *.avi *.mov *.mkv *.webm);;All files (*)")
        if path:
            self.settings.remember_folder("open", path)
            self.open_spec(path)

    def _ask_folder(self, title: str) -> None:
        path = QFileDialog.getExistingDirectory(self, title, self.settings.folder("open"))
        if path:
            self.settings.remember_folder("open", str(Path(path).parent))
            self.open_spec(path)

    # ----- pipeline -------------------------------------------------------------------------------------
    def apply_options(self, options: PipelineOptions) -> bool:
        """Rebuild the pipeline; a stage that cannot be built (e.g. SAM weights absent) is explained, not fatal."""
        try:
            self.controller.set_options(options)
        except Exception as exc:
            self.notify("Cannot build the pipeline", f"{exc}\n\nThe previous pipeline keeps running; change the "
                        "choice and Apply again.")
            return False
        self._reported_stages.clear()
        self._show_detector()
        detector = self.controller.detector_name()
        self.statusBar().showMessage(f"pipeline: {', '.join(self.controller.stage_names()) or 'no stages'}"
                                     + (f"; detector {detector}" if detector else ""), 8000)
        return True

    def _show_detector(self) -> None:
        """The pipeline panel says which detector runs on the open source."""
        self.pipeline_panel.show_source(self.controller.info, self.controller.detector_name())

    def _ask_detector_file(self, kind: str) -> None:
        title = "ONNX detection model" if kind == "onnx" else "Detections (MOT det.txt or JSON)"
        path, _ = QFileDialog.getOpenFileName(self, title, self.settings.folder("open"), PATH_KINDS.get(kind, ""))
        if path:
            self.settings.remember_folder("open", path)
            self.pipeline_panel.set_detector_file(kind, path)
            self.statusBar().showMessage(f"detector {kind}:{path} (press Apply)", 8000)

    def _ask_sam_checkpoint(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "SAM checkpoint", str(weights_dir()),
                                              "PyTorch checkpoints (*.pth *.pt);;All files (*)")
        if path:
            self.pipeline_panel.sam_checkpoint = path
            self.statusBar().showMessage(f"SAM checkpoint: {path} (press Apply)", 8000)

    def download_weights(self, url: str, dest: str | None = None, purpose: str = "sam") -> None:
        """Download weights behind a cancellable progress dialog (the one verified downloader): a SAM checkpoint
        (``purpose`` "sam": it becomes the SAM checkpoint) or torchvision detector weights ("detector": into
        the cache, where the detector and 'auto' find them)."""
        target = Path(dest) if dest else weights_dir() / url.rsplit("/", 1)[-1]
        dialog = QProgressDialog(f"Downloading {target.name}…", "Cancel", 0, 100, self)
        dialog.setWindowTitle("Download weights")
        dialog.setMinimumDuration(0)
        def finish(path: object, error: str) -> None:
            dialog.reset()
            dialog.deleteLater()
            if error:
                self.notify("Download failed", error)
            elif purpose == "detector":
                self._show_detector()
                self.statusBar().showMessage(f"downloaded {path}; press Apply to run the detector", 10000)
            else:
                self.pipeline_panel.sam_checkpoint = str(path)
                self.statusBar().showMessage(f"downloaded {path}; choose the SAM segmenter and press Apply", 10000)
            self.download_finished.emit(str(path or ""), error)

        job = self.jobs.start("download", lambda j: str(download(url, target, j.report)), finish,
                              lambda done, total: dialog.setValue(int(100 * done / total)) if total else
                              dialog.setLabelText(f"Downloading {target.name}… {done / 1e6:.1f} MB"))
        dialog.canceled.connect(job.cancelled.set)

    def _set_budget(self, budget: int) -> None:
        self.controller.cloud.budget = int(budget)

    # ----- transport ------------------------------------------------------------------------------------
    def step(self, delta: int) -> None:
        """Step frames forward or back (back needs a seekable source)."""
        try:
            if delta == 1 or not self.controller.seekable:
                self.controller.step(delta)
            else:
                self.controller.seek(max(0, self.controller.last_index + delta))
        except InputError as exc:
            self.statusBar().showMessage(str(exc), 5000)

    def seek(self, index: int) -> None:
        """Seek the open source to frame ``index``."""
        if self.controller.info is None:
            return
        try:
            self.controller.seek(index)
        except InputError as exc:
            self.statusBar().showMessage(str(exc), 5000)

    def _seek_end(self) -> None:
        info = self.controller.info
        if info is not None and info.length:
            self.seek(info.length - 1)

    def highlight(self, track_id: int | None, kind: str = "2D") -> None:
        """Emphasise one 2D track (video, timeline) or one 3D instance (3D view); IDs of the two never mix."""
        if kind == "3D":
            self.cloud_view.set_highlight(track_id)
            self.transport.highlight = self.timeline.highlight = None
        else:
            self.transport.highlight = self.timeline.highlight = track_id
            self.cloud_view.set_highlight(self._instance_of_track(track_id))
        self.timeline.invalidate()
        self.controller.set_layers(self.transport.layers())
        if track_id is not None:
            self.tracks_panel.select(kind, track_id)

    def _instance_of_track(self, track_id: int | None) -> int | None:
        """The 3D instance the 2D track's segment joined on the frame shown, if the map linked them."""
        view = self.last_view
        if track_id is None or view is None:
            return None
        r = view.result
        links = r.instance_of_detection
        rows = r.tracks.det_index[r.tracks.ids == track_id]
        if links is None or not len(rows) or r.segments is not r.detections or not 0 <= rows[0] < len(links):
            return None
        iid = int(links[rows[0]])
        return iid if iid >= 0 else None

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

    def _seek_to_citation(self, frame: int, track_id: int, kind: str) -> None:
        self.highlight(track_id if track_id >= 0 else None, kind)
        self.seek(frame)

    # ----- frames ---------------------------------------------------------------------------------------
    def _fps(self) -> float:
        info = self.controller.info
        return (info.fps if info is not None and info.fps else 0.0) or 30.0

    def _on_frame_ready(self) -> None:
        view = self.controller.take_frame()
        if view is None:
            return
        t0 = time.perf_counter()
        r = view.result
        self.video.set_frame(view.image)
        self.transport.show_frame(view.index, self.controller.info.fps if self.controller.info else None)
        self.timeline.set_position(view.index)
        self.stats_panel.add(r.index, view.ready_at, r.timings_ms, view.queue_depth, view.dropped,
                             self.controller.quality(), r.skipped)
        if view.cloud is not None:
            self.cloud_view.set_snapshot(view.cloud)
        for tid, label in zip(r.tracks.ids.tolist(), r.tracks.labels.tolist()):
            self.track_labels[tid] = label
        said = self.controller.take_narration()
        if said:
            for n in said:
                self.digest.add(n, self.track_labels)
        line = self.digest.flush(r.packet.timestamp)
        if line is not None:
            self.chat.narrate(line.text, line.details, line.frame)
            self.timeline.add_marker(Marker(max(line.frame, 0), "narration", line.text))
        self.state_label.setText(f"{self.controller.state} | frame {view.index + 1} | {len(r.tracks)} tracks")
        self._pending = self.last_view = view
        self._handler_ms = (time.perf_counter() - t0) * 1e3

    def hide_classes(self, hidden: frozenset[str]) -> None:
        """Take the tracks of these class labels out of the overlay, the tracks table and the timeline."""
        self.transport.hidden = frozenset(hidden)
        self.controller.set_layers(self.transport.layers())
        self.tracks_panel.set_hidden(self.transport.hidden)
        self._refresh_lanes()

    def _refresh_lanes(self) -> None:
        """The timeline's track lanes and the class legend from the session log (on a timer: the log changes
        every frame)."""
        if self.controller.info is None:
            return
        log = self.controller.log
        if log.version == self._lanes_version and self.transport.hidden == self._lanes_hidden:
            return
        self._lanes_version, self._lanes_hidden = log.version, self.transport.hidden
        self.legend.set_counts(log.labels())
        entries = [e for e in log.entries() if e.kind == "2D" and e.label not in self.transport.hidden]
        if len(entries) > 60:  # the longest-lived and the current ones stay readable
            now = self.controller.last_index
            entries = sorted(entries, key=lambda e: (e.last < now - 1, -(e.last - e.first)))[:60]
        self.timeline.set_lanes([Lane(e.id, e.first, e.last, e.label)
                                 for e in sorted(entries, key=lambda e: e.first)])

    def _on_answered(self, text: str) -> None:
        frame = max(self.controller.last_index, 0)
        self.timeline.add_marker(Marker(frame, "question", f"answered: {text[:80]}"))

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
        frame = f" | frame {self.controller.last_index + 1}" if self.controller.last_index >= 0 else ""
        self.state_label.setText(f"{state}{frame}")
        if state != PlayState.PLAYING:
            self.stats_panel.redraw()
            self._refresh_lanes()
            line = self.digest.flush(0.0, force=True)
            if line is not None:
                self.chat.narrate(line.text, line.details, line.frame)
                self.timeline.add_marker(Marker(max(line.frame, 0), "narration", line.text))

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
            self.notify("The source stopped", f"{stats.source_error}\n\nReconnect it or open another source from "
                        "the File menu.")
        elif info is not None and info.live:
            self.notify("The camera stopped", f"'{info.name}' stopped delivering frames (unplugged?).\n\n"
                        "Reconnect it and choose File > Open webcam, or open a file.")
        elif self.controller.last_index >= 0:
            self.statusBar().showMessage("End of the recording: press Play (Space) to start again.", 8000)

    # ----- chat -----------------------------------------------------------------------------------------
    def _chat_context(self, question: str):
        memory = self.controller.session.memory()
        if memory is None:
            raise InputError(MEMORY_OFF)
        return make_backend(self.pipeline_panel.answer_settings()), memory.snapshot()

    # ----- exports and recording ------------------------------------------------------------------------
    def run_job(self, title: str, work: Callable[[], object], on_done: Callable[[object], None] | None = None) -> None:
        """Run ``work`` off the GUI thread behind a progress dialog; errors become one message."""
        dialog = QProgressDialog(title, None, 0, 0, self)
        dialog.setWindowTitle(title)
        dialog.setMinimumDuration(300)
        dialog.setAutoClose(True)

        def finish(result: object, error: str) -> None:
            dialog.reset()
            dialog.deleteLater()
            if error:
                self.notify(f"{title} failed", error)
                self.export_finished.emit("", error)
                return
            if on_done is not None:
                on_done(result)
            self.statusBar().showMessage(f"{title}: wrote {result}", 8000)
            self.export_finished.emit(str(result), "")

        self.jobs.start(title, lambda _job: work(), finish)

    def export_tracks(self, path: str, fmt: str | None = None) -> None:
        """Write every recorded track (MOTChallenge .txt / .json / .csv) atomically in the background."""
        log = self.controller.log
        self.run_job("Export tracks", lambda: log.write_tracks(path, fmt))

    def export_ply(self, path: str) -> None:
        """Write the 3D instance map as a PLY (xyz, rgb, instance) atomically; needs the 3D map stage."""
        stage = self.controller.session.map3d()
        if stage is None:
            self.notify("No 3D map", "The 3D map is off: set '3D map' in the Pipeline panel, press Apply, and play an "
                        "RGB-D source.")
            self.export_finished.emit("", "no 3D map")
            return
        resume = self.controller.state == PlayState.PLAYING
        self.controller.pause()  # the map is not read while the worker writes it

        def work() -> str:
            stage.settle()  # a denoise pass the map spreads over frames finishes first (the map as it stands now)
            stage.export_ply(path)
            return path

        self.run_job("Export 3D map", work, lambda _r: self.controller.play() if resume else None)

    def _default_name(self, suffix: str) -> str:
        info = self.controller.info
        stem = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in (info.name if info else "session"))
        return f"{stem or 'session'}{suffix}"

    def _ask_save(self, title: str, name: str, filt: str) -> str:
        path, _ = QFileDialog.getSaveFileName(self, title, str(Path(self.settings.folder("export")) / name), filt)
        if path:
            suffix = Path(name).suffix
            if suffix and not path.lower().endswith(suffix):
                path += suffix
            self.settings.remember_folder("export", path)
        return path

    def _ask_export_tracks(self, fmt: str, ext: str, what: str) -> None:
        path = self._ask_save("Export tracks", self._default_name(f"_tracks.{ext}"), f"{what} (*.{ext})")
        if path:
            self.export_tracks(path, fmt)

    def _ask_export_ply(self) -> None:
        path = self._ask_save("Export 3D map", self._default_name("_map.ply"), "PLY point cloud (*.ply)")
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
            path = self._ask_save("Record session as RGB-D folder", self._default_name("_recording"), "Folder (*)")
        else:
            path = self._ask_save("Record session as video", self._default_name("_recording.avi"), "Video (*.avi *.mp4)")
        if path:
            self.start_recording(path)

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt's name
        """Keys that reach the window without passing the shortcut map (e.g. synthesized) act the same."""
        for sc in self.shortcuts:
            if sc.key().matches(QKeySequence(event.keyCombination().toCombined())) == QKeySequence.SequenceMatch.ExactMatch:
                sc.activated.emit()
                event.accept()
                return
        super().keyPressEvent(event)

    # ----- shutdown -------------------------------------------------------------------------------------
    def closeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        """Save the layout and settings, stop the worker, finish a recording, wait for exports."""
        self._save_settings()
        if self.controller.recorder is not None:
            self.stop_recording()
        self.controller.close()
        self.jobs.wait()
        if self._preload_timer is not None:
            self._preload_timer.stop()
        self.cloud_view.release()
        super().closeEvent(event)
        gc.collect()  # the stopped session's cycles go now, on this thread


def _collect_garbage_on_gui_thread() -> None:
    """Python's cycle collector may run in whichever thread allocates; if it frees Qt objects from a pipeline
    thread, Qt aborts. Collect on a GUI-thread timer instead (once per process)."""
    global _gc_on_gui_thread
    if _gc_on_gui_thread is None:
        _gc_on_gui_thread = GarbageCollector(interval=1.0)
        _gc_on_gui_thread.timer.setObjectName("gc-timer")


def launch(argv: list[str] | None = None) -> int:
    """Open the studio on ``argv[0]`` (a source spec) or the bundled sample and run until the window closes."""
    argv = list(argv or [])
    previous = crash.previous_crash()
    crash.arm()
    native = preload()  # before any OpenGL context: see app.preload
    QApplication.setAttribute(Qt.ApplicationAttribute.AA_ShareOpenGLContexts)
    sys.setswitchinterval(0.001)  # the GUI thread gets the GIL back quickly from the pipeline threads
    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "perception-studio"])
    app.setApplicationName("Perception Studio")
    window = MainWindow(native_preload=native)
    window.show()
    if previous:
        window.offer_crash_report(previous)
    app.processEvents()  # paint the window before anything slow
    if argv:
        window.open_spec(argv[0], play=True)
    else:
        window.open_sample()
    code = app.exec()
    window.deleteLater()  # Qt objects go before the interpreter tears down the modules they use
    app.processEvents()
    crash.disarm()
    return code
