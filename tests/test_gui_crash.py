"""The window survives what used to segfault it under software OpenGL, and a real crash leaves a report.

The app runs in a subprocess under the virtual display with LIBGL_ALWAYS_SOFTWARE=1 (Mesa llvmpipe), so a
segfault fails the test instead of killing pytest. With a llvmpipe OpenGL context open, it answers free-form
questions (loading the sentence-embedding model, torch and triton) and switches the segmenter to SAM with a
small random-weights checkpoint.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("pytestqt")
torch = pytest.importorskip("torch")

from tests.conftest import REPO_ROOT  # noqa: E402

pytestmark = pytest.mark.gui

DRIVER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from app import crash
    from app.preload import preload

    tmp = Path(sys.argv[1])
    ckpt = tmp / "tiny_sam.pth"  # written by the test; torch is not loaded here before the window, as at start-up
    crash.arm()
    native = preload()
    from PySide6.QtCore import QCoreApplication, QSettings, Qt
    from PySide6.QtWidgets import QApplication
    QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_ShareOpenGLContexts)
    app = QApplication([])
    from app.main_window import MainWindow

    w = MainWindow(QSettings(str(tmp / "studio.ini"), QSettings.Format.IniFormat), native_preload=native)
    w.show()

    def wait(cond, what, timeout=240.0):
        end = time.monotonic() + timeout
        while not cond():
            app.processEvents()
            time.sleep(0.005)
            if time.monotonic() > end:
                print("TIMEOUT", what, flush=True)
                sys.exit(3)

    wait(lambda: w.cloud_view.canvas is not None, "3D view")
    print("opengl", w.cloud_view.opengl, "software", w.cloud_view.software_gl, flush=True)
    w.transport.speed.setCurrentText("max")
    assert w.open_spec("sample"), w.messages
    w.controller.play()
    wait(lambda: w.controller.last_index >= 20, "frames")
    w.controller.pause()
    wait(lambda: w.cloud_view.snapshot is not None, "3D snapshot")
    w.grab().save(str(tmp / "before.png"))
    answers = []
    w.chat.answered.connect(answers.append)
    for q in ("what happened in the last 10 seconds?", "describe the scene please"):
        n = len(answers)
        w.chat.ask(q)
        wait(lambda: len(answers) > n and not w.chat.busy, "answer to " + q)
        print("ANSWER", q, "->", answers[-1][:100].replace("\\n", " "), flush=True)
    from perception.segmentation.sam import SamArch
    TINY = SamArch(embed_dim=32, depth=2, num_heads=2, global_attn=(1,), img_size=128, patch_size=16, prompt_dim=32,
                   window_size=4, decoder_depth=1, decoder_mlp_dim=64)
    opts = w.pipeline_panel.options()
    opts.segmenter = "sam"
    opts.segmenter_options = {"checkpoint": str(ckpt), "arch": TINY, "points_per_side": 4, "device": "cpu",
                              "keyframe_every": 0, "min_area": 1}
    assert w.apply_options(opts), w.messages
    start = w.controller.last_index
    w.controller.play()
    wait(lambda: w.controller.last_index >= start + 3, "SAM frames")
    w.controller.pause()
    print("stages", ",".join(w.controller.stage_names()), "triton" in sys.modules, flush=True)
    w.close()
    crash.disarm()
    print("SURVIVED", flush=True)
""")


def _env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ, LIBGL_ALWAYS_SOFTWARE="1", PERCEPTION_STUDIO_CACHE=os.environ.get(
        "PERCEPTION_STUDIO_CACHE", str(Path.home() / ".cache" / "perception-studio")), QT_QPA_PLATFORM="xcb")
    env["PYTHONPATH"] = str(REPO_ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def test_free_form_questions_and_sam_under_software_opengl_do_not_crash(qtbot, tmp_path, artifacts_dir):
    assert os.environ.get("DISPLAY"), "needs the virtual display (pytest-xvfb)"
    from perception.segmentation.sam import SamArch, build_sam_model

    tiny = SamArch(embed_dim=32, depth=2, num_heads=2, global_attn=(1,), img_size=128, patch_size=16, prompt_dim=32,
                   window_size=4, decoder_depth=1, decoder_mlp_dim=64)
    torch.manual_seed(0)
    torch.save(build_sam_model(tiny).state_dict(), tmp_path / "tiny_sam.pth")
    script = tmp_path / "driver.py"
    script.write_text(DRIVER)
    proc = subprocess.run([sys.executable, str(script), str(tmp_path)], cwd=REPO_ROOT, env=_env(tmp_path),
                          capture_output=True, text=True, timeout=540)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"exit {proc.returncode} (139/-11 = segfault):\n{out[-4000:]}"
    assert "SURVIVED" in proc.stdout and out.count("ANSWER") == 2
    assert "opengl True" in proc.stdout, "the 3D view had no OpenGL context: the test proves nothing"
    assert "stages segment," in proc.stdout and "True" in proc.stdout.split("stages", 1)[1].splitlines()[0]
    if (tmp_path / "before.png").exists():
        (tmp_path / "before.png").replace(artifacts_dir / "gui_crash_driver.png")


def test_a_fatal_error_leaves_a_report_the_next_start_offers(qtbot, tmp_path, monkeypatch):
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QPushButton

    from app import crash
    from app.main_window import MainWindow

    env = dict(os.environ, PERCEPTION_STUDIO_CACHE=str(tmp_path))
    code = "from app import crash; crash.arm(); import faulthandler; faulthandler._sigsegv()"
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, env=env, capture_output=True, timeout=120)
    assert proc.returncode != 0
    monkeypatch.setenv("PERCEPTION_STUDIO_CACHE", str(tmp_path))
    report = crash.previous_crash()
    assert report and "Segmentation fault" in report and "crash report" in report
    assert crash.previous_crash() is None  # shown once, then kept as crash.prev.log
    w = MainWindow(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat), use_opengl=False)
    qtbot.addWidget(w)
    with qtbot.waitSignal(w.message_shown) as sig:
        w.offer_crash_report(report)
    assert sig.args[0] == "Previous run crashed"
    assert w.statusBar().findChild(QPushButton, "crash-report-button") is not None
    crash.arm()
    crash.disarm()  # a clean exit leaves no report
    assert not crash.crash_log_path().exists()
    w.close()
