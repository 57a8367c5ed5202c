"""The desktop app under a virtual X server: play, overlays, 3D, seek, chat, exports, source switching and failures.

Every wait is on a signal or a condition (qtbot.waitSignal / waitUntil), never a blind sleep.
"""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

pytest.importorskip("pytestqt")
from PySide6.QtCore import QCoreApplication, QSettings, Qt, QUrl  # noqa: E402

from app.main_window import MainWindow  # noqa: E402
from perception.io.mot import read_mot  # noqa: E402
from perception.pipeline.factory import build_pipeline  # noqa: E402
from perception.pipeline.runner import Pipeline  # noqa: E402
from perception.sources import MemorySource, open_source  # noqa: E402
from perception.types import FramePacket  # noqa: E402

pytestmark = pytest.mark.gui
# GL items cache shader programs across windows: their contexts must share (set before the QApplication exists).
QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_ShareOpenGLContexts)
WAIT_MS = 60_000


class _FailingSource(MemorySource):
    """Frames until ``fail_at``, then an OSError, as a file that turns unreadable or a device that errors."""

    def __init__(self, n: int, fail_at: int, live: bool = False):
        rng = np.random.default_rng(1)
        super().__init__([rng.integers(0, 255, (120, 160, 3), dtype=np.uint8) for _ in range(n)], name="flaky")
        self.fail_at = fail_at
        self.info = replace(self.info, live=live, length=None if live else n)

    def read(self) -> FramePacket | None:
        if self._next == self.fail_at:
            if self.info.live:
                return None  # a camera that was unplugged ends its stream
            raise OSError("device disconnected")
        return super().read()


def _opener(spec: str):
    if spec.startswith("mem:"):
        n = int(spec[4:])
        imgs = [np.full((120, 160, 3), 20 * (i % 10), np.uint8) for i in range(n)]
        return MemorySource(imgs, fps=30.0, name=spec)
    if spec.startswith("fail:"):
        return _FailingSource(10, int(spec[5:]))
    if spec.startswith("unplug:"):
        return _FailingSource(10, int(spec[7:]), live=True)
    return open_source(spec)


def _make_window(qtbot, tmp_path, factory=build_pipeline) -> MainWindow:
    settings = QSettings(str(tmp_path / "studio.ini"), QSettings.Format.IniFormat)
    w = MainWindow(settings, pipeline_factory=factory, source_opener=_opener)
    qtbot.addWidget(w)
    w.transport.speed.setCurrentText("max")
    w.show()
    qtbot.waitExposed(w)
    return w


@pytest.fixture
def window(qtbot, tmp_path):
    w = _make_window(qtbot, tmp_path)
    yield w
    w.close()


def _shown(w: MainWindow, index: int) -> bool:
    return w.last_view is not None and w.last_view.index == index and w.frames_shown > 0


def _play(qtbot, w: MainWindow, frames: int) -> None:
    """Play until ``frames`` more frames are processed, then pause and wait for the paused frame on screen."""
    target = w.controller.last_index + frames
    w.controller.play()
    qtbot.waitUntil(lambda: w.controller.last_index >= target, timeout=WAIT_MS)
    w.controller.pause()
    qtbot.waitUntil(lambda: _shown(w, w.controller.last_index), timeout=WAIT_MS)


@pytest.fixture
def sample_window(window, qtbot):
    assert window.open_spec("sample"), window.messages
    qtbot.waitUntil(lambda: _shown(window, 0), timeout=WAIT_MS)
    return window


def test_sample_plays_with_overlays_cloud_seek_and_pause(sample_window, qtbot, artifacts_dir):
    w = sample_window
    assert set(w.controller.stage_names()) >= {"segment", "tracker", "map3d"}
    _play(qtbot, w, 6)
    assert w.controller.state == "paused"
    view = w.last_view
    assert view.index == view.result.index
    changed = np.any(view.image != view.result.packet.image, axis=2).mean()
    assert changed > 0.05, f"overlays cover only {changed:.1%} of the frame"
    assert len(view.result.tracks) > 0
    qtbot.waitUntil(lambda: w.cloud_view.snapshot is not None and len(w.cloud_view.snapshot) > 1000
                    and len(w.cloud_view.snapshot.trajectory) == w.controller.last_index + 1, timeout=WAIT_MS)
    assert w.cloud_view.snapshot.from_map
    w.screenshot().save(str(artifacts_dir / "gui_main_window.png"))
    w.cloud_view.image().save(str(artifacts_dir / "gui_3d_view.png"))

    paused_at = w.controller.last_index
    with qtbot.waitSignal(w.controller.frame_ready, timeout=WAIT_MS):
        w.seek(2)
    qtbot.waitUntil(lambda: _shown(w, 2), timeout=WAIT_MS)
    assert w.timeline.position == 2 and w.controller.state == "paused"
    w.step(1)
    qtbot.waitUntil(lambda: _shown(w, 3), timeout=WAIT_MS)
    w.step(-1)
    qtbot.waitUntil(lambda: _shown(w, 2), timeout=WAIT_MS)
    assert paused_at > 3
    # the next play resumes exactly after the frame on screen
    _play(qtbot, w, 1)
    assert w.controller.last_index >= 3
    assert w.latency_ms and w.gui_ms


