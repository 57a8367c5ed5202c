"""Faults while running: the camera disappearing, a source raising mid-stream, a stage raising on one frame, Ctrl-C.
Frames before the fault are all processed and exported; the run ends with one message naming the fault."""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

import perception.pipeline.session as session
from perception.io.mot import read_mot
from perception.pipeline.factory import PipelineOptions
from perception.pipeline.runner import Pipeline, PipelineStopped, PipelineWorker, run_pipeline
from perception.sources import MemorySource, WebcamSource
from perception.types import Detections, FramePacket
from tests.conftest import REPO_ROOT
from trackers.registry import build_tracker
from trackers.stage import TrackerStage


class _Boxes:
    """A detector stand-in: two boxes a frame, drifting right."""

    name = "boxes"

    def process(self, result):
        x = np.array([10.0, 80.0]) + result.index
        result.detections = Detections(np.column_stack([x, [10.0, 10.0], x + 30, [60.0, 60.0]]))
        return result

    def reset(self) -> None:
        pass

    def close(self) -> None:
        pass


class _Boom:
    """A stage that raises on one frame."""

    name = "boom"

    def __init__(self, at: int):
        self.at = at

    def process(self, result):
        if result.index == self.at:
            raise ValueError(f"cannot handle frame {self.at}")
        return result

    def reset(self) -> None:
        pass

    def close(self) -> None:
        pass


def _pipeline(options, info, extra=()) -> Pipeline:
    return Pipeline([_Boxes(), *extra, TrackerStage(build_tracker("iou", fps=info.fps or 30.0))], on_error=options.on_error)


class _Camera:
    """The part of cv2.VideoCapture a webcam uses: ``frames`` frames, then every read fails (unplugged)."""

    def __init__(self, frames: int):
        self.frames, self.delivered = frames, 0

    def isOpened(self) -> bool:  # noqa: N802 - OpenCV's name
        return True

    def read(self):
        if self.delivered >= self.frames:
            return False, None
        self.delivered += 1
        return True, np.full((120, 160, 3), self.delivered, np.uint8)

    def get(self, prop: int) -> float:
        return 30.0

    def set(self, prop: int, value: float) -> bool:
        return True

    def release(self) -> None:
        pass


class _Flaky(MemorySource):
    """A file or device that raises after ``fail_at`` frames."""

    def __init__(self, n: int, fail_at: int):
        super().__init__([np.full((120, 160, 3), i, np.uint8) for i in range(n)], name="flaky")
        self.fail_at = fail_at

    def read(self) -> FramePacket | None:
        if self._next == self.fail_at:
            raise OSError("device disconnected")
        return super().read()


def test_camera_disappearing_mid_stream_ends_the_run_cleanly(cli, tmp_path, monkeypatch, caplog):
    monkeypatch.setattr(session, "open_source", lambda spec: WebcamSource(0, capture=_Camera(7), retry_delay_s=0))
    monkeypatch.setattr(session, "build_pipeline", _pipeline)
    out = tmp_path / "tracks.txt"
    with caplog.at_level(logging.WARNING):
        # one thread: this fake camera delivers instantly, so a concurrent run would rightly drop frames as stale
        r = cli("run", "--source", "webcam:0", "--export-tracks", out, "-q", "--no-concurrent")
    assert r.code == 0 and r.err == []
    gone = [rec.getMessage() for rec in caplog.records if "stopped delivering" in rec.getMessage()]
    assert gone == ["camera 0 stopped delivering frames after 7 frames (disconnected?)"]
    table = read_mot(out)
    # every frame up to the unplug (the IoU tracker confirms its tracks on their second frame)
    assert sorted(set(table.frames.tolist())) == list(range(2, 8)) and len(table) == 12


def test_source_raising_mid_stream_in_the_worker(tmp_path):
    got, finished = [], threading.Event()
    info = _Flaky(1, 99).info
    worker = PipelineWorker(_Flaky(10, 4), _pipeline(PipelineOptions(on_error="continue"), info), got.append,
                            lambda stats: finished.set())
    worker.start()
    assert finished.wait(30) and worker.join(5)
    assert [r.index for r in got] == [0, 1, 2, 3]
    assert worker.stats.source_error == "flaky: device disconnected"
    assert not worker.running


def test_source_raising_mid_stream_ends_a_headless_run_cleanly(cli, tmp_path, monkeypatch):
    monkeypatch.setattr(session, "open_source", lambda spec: _Flaky(20, 8))
    monkeypatch.setattr(session, "build_pipeline", _pipeline)
    out = tmp_path / "tracks.txt"
    r = cli("run", "--source", "flaky", "--export-tracks", out, "-q")
    assert r.code == 1 and r.err == []
    assert [line for line in r.out.splitlines() if "disconnected" in line] == ["source stopped: flaky: device disconnected"]
    assert sorted(set(read_mot(out).frames.tolist())) == list(range(2, 9))  # frames 1-8, all exported


