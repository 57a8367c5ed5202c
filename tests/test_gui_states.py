"""The window's main states, each saved as a screenshot in tests/artifacts/ for review: empty, first run,
sample playing (timeline lanes, docked 3D view, tracks table, stats), a video without depth, and odometry
poses driving the 3D camera path. Also: opening a source resets every panel; shortcuts work window-wide.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

pytest.importorskip("pytestqt")
from PySide6.QtCore import QCoreApplication, QSettings, Qt  # noqa: E402

from app.main_window import MainWindow  # noqa: E402
from app.narration_digest import NarrationDigest, plural  # noqa: E402
from perception.memory.events import Event  # noqa: E402
from perception.memory.narration import Narration  # noqa: E402
from perception.pipeline.runner import Pipeline  # noqa: E402
from perception.sources import MemorySource, open_source  # noqa: E402
from perception.types import CameraState, Intrinsics, PoseSource  # noqa: E402

pytestmark = pytest.mark.gui
QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_ShareOpenGLContexts)
WAIT_MS = 120_000
K = Intrinsics(100.0, 100.0, 80.0, 60.0, 160, 120)


def _poses(n: int) -> list[np.ndarray]:
    """A camera sliding 5 cm a frame along x and turning 2 degrees a frame about y."""
    out = []
    for i in range(n):
        a = np.radians(2.0 * i)
        pose = np.eye(4)
        pose[:3, :3] = [[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]]
        pose[:3, 3] = [0.05 * i, 0.0, 0.0]
        out.append(pose)
    return out


class _Odometry:
    """Stands in for RGB-D odometry: writes an estimated pose to ``result.camera`` (the packet has none)."""

    name = "odometry"

    def __init__(self, poses: list[np.ndarray]):
        self.poses = poses

    def process(self, result):
        result.camera = CameraState(self.poses[result.index], PoseSource.ODOMETRY, "test")
        return result

    def reset(self) -> None:
        pass

    def close(self) -> None:
        pass


class _RGBD(MemorySource):
    """Flat grey frames 2 m deep with intrinsics and no poses (the odometry stand-in supplies them)."""

    def __init__(self, n: int):
        super().__init__([np.full((120, 160, 3), 90, np.uint8)] * n, fps=10.0, name="rgbd",
                         depths=[np.full((120, 160), 2.0, np.float32)] * n)

    def read(self):
        packet = super().read()
        return None if packet is None else replace(packet, intrinsics=K)


def _opener(spec: str):
    if spec.startswith("rgbd:"):
        return _RGBD(int(spec[5:]))
    if spec.startswith("video:"):
        return MemorySource([np.full((120, 160, 3), 40 * (i % 5), np.uint8) for i in range(int(spec[6:]))],
                            fps=25.0, name="clip.mp4")
    return open_source(spec)


def _window(qtbot, tmp_path, factory=None, use_opengl=None) -> MainWindow:
    kwargs = {} if factory is None else {"pipeline_factory": factory}
    w = MainWindow(QSettings(str(tmp_path / "studio.ini"), QSettings.Format.IniFormat), source_opener=_opener,
                   use_opengl=use_opengl, **kwargs)
    qtbot.addWidget(w)
    w.transport.speed.setCurrentText("max")
    w.resize(1500, 950)
    w.show()
    qtbot.waitExposed(w)
    qtbot.waitUntil(lambda: w.cloud_view.canvas is not None, timeout=WAIT_MS)
    return w


def test_empty_state_says_what_can_be_opened(qtbot, tmp_path, artifacts_dir):
    w = _window(qtbot, tmp_path)
    assert "Open video file" in w.video.placeholder and "RGB-D" in w.video.placeholder
    assert w.timeline.length is None and "no source" in w.transport.frame_label.text()
    w.screenshot().save(str(artifacts_dir / "state_empty.png"))
    w.close()


def test_first_run_generates_the_sample_off_the_gui_thread(qtbot, tmp_path, monkeypatch, artifacts_dir):
    import perception.synthetic.cache as cache

    monkeypatch.setenv("PERCEPTION_STUDIO_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(cache, "SAMPLE_OPTIONS", dict(cache.SAMPLE_OPTIONS, n_frames=8, width=160, height=120,
                                                      n_objects=3))
    w = _window(qtbot, tmp_path, use_opengl=False)
    with qtbot.waitSignal(w.sample_ready, timeout=WAIT_MS) as sig:
        w.open_sample()
        assert w.progress.isVisible() and "Preparing the bundled sample" in w.video.placeholder
        qtbot.wait(200)  # the GUI thread keeps serving events while the sample renders
        w.screenshot().save(str(artifacts_dir / "state_first_run.png"))
    assert sig.args[0] and not w.progress.isVisible()
    qtbot.waitUntil(lambda: w.controller.info is not None and w.controller.info.length == 8, timeout=WAIT_MS)
    w.close()


def test_sample_playing_shows_lanes_docked_3d_tracks_and_stats(qtbot, tmp_path, artifacts_dir):
    w = _window(qtbot, tmp_path)
    assert w.open_spec("sample")
    w.controller.play()
    qtbot.waitUntil(lambda: w.controller.last_index >= 30, timeout=WAIT_MS)
    w.controller.pause()
    qtbot.waitUntil(lambda: w.last_view is not None and w.cloud_view.snapshot is not None
                    and len(w.cloud_view.snapshot) > 500, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: w.timeline.position == w.controller.last_index, timeout=WAIT_MS)
    w._refresh_lanes()
    w.tracks_panel.refresh(force=True)
    assert w.timeline.lanes
    assert w.cloud_view.canvas.widget.window() is w  # docked, not a window of its own
    assert "3D instances" in w.cloud_view.info.text() and "■" in w.cloud_view.legend.text()
    table = w.tracks_panel.table
    assert table.rowCount() > 0 and table.horizontalHeaderItem(2).text() == "Label"
    w.tracks_panel.filter.setText("3D instance")
    assert all(table.isRowHidden(r) or table.item(r, 1).text() == "3D instance" for r in range(table.rowCount()))
    w.tracks_panel.filter.clear()
    assert "nan" not in w.stats_panel.summary_text()
    w.screenshot().save(str(artifacts_dir / "state_sample_paused.png"))
    w.docks["Stats"].raise_()
    w.stats_panel.redraw()
    qtbot.wait(100)
    w.screenshot().save(str(artifacts_dir / "state_stats.png"))
    # clicking a 2D track never dims a 3D instance that merely shares its number
    tid = int(w.last_view.result.tracks.ids[0])
    w.highlight(tid, "2D")
    assert w.cloud_view.highlight in (None, w._instance_of_track(tid))
    # the timeline seeks to the exact frame clicked
    x = w.timeline.x_of(7)
    qtbot.mouseClick(w.timeline, Qt.MouseButton.LeftButton, pos=w.timeline.rect().topLeft() + _pt(x, 30))
    qtbot.waitUntil(lambda: w.last_view is not None and w.last_view.index == 7, timeout=WAIT_MS)
    w.close()


def test_opening_another_source_resets_every_panel(qtbot, tmp_path, artifacts_dir):
    w = _window(qtbot, tmp_path)
    assert w.open_spec("sample")
    w.controller.play()
    qtbot.waitUntil(lambda: w.controller.last_index >= 10, timeout=WAIT_MS)
    w.chat.narrate("something from the sample")
    assert w.open_spec("video:30")
    assert not w.chat.messages and w.timeline.lanes == [] and w.timeline.markers == []
    assert w.tracks_panel.table.rowCount() == 0 and len(w.stats_panel.frames) == 0
    assert "End of the recording" not in w.statusBar().currentMessage()
    qtbot.waitUntil(lambda: w.last_view is not None and w.last_view.index == 0, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: w.cloud_view.snapshot is not None, timeout=WAIT_MS)
    assert "no depth" in w.cloud_view.info.text() and "live depth" not in w.cloud_view.info.text()
    assert "nan" not in w.stats_panel.summary_text() and "nan" not in w.state_label.text()
    w.screenshot().save(str(artifacts_dir / "state_video_without_depth.png"))
    w.close()


def test_odometry_poses_drive_the_3d_camera_path(qtbot, tmp_path, artifacts_dir):
    poses = _poses(12)
    w = _window(qtbot, tmp_path, factory=lambda o, i: Pipeline([_Odometry(poses)]))
    assert w.open_spec("rgbd:12")
    w.controller.play()
    qtbot.waitUntil(lambda: w.controller.state == "ended", timeout=WAIT_MS)
    qtbot.waitUntil(lambda: w.cloud_view.snapshot is not None and len(w.cloud_view.snapshot.trajectory) == 12,
                    timeout=WAIT_MS)
    snap = w.cloud_view.snapshot
    assert np.allclose(snap.trajectory, [p[:3, 3] for p in poses])
    assert np.allclose(snap.pose, poses[-1]) and np.allclose(snap.frustum[0], poses[-1][:3, 3])
    assert "camera path 12 poses" in w.cloud_view.info.text()
    w.cloud_view.follow.setChecked(True)
    w.cloud_view.reset_view()
    w.screenshot().save(str(artifacts_dir / "state_odometry_3d.png"))
    w.close()


def test_shortcuts_work_unless_a_text_field_is_typed_in(qtbot, tmp_path):
    w = _window(qtbot, tmp_path, factory=lambda o, i: Pipeline([]), use_opengl=False)
    assert w.open_spec("video:20")
    qtbot.waitUntil(lambda: w.last_view is not None and w.last_view.index == 0, timeout=WAIT_MS)
    win = w.windowHandle()  # keys through the window system, so the shortcut map sees them as for a user
    w.tracks_panel.table.setFocus()  # a non-text widget has focus: the keys still go to the window
    qtbot.keyClick(win, Qt.Key.Key_End)
    qtbot.waitUntil(lambda: w.last_view.index == 19, timeout=WAIT_MS)
    qtbot.keyClick(win, Qt.Key.Key_Home)
    qtbot.waitUntil(lambda: w.last_view.index == 0, timeout=WAIT_MS)
    qtbot.keyClick(win, Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: w.last_view.index == 1, timeout=WAIT_MS)
    w.activateWindow()
    w.chat.input.setFocus()
    qtbot.waitUntil(w.chat.input.hasFocus, timeout=WAIT_MS)
    for key in (Qt.Key.Key_A, Qt.Key.Key_Space, Qt.Key.Key_B):
        qtbot.keyClick(win, key)
    assert w.chat.input.text() == "a b" and w.controller.state == "paused"  # Space typed, not played
    qtbot.keyClick(w.chat.input, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not w.chat.input.hasFocus(), timeout=WAIT_MS)
    w.close()


def test_narration_digest_groups_by_label():
    d = NarrationDigest(window_s=5.0)
    ev = [Event(1.0, 10, "confirmed", track_id=i) for i in (1, 2, 3)] + [Event(2.0, 20, "ended", track_id=4)]
    d.add(Narration(1.0, "New object #1", tuple(ev[:3])), {1: "person", 2: "person", 3: "chair"})
    d.add(Narration(2.0, "object #4 left", tuple(ev[3:])), {4: "person"})
    line = d.flush(2.0)
    assert line.text == "2 people, 1 chair entered; person #4 left" and line.frame == 10 and len(line.details) == 2
    d.add(Narration(3.0, "x", (Event(3.0, 30, "ended", track_id=1),)), {})
    assert d.flush(3.0) is None  # rate-limited
    assert d.flush(7.5).text == "Person #1 left"
    assert plural("box", 2) == "2 boxes"


def _pt(x: float, y: float):
    from PySide6.QtCore import QPoint

    return QPoint(int(x), int(y))