def test_layer_toggles_redraw_paused_frame(sample_window, qtbot):
    w = sample_window
    _play(qtbot, w, 2)
    for box in w.transport.layer_boxes.values():
        box.setChecked(False)
    qtbot.waitUntil(lambda: w.last_view is not None and np.array_equal(w.last_view.image, w.last_view.result.packet.image),
                    timeout=WAIT_MS)
    w.transport.layer_boxes["masks"].setChecked(True)
    qtbot.waitUntil(lambda: not np.array_equal(w.last_view.image, w.last_view.result.packet.image), timeout=WAIT_MS)


def test_chat_answers_from_memory_and_links_seek(sample_window, qtbot, artifacts_dir):
    w = sample_window
    assert "memory" in w.controller.stage_names()
    _play(qtbot, w, 8)
    with qtbot.waitSignal(w.chat.answered, timeout=WAIT_MS) as sig:
        w.chat.ask("how many objects are there?")
    answer = sig.args[0]
    assert answer and "memory is off" not in answer.lower()
    assert w.chat.messages[-1].who != "studio"
    w.chat.grab().save(str(artifacts_dir / "gui_chat.png"))
    w.screenshot().save(str(artifacts_dir / "gui_main_with_chat.png"))
    links = [h for m in w.chat.messages for h, _ in m.links]
    if links:  # a cited time seeks the video
        _, frame, tid = links[0].split(":")
        w.chat._link(QUrl(links[0]))
        qtbot.waitUntil(lambda: _shown(w, int(frame)), timeout=WAIT_MS)


def test_chat_without_memory_says_how_to_enable_it(window, qtbot):
    window.controller.options = replace(window.controller.options, memory=False)
    assert window.open_spec("mem:5")
    with qtbot.waitSignal(window.chat.answered, timeout=WAIT_MS) as sig:
        window.chat.ask("what is there?")
    assert "Streaming memory" in sig.args[0]


def test_exports_write_and_read_back(sample_window, qtbot, tmp_path):
    w = sample_window
    _play(qtbot, w, 5)
    rows = w.controller.log.track_rows
    assert rows > 0
    for name, fmt in (("t.txt", "mot"), ("t.json", "json"), ("t.csv", "csv")):
        with qtbot.waitSignal(w.export_finished, timeout=WAIT_MS) as sig:
            w.export_tracks(str(tmp_path / name), fmt)
        assert sig.args == [str(tmp_path / name), ""]
    assert len(read_mot(tmp_path / "t.txt")) == rows
    data = json.loads((tmp_path / "t.json").read_text())
    assert sum(len(f["tracks"]) for f in data["frames"]) == rows
    assert len((tmp_path / "t.csv").read_text().splitlines()) == rows + 1
    with qtbot.waitSignal(w.export_finished, timeout=WAIT_MS) as sig:
        w.export_ply(str(tmp_path / "map.ply"))
    assert sig.args[1] == ""
    from perception.map3d.export import read_ply_instances

    assert len(read_ply_instances(tmp_path / "map.ply")) > 100
    assert not list(tmp_path.glob(".*.part"))
    with qtbot.waitSignal(w.export_finished, timeout=WAIT_MS) as sig:
        w.export_tracks(str(tmp_path / "missing" / "t.txt"), "mot")
    assert sig.args[1] and w.messages[-1][0] == "Export tracks failed"


def test_the_map_export_finishes_a_pending_denoise_pass_first(sample_window, qtbot, tmp_path, monkeypatch):
    w = sample_window
    _play(qtbot, w, 3)
    stage = w.controller.session.map3d()
    order: list[str] = []
    monkeypatch.setattr(stage.map, "settle", lambda: order.append("settle"))
    real_export = stage.export_ply
    monkeypatch.setattr(stage, "export_ply", lambda path: (order.append("export"), real_export(path))[1])
    with qtbot.waitSignal(w.export_finished, timeout=WAIT_MS) as sig:
        w.export_ply(str(tmp_path / "map.ply"))
    assert sig.args[1] == "" and order == ["settle", "export"]