def test_stage_raising_on_one_frame_is_reported_and_the_run_continues(cli, shared_data, tmp_path, monkeypatch):
    monkeypatch.setattr(session, "build_pipeline", lambda o, i: _pipeline(o, i, [_Boom(3)]))
    out, summary = tmp_path / "tracks.json", tmp_path / "summary.json"
    r = cli("run", "--source", shared_data / "mot/TUD-Campus", "--max-frames", "8",
            "--export-tracks", out, "--summary-json", summary, "-q")
    assert r.code == 0
    line = "stage 'boom' failed on frame 3: ValueError: cannot handle frame 3"
    assert f"stage errors: 1 (first: {line})" in r.out
    doc = json.loads(summary.read_text())
    assert doc["frames"] == 8 and doc["errors"] == 1 and doc["first_errors"] == [line]
    frames = [f["frame"] for f in json.loads(out.read_text())["frames"]]
    assert frames == list(range(2, 9))  # frame 3 still tracked: the later stages ran


def test_stage_raising_with_the_stop_policy_stops_after_that_frame():
    info = _Flaky(1, 99).info
    seen = []
    options = PipelineOptions(on_error="stop")
    with pytest.raises(PipelineStopped) as exc:
        run_pipeline(_Flaky(10, 99), _pipeline(options, info, [_Boom(5)]), on_result=lambda r: seen.append(r.index))
    assert exc.value.error.frame_index == 5 and exc.value.error.stage == "boom"
    assert seen == [0, 1, 2, 3, 4]
    got, finished = [], threading.Event()
    worker = PipelineWorker(_Flaky(10, 99), _pipeline(options, info, [_Boom(5)]), got.append, lambda s: finished.set())
    worker.start()
    assert finished.wait(30) and worker.join(5)
    assert [r.index for r in got] == [0, 1, 2, 3, 4]
    assert [str(e) for e in worker.stats.errors] == ["stage 'boom' failed on frame 5: ValueError: cannot handle frame 5"]


def test_stop_policy_on_the_cli_is_one_line_and_keeps_exports(cli, tmp_path, monkeypatch):
    monkeypatch.setattr(session, "open_source", lambda spec: _Flaky(20, 99))
    monkeypatch.setattr(session, "build_pipeline", lambda o, i: _pipeline(o, i, [_Boom(5)]))
    out = tmp_path / "tracks.txt"
    r = cli("run", "--source", "x", "--on-error", "stop", "--export-tracks", out, "-q")
    assert r.code == 1 and r.error.startswith("error: stage 'boom' failed on frame 5: ValueError: cannot handle frame 5")
    assert sorted(set(read_mot(out).frames.tolist())) == list(range(2, 6))  # frames 1-5 exported, complete


def _wait_for_progress(proc: subprocess.Popen, frames: int, timeout: float) -> None:
    """Read the progress bar (``N/71 [``) on stderr until it shows ``frames`` frames done."""
    seen = ""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        chunk = os.read(proc.stderr.fileno(), 4096).decode(errors="replace")
        if not chunk:
            break
        seen += chunk
        if max((int(n) for n in re.findall(r"(\d+)/\d+ \[", seen)), default=0) >= frames:
            return
    raise AssertionError(f"no progress to {frames} frames: {seen[-500:]}")


def _interrupt(cmd: list[str], after_frames: int) -> tuple[int, str]:
    """Run ``cmd``, send SIGINT once its progress bar shows ``after_frames`` frames; return (exit code, stderr).
    The child starts with Ctrl-C's default action even when pytest itself runs with SIGINT ignored (launched in
    the background by a non-interactive shell), which the child would otherwise inherit and keep."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO_ROOT,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        _wait_for_progress(proc, after_frames, timeout=120)
        proc.send_signal(signal.SIGINT)
        _, rest = proc.communicate(timeout=60)
    finally:
        proc.kill()
    return proc.returncode, rest.decode(errors="replace")


def test_ctrl_c_during_a_headless_run_keeps_tracks_and_answers_valid(shared_data, tmp_path):
    tracks, answers = tmp_path / "tracks.txt", tmp_path / "answers.json"
    code, err = _interrupt([sys.executable, str(REPO_ROOT / "main.py"), "run", "--source",
                            str(shared_data / "mot/TUD-Campus"), "--detector", "none", "--segmenter", "none",
                            "--tracker", "iou",
                            "--realtime", "1", "--ask", "what happened?", "--answers", str(answers),
                            "--export-tracks", str(tracks)], after_frames=10)
    assert code == 130, err
    assert "Traceback" not in err and f"interrupted: outputs so far written to {tracks}, {answers}" in err
    assert len(read_mot(tracks)) == 0  # valid (no detector, no segmenter: no tracks)
    doc = json.loads(answers.read_text())
    assert 10 <= doc["meta"]["frames"] < 71 and [a["question"] for a in doc["answers"]] == ["what happened?"]


def test_ctrl_c_during_a_headless_run_keeps_the_exports_valid(shared_data, tmp_path):
    out = tmp_path / "tracks.txt"
    code, err = _interrupt([sys.executable, str(REPO_ROOT / "main.py"), "run", "--source",
                            str(shared_data / "mot/TUD-Campus"), "--no-memory", "--realtime", "1", "--export-tracks",
                            str(out)], after_frames=10)
    assert code == 130, err
    assert "Traceback" not in err and f"interrupted: outputs so far written to {out}" in err
    table = read_mot(out)  # a complete, valid file
    assert len(table) > 0 and 10 <= table.frames.max() < 71
