"""The headless CLI: track/run end to end, summary JSON, and one clear line for every bad input."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest

from perception.cli import main
from perception.io.mot import read_mot
from tests.conftest import REPO_ROOT


def _error_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: "), err
    return err[0]


def test_track_exports_mot_tracks_and_summary_json(shared_data, tmp_path, capsys):
    out, summary = tmp_path / "t.txt", tmp_path / "s.json"
    assert main(["track", "--mot-seq", str(shared_data / "mot/TUD-Campus"), "--out", str(out),
                 "--tracker", "iou", "--summary-json", str(summary), "-q"]) == 0
    table = read_mot(out)
    assert len(table) > 100 and table.frames.min() >= 1 and table.frames.max() <= 71
    doc = json.loads(summary.read_text())
    assert doc["frames"] == 71 and doc["fps"] > 0
    assert set(doc["stages"]) == {"detections", "tracker"}
    assert all({"mean_ms", "p95_ms"} <= set(v) for v in doc["stages"].values())


def test_track_on_boxes_alone_when_there_are_no_frames(shared_data, tmp_path):
    seq = tmp_path / "seq"
    (seq / "det").mkdir(parents=True)
    shutil.copy(shared_data / "mot/PETS-S3-MF1/seqinfo.ini", seq)
    shutil.copy(shared_data / "mot/PETS-S3-MF1/det/det.txt", seq / "det")
    out = tmp_path / "t.txt"
    assert main(["track", "--mot-seq", str(seq), "--out", str(out), "--tracker", "iou", "-q"]) == 0
    assert read_mot(out).frames.max() <= 107


def test_existing_output_is_not_overwritten_without_the_flag(shared_data, tmp_path, capsys):
    out = tmp_path / "t.txt"
    out.write_text("keep me\n")
    args = ["track", "--mot-seq", str(shared_data / "mot/TUD-Campus"), "--out", str(out), "--tracker", "iou", "-q"]
    assert main(args) == 2
    assert "--overwrite" in _error_line(capsys) and out.read_text() == "keep me\n"
    assert main(args + ["--overwrite"]) == 0 and out.read_text() != "keep me\n"


@pytest.mark.parametrize("content, expect", [
    (None, "not"),
    (b"", "empty"),
    (b"not a video\n" * 50, "video"),
])
def test_bad_video_inputs_give_one_line(tmp_path, capsys, content, expect):
    path = tmp_path / "clip.mp4"
    if content is not None:
        path.write_bytes(content)
    assert main(["run", "--source", str(path), "-q"]) == 2
    assert expect in _error_line(capsys)


def test_webcam_that_does_not_exist(capsys):
    assert main(["run", "--source", "webcam:99", "-q"]) == 2
    assert "no camera at index 99" in _error_line(capsys)


def test_rgbd_folder_with_a_missing_depth_frame(esam_folder, capsys):
    folder = esam_folder(3)
    (folder / "depth" / "1.png").unlink()
    assert main(["run", "--source", str(folder), "--tracker", "none", "-q"]) == 2
    assert "depth" in _error_line(capsys)


def test_rgbd_folder_with_a_non_finite_pose(esam_folder, capsys):
    folder = esam_folder(3)
    pose = np.loadtxt(folder / "pose" / "0.txt")
    pose[0, 3] = np.nan
    np.savetxt(folder / "pose" / "0.txt", pose)
    assert main(["run", "--source", str(folder), "--tracker", "none", "-q"]) == 2
    assert "pose" in _error_line(capsys)


def test_cli_prints_no_traceback_in_a_real_process(tmp_path):
    proc = subprocess.run([sys.executable, str(REPO_ROOT / "main.py"), "run", "--source", str(tmp_path / "nope.mp4")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and proc.stderr.strip().startswith("error:")