def test_switch_sources_mid_stream(sample_window, qtbot):
    w = sample_window
    w.controller.play()
    qtbot.waitUntil(lambda: w.controller.last_index >= 2, timeout=WAIT_MS)
    assert w.open_spec("mem:12", play=True)
    qtbot.waitUntil(lambda: w.controller.state == "ended", timeout=WAIT_MS)
    assert w.controller.info.name == "mem:12" and w.controller.last_index == 11
    assert w.last_view.image.shape == (120, 160, 3)
    assert w.open_spec("sample")
    qtbot.waitUntil(lambda: _shown(w, 0) and w.last_view.image.shape == (480, 640, 3), timeout=WAIT_MS)
    assert w.recent_sources()[:2] == ["sample", "mem:12"]


def test_source_failing_mid_stream_keeps_window_usable(window, qtbot):
    assert window.open_spec("fail:4")
    with qtbot.waitSignal(window.message_shown, timeout=WAIT_MS) as sig:
        window.controller.play()
    assert sig.args[0] == "The source stopped" and "device disconnected" in sig.args[1]
    assert window.controller.state == "ended" and window.controller.last_index == 3
    with qtbot.waitSignal(window.message_shown, timeout=WAIT_MS) as sig:
        window.open_spec("unplug:3", play=True)
    assert sig.args[0] == "The camera stopped"
    assert window.open_spec("mem:4", play=True)
    qtbot.waitUntil(lambda: window.controller.last_index == 3, timeout=WAIT_MS)


def test_bad_sources_show_one_message(window, qtbot, tmp_path):
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"not a video")
    for spec in (str(bad), str(tmp_path / "nothing-here"), "webcam:37"):
        with qtbot.waitSignal(window.message_shown, timeout=WAIT_MS) as sig:
            assert not window.open_spec(spec)
        assert sig.args[0] == "Cannot open source" and "File menu" in sig.args[1]
    assert window.controller.info is None


def test_stage_exception_is_reported_with_frame_and_stream_continues(qtbot, tmp_path):
    class Boom:
        name = "boom"

        def process(self, result):
            if result.index == 2:
                raise RuntimeError("kaboom")
            return result

        def reset(self):
            pass

        def close(self):
            pass

    w = _make_window(qtbot, tmp_path, factory=lambda o, i: Pipeline([Boom()]))
    assert w.open_spec("mem:6")
    with qtbot.waitSignal(w.message_shown, timeout=WAIT_MS) as sig:
        w.controller.play()
    assert "frame 2" in sig.args[1] and "kaboom" in sig.args[1]
    qtbot.waitUntil(lambda: w.controller.state == "ended", timeout=WAIT_MS)
    assert w.controller.last_index == 5
    w.close()


def test_pipeline_that_cannot_be_built_is_explained(window, qtbot):
    assert window.open_spec("mem:3")

    def broken(options, info):
        raise FileNotFoundError("SAM checkpoint sam_vit_b.pth not found")

    window.controller.pipeline_factory = broken
    with qtbot.waitSignal(window.message_shown, timeout=WAIT_MS) as sig:
        assert not window.apply_options(window.pipeline_panel.options())
    assert "SAM checkpoint" in sig.args[1] and window.controller.session.pipeline is not None


def test_recorded_session_replays(window, qtbot, tmp_path):
    assert window.open_spec("mem:6")
    qtbot.waitUntil(lambda: _shown(window, 0), timeout=WAIT_MS)  # frame 0 is on screen before recording starts
    assert window.start_recording(str(tmp_path / "cam.avi"))
    window.controller.play()
    qtbot.waitUntil(lambda: window.controller.state == "ended", timeout=WAIT_MS)
    assert window.stop_recording() == str(tmp_path / "cam.avi")
    assert window.open_spec(str(tmp_path / "cam.avi"))
    assert window.controller.info.length == 5  # frames 1..5: what was shown while recording


def test_settings_and_recent_sources_persist(qtbot, tmp_path):
    w = _make_window(qtbot, tmp_path)
    w.open_spec("mem:3")
    w.pipeline_panel.tracker.setCurrentText("iou")
    assert w.apply_options(w.pipeline_panel.options())
    w.close()
    w2 = _make_window(qtbot, tmp_path)
    assert w2.recent_sources()[0] == "mem:3"
    assert w2.pipeline_panel.tracker.currentText() == "iou"
    w2.close()


def test_keyboard_transport(window, qtbot):
    assert window.open_spec("mem:8")
    qtbot.waitUntil(lambda: _shown(window, 0), timeout=WAIT_MS)
    qtbot.keyClick(window.video, Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: _shown(window, 1), timeout=WAIT_MS)
    qtbot.keyClick(window.video, Qt.Key.Key_Left)
    qtbot.waitUntil(lambda: _shown(window, 0), timeout=WAIT_MS)
    with qtbot.waitSignal(window.controller.state_changed, timeout=WAIT_MS):
        qtbot.keyClick(window.video, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: window.controller.state == "ended", timeout=WAIT_MS)


