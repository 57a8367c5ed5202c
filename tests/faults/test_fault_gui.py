"""Faults in the desktop app: the window closed during an export, exports to a full disk, a read-only or a
missing folder. Each ends in one message and a window that still works; no export is half-written."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pytestqt")
from PySide6.QtCore import QSettings  # noqa: E402

from app.main_window import MainWindow  # noqa: E402
from perception.io.mot import read_mot  # noqa: E402
from perception.pipeline.runner import Pipeline  # noqa: E402
from perception.sources import MemorySource, open_source  # noqa: E402
from perception.types import Detections  # noqa: E402
from trackers.registry import build_tracker  # noqa: E402
from trackers.stage import TrackerStage  # noqa: E402

pytestmark = pytest.mark.gui
WAIT_MS = 60_000
EARLIER = "1,1,10.00,10.00,5.00,5.00,1.0000,-1,-1,-1\n"


class _Boxes:
    """A detector stand-in: ``n`` boxes per frame, drifting right one pixel a frame."""

    name = "boxes"

    def __init__(self, n: int = 3):
        self.n = n

    def process(self, result):
        x = np.arange(self.n) * 40.0 + result.index
        result.detections = Detections(np.column_stack([x, np.full(self.n, 20.0), x + 30, np.full(self.n, 60.0)]))
        return result

    def reset(self) -> None:
        pass

    def close(self) -> None:
        pass


def _pipeline(options, info) -> Pipeline:
    return Pipeline([_Boxes(), TrackerStage(build_tracker("iou", fps=info.fps))])


def _opener(spec: str):
    if not spec.startswith("mem:"):
        return open_source(spec)
    n = int(spec.split(":")[1])
    return MemorySource([np.full((120, 160, 3), 10 * (i % 20), np.uint8) for i in range(n)], fps=30.0, name=spec)


@pytest.fixture
def window(qtbot, tmp_path):
    w = MainWindow(QSettings(str(tmp_path / "studio.ini"), QSettings.Format.IniFormat), pipeline_factory=_pipeline,
                   source_opener=_opener, use_opengl=False)
    qtbot.addWidget(w)
    w.transport.speed.setCurrentText("max")
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.close()


def _play_to_end(qtbot, w: MainWindow, spec: str) -> None:
    assert w.open_spec(spec, play=True), w.messages
    qtbot.waitUntil(lambda: w.controller.state == "ended", timeout=WAIT_MS)


def test_closing_the_window_during_an_export_finishes_it(window, qtbot, tmp_path, monkeypatch):
    _play_to_end(qtbot, window, "mem:300")
    rows = window.controller.log.track_rows
    assert rows >= 600
    out = tmp_path / "tracks.json"
    out.write_text('{"earlier": true}')
    log = window.controller.log
    started, release = threading.Event(), threading.Event()
    real_write = log.write_tracks

    def slow_write(path, fmt=None):  # the export is mid-way when the window closes
        started.set()
        release.wait(5)
        return real_write(path, fmt)

    monkeypatch.setattr(log, "write_tracks", slow_write)
    window.export_tracks(str(out), "json")
    assert started.wait(10)
    threading.Timer(0.3, release.set).start()
    window.close()
    doc = json.loads(out.read_text())
    assert sum(len(f["tracks"]) for f in doc["frames"]) == rows
    assert not list(tmp_path.glob(".*.part"))


def test_export_to_a_full_disk_keeps_the_previous_file(window, qtbot, tmpfs):
    folder = tmpfs("16k")
    out = folder / "tracks.txt"
    out.write_text(EARLIER)
    _play_to_end(qtbot, window, "mem:300")
    with qtbot.waitSignal(window.export_finished, timeout=WAIT_MS) as sig:
        window.export_tracks(str(out), "mot")
    assert sig.args[0] == "" and "No space left on device" in sig.args[1]
    assert window.messages[-1][0] == "Export tracks failed"
    assert "No space left" in window.statusBar().currentMessage()
    assert out.read_text() == EARLIER and sorted(p.name for p in folder.iterdir()) == ["tracks.txt"]
    with qtbot.waitSignal(window.export_finished, timeout=WAIT_MS) as sig:  # a roomier place works at once
        window.export_tracks(str(folder.parent / "tracks.txt"), "mot")
    assert sig.args[1] == "" and len(read_mot(folder.parent / "tracks.txt")) == window.controller.log.track_rows


def test_export_to_a_read_only_folder_says_so(window, qtbot, tmpfs, remount_ro):
    folder = tmpfs("1m")
    out = folder / "tracks.txt"
    out.write_text(EARLIER)
    remount_ro(folder)
    _play_to_end(qtbot, window, "mem:10")
    with qtbot.waitSignal(window.export_finished, timeout=WAIT_MS) as sig:
        window.export_tracks(str(out), "mot")
    assert "not writable" in sig.args[1] and window.messages[-1][0] == "Export tracks failed"
    assert out.read_text() == EARLIER


def test_export_to_a_missing_folder_says_so(window, qtbot, tmp_path: Path):
    _play_to_end(qtbot, window, "mem:10")
    with qtbot.waitSignal(window.export_finished, timeout=WAIT_MS) as sig:
        window.export_tracks(str(tmp_path / "gone" / "tracks.txt"), "mot")
    assert "does not exist" in sig.args[1] and "gone" in window.statusBar().currentMessage()
    assert not (tmp_path / "gone").exists()


def _zero_byte(root: Path, esam_folder) -> tuple[str, str]:
    (root / "empty.mp4").write_bytes(b"")
    return str(root / "empty.mp4"), "empty (0 bytes)"


def _nan_pose(root: Path, esam_folder) -> tuple[str, str]:
    folder = esam_folder(2)
    (folder / "pose" / "1.txt").write_text("nan 0 0 0\n0 1 0 0\n0 0 1 0\n0 0 0 1\n")
    return str(folder), "non-finite"


def _no_images(root: Path, esam_folder) -> tuple[str, str]:
    (root / "seq" / "img1").mkdir(parents=True)
    (root / "seq" / "img1" / "000001.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    return str(root / "seq"), "can be decoded"


@pytest.mark.parametrize("make", [_zero_byte, _nan_pose, _no_images], ids=["zero-byte-video", "nan-pose", "undecodable"])
def test_bad_file_opened_in_the_window_is_one_message(window, qtbot, tmp_path, esam_folder, make):
    spec, words = make(tmp_path, esam_folder)
    with qtbot.waitSignal(window.message_shown, timeout=WAIT_MS) as sig:
        assert not window.open_spec(spec)
    assert sig.args[0] == "Cannot open source" and words in sig.args[1]
    assert "Cannot open source" in window.statusBar().currentMessage() and len(window.messages) == 1
    _play_to_end(qtbot, window, "mem:3")  # and the window still plays what opens
