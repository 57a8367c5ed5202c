"""The window's track exports are the CLI's: the same source and pipeline give byte-identical MOT, JSON and CSV
files from `main.py run --export-tracks` and from the window's Export menu (one TrackRecorder behind both)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("pytestqt")
from PySide6.QtCore import QCoreApplication, QSettings, Qt  # noqa: E402

from app.main_window import MainWindow  # noqa: E402
from perception.pipeline.factory import PipelineOptions  # noqa: E402

pytestmark = pytest.mark.gui
QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_ShareOpenGLContexts)
REPO_ROOT = Path(__file__).resolve().parents[1]
WAIT_MS = 180_000


@pytest.mark.parametrize("detector", ["file", "motion"])
def test_window_exports_match_the_cli_byte_for_byte(qtbot, tmp_path, shared_data, monkeypatch, detector):
    seq = shared_data / "mot" / "TUD-Campus"
    name = f"file:{seq / 'det' / 'det.txt'}" if detector == "file" else detector
    cache = tmp_path / "cache"  # no cached weights: the same detector runs in both
    monkeypatch.setenv("PERCEPTION_STUDIO_CACHE", str(cache))
    env = dict(os.environ, PERCEPTION_STUDIO_CACHE=str(cache))
    cli, gui = tmp_path / "cli", tmp_path / "gui"
    cli.mkdir()
    gui.mkdir()
    for ext in ("txt", "json", "csv"):
        subprocess.run([sys.executable, str(REPO_ROOT / "main.py"), "run", "--source", str(seq), "--detector", name,
                        "--no-memory", "--export-tracks", str(cli / f"t.{ext}"), "-q"],
                       check=True, env=env, cwd=tmp_path, capture_output=True, timeout=300)

    w = MainWindow(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat), use_opengl=False)
    qtbot.addWidget(w)
    w.transport.speed.setCurrentText("max")
    w.controller.options = PipelineOptions(detector=name, memory=False)
    w.show()
    assert w.open_spec(str(seq), play=True), w.messages
    qtbot.waitUntil(lambda: w.controller.state == "ended", timeout=WAIT_MS)
    assert w.controller.detector_name() == name and w.controller.last_index == 70
    for ext in ("txt", "json", "csv"):
        with qtbot.waitSignal(w.export_finished, timeout=WAIT_MS) as sig:
            w.export_tracks(str(gui / f"t.{ext}"))
        assert sig.args[1] == ""
        want = (cli / f"t.{ext}").read_bytes()
        assert len(want) > 1000 and (gui / f"t.{ext}").read_bytes() == want, ext
    w.close()