def test_tracks_table_double_click_seeks(sample_window, qtbot):
    w = sample_window
    _play(qtbot, w, 5)
    w.tracks_panel.refresh(force=True)
    assert w.tracks_panel.table.rowCount() > 0
    rows = [r for r in range(w.tracks_panel.table.rowCount()) if w.tracks_panel.row_entry(r)[2] < w.controller.last_index]
    row = max(rows, key=lambda r: w.tracks_panel.row_entry(r)[2])
    kind, tid, first = w.tracks_panel.row_entry(row)
    w.tracks_panel._double_clicked(row, 0)
    qtbot.waitUntil(lambda: _shown(w, first), timeout=WAIT_MS)
    assert w.transport.highlight == tid


def test_sam_download_sets_the_checkpoint_or_explains(window, qtbot, tmp_path):
    src = tmp_path / "sam_vit_b.pth"
    src.write_bytes(b"\0" * 300_000)
    with qtbot.waitSignal(window.download_finished, timeout=WAIT_MS) as sig:
        window.download_weights(src.as_uri(), str(tmp_path / "weights" / "sam_vit_b.pth"))
    assert sig.args == [str(tmp_path / "weights" / "sam_vit_b.pth"), ""]
    assert window.pipeline_panel.sam_checkpoint == sig.args[0]
    with qtbot.waitSignal(window.download_finished, timeout=WAIT_MS) as sig:
        window.download_weights((tmp_path / "absent.pth").as_uri(), str(tmp_path / "weights" / "x.pth"))
    assert sig.args[1] and window.messages[-1][0] == "Download failed"


def test_clicking_a_box_highlights_its_track(sample_window, qtbot):
    w = sample_window
    _play(qtbot, w, 2)
    t = w.last_view.result.tracks
    assert len(t)
    k = int(np.argmin((t.xyxy[:, 2] - t.xyxy[:, 0]) * (t.xyxy[:, 3] - t.xyxy[:, 1])))
    cx, cy = (t.xyxy[k, 0] + t.xyxy[k, 2]) / 2, (t.xyxy[k, 1] + t.xyxy[k, 3]) / 2
    w.video.clicked.emit(cx, cy)
    assert w.transport.highlight == int(t.ids[k])
    qtbot.waitUntil(lambda: w.controller.layers.highlight == int(t.ids[k]), timeout=WAIT_MS)


def test_3d_view_data_path_without_opengl(qtbot):
    from app.cloud import CloudSnapshot
    from app.cloud_view import CloudView

    view = CloudView(use_opengl=False)
    qtbot.addWidget(view)
    snap = CloudSnapshot(np.random.default_rng(0).uniform(0, 1, (50, 3)).astype(np.float32),
                         np.zeros((50, 3), np.uint8), np.repeat(np.arange(1, 6), 10))
    view.set_snapshot(snap)
    assert not view.opengl and "50 points, 5 3D instances" in view.info.text()
    with qtbot.waitSignal(view.instance_clicked) as sig:
        view.pick_point(12)
    assert sig.args == [2]


def test_answer_endpoint_down_is_one_clear_message(window, qtbot):
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    assert window.open_spec("mem:4")
    qtbot.waitUntil(lambda: _shown(window, 0), timeout=WAIT_MS)
    assert "memory" in window.controller.stage_names()
    window.pipeline_panel.backend.setCurrentText("ollama")
    window.pipeline_panel.endpoint.setText(f"http://127.0.0.1:{port}")
    with qtbot.waitSignal(window.chat.answered, timeout=WAIT_MS):
        window.chat.ask("what is there?")
    last = window.chat.messages[-1]
    assert last.error and last.text.strip()
    assert window.chat.send.isEnabled()


def test_rgbd_folder_with_missing_depth_is_explained(window, qtbot, tmp_path):
    import cv2

    folder = tmp_path / "scan"
    (folder / "color").mkdir(parents=True)
    (folder / "depth").mkdir()
    cv2.imwrite(str(folder / "color" / "0.jpg"), np.zeros((48, 64, 3), np.uint8))
    with qtbot.waitSignal(window.message_shown, timeout=WAIT_MS) as sig:
        assert not window.open_spec(str(folder))
    assert "depth" in sig.args[1].lower()


def test_zoom_pan_and_stats(sample_window, qtbot):
    from PySide6.QtCore import QPoint, QPointF
    from PySide6.QtGui import QWheelEvent

    w = sample_window
    _play(qtbot, w, 2)
    centre = QPointF(w.video.width() / 2, w.video.height() / 2)
    ev = QWheelEvent(centre, w.video.mapToGlobal(centre), QPoint(), QPoint(0, 120), Qt.MouseButton.NoButton,
                     Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    w.video.wheelEvent(ev)
    assert w.video.zoom > 1.0
    w.video.fit()
    assert w.video.zoom == 1.0
    assert len(w.stats_panel.frames) >= 2 and {"segment", "tracker"} <= set(w.stats_panel.stage_ms)
