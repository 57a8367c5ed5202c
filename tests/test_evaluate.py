"""TrackEval scoring (MOT15 conventions), the `evaluate` command and bad input through the `track` path."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from perception.cli import main
from perception.io.mot import read_mot, write_mot
from perception.types import InputError
from trackers.evaluation import evaluate_mot

REPO = Path(__file__).resolve().parents[1]


def _gt_copy(tmp_path: Path, shared_data: Path, seq: str = "TUD-Campus") -> Path:
    """A sequence folder with the real gt and seqinfo (no images needed for scoring)."""
    dst = tmp_path / "gt" / seq
    (dst / "gt").mkdir(parents=True)
    shutil.copy(shared_data / "mot" / seq / "gt" / "gt.txt", dst / "gt" / "gt.txt")
    shutil.copy(shared_data / "mot" / seq / "seqinfo.ini", dst / "seqinfo.ini")
    return dst


def test_ground_truth_scores_perfectly(shared_data, tmp_path):
    seq = shared_data / "mot" / "TUD-Campus"
    res = evaluate_mot(seq, seq / "gt" / "gt.txt")
    m = res["sequences"]["TUD-Campus"]
    assert m["HOTA"] == pytest.approx(1.0) and m["IDF1"] == pytest.approx(1.0) and m["MOTA"] == pytest.approx(1.0)
    assert m["IDsw"] == 0


def test_swapped_ids_are_counted(shared_data, tmp_path):
    seq = shared_data / "mot" / "PETS-S3-MF1"
    gt = read_mot(seq / "gt" / "gt.txt")
    ids = gt.ids.copy()
    a, b = np.unique(ids)[:2]
    late = gt.frames > 50
    ids[late & (gt.ids == a)], ids[late & (gt.ids == b)] = b, a
    path = tmp_path / "swapped.txt"
    write_mot(path, gt.frames, ids, gt.xywh, np.ones(len(ids)))
    m = evaluate_mot(seq, path)["combined"]
    assert m["IDsw"] >= 2 and m["MOTA"] < 1.0 and m["IDF1"] < 1.0 and m["HOTA"] < 1.0


def test_folder_mode_combines_sequences(shared_data, tmp_path):
    root = tmp_path / "gt"
    tracks = tmp_path / "tracks"
    tracks.mkdir()
    for seq in ("TUD-Campus", "PETS-S3-MF1"):
        _gt_copy(tmp_path, shared_data, seq)
        shutil.copy(shared_data / "mot" / seq / "gt" / "gt.txt", tracks / f"{seq}.txt")
    res = evaluate_mot(root, tracks)
    assert set(res["sequences"]) == {"TUD-Campus", "PETS-S3-MF1"}
    assert res["combined"]["IDF1"] == pytest.approx(1.0)


def test_missing_or_bad_tracks_are_input_errors(shared_data, tmp_path):
    seq = shared_data / "mot" / "TUD-Campus"
    with pytest.raises(InputError, match="not found"):
        evaluate_mot(seq, tmp_path / "nope.txt")
    bad = tmp_path / "bad.txt"
    bad.write_text("1,2,3\n")
    with pytest.raises(InputError, match="columns"):
        evaluate_mot(seq, bad)


def test_track_then_evaluate_commands(shared_data, tmp_path, capsys):
    seq = shared_data / "mot" / "PETS-S3-MF1"
    out, summary = tmp_path / "t.txt", tmp_path / "s.json"
    assert main(["track", "--mot-seq", str(seq), "--out", str(out), "-q"]) == 0
    assert main(["evaluate", "--gt", str(seq), "--tracks", str(out), "--summary-json", str(summary)]) == 0
    printed = capsys.readouterr().out
    assert "HOTA" in printed and "PETS-S3-MF1" in printed
    m = json.loads(summary.read_text())["sequences"]["PETS-S3-MF1"]
    assert m["HOTA"] > 0.5 and m["IDF1"] > 0.8  # the default (graph) tracker on real detections


def _seq_with_det(tmp_path: Path, shared_data: Path, text: str) -> Path:
    seq = tmp_path / "seq"
    (seq / "det").mkdir(parents=True)
    shutil.copy(shared_data / "mot" / "TUD-Campus" / "seqinfo.ini", seq / "seqinfo.ini")
    (seq / "det" / "det.txt").write_text(text)
    return seq


def _run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(REPO / "main.py"), *args], capture_output=True, text=True, cwd=REPO,
                          timeout=120)


def test_track_rejects_wrong_column_count_in_one_line(shared_data, tmp_path):
    seq = _seq_with_det(tmp_path, shared_data, "1,-1,10,10,20\n")
    proc = _run_cli("track", "--mot-seq", str(seq), "--out", str(tmp_path / "t.txt"), "-q")
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1 and "columns" in proc.stderr and "Traceback" not in proc.stderr


def test_track_skips_nan_negative_and_sorts_out_of_order_rows(shared_data, tmp_path):
    rows = ["2,-1,100,100,40,100,0.9,-1,-1,-1", "1,-1,100,100,40,100,0.9,-1,-1,-1",
            "1,-1,nan,100,40,100,0.9,-1,-1,-1", "3,-1,100,100,-40,100,0.9,-1,-1,-1",
            "3,-1,102,100,40,100,0.9,-1,-1,-1"]
    seq = _seq_with_det(tmp_path, shared_data, "\n".join(rows) + "\n")
    out = tmp_path / "t.txt"
    proc = _run_cli("track", "--mot-seq", str(seq), "--out", str(out), "-q")
    assert proc.returncode == 0, proc.stderr
    assert "non-finite" in proc.stderr and "non-positive" in proc.stderr and "sorted" in proc.stderr
    tracks = read_mot(out)
    assert tracks.frames.tolist() == [1, 2, 3] and set(tracks.ids.tolist()) == {1}


def test_missing_trackeval_is_one_error_line_with_the_install_command(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "trackeval", None)  # import trackeval now raises ImportError
    gt = tmp_path / "gt.txt"
    gt.write_text("1,1,10,10,20,40,-1,-1,-1,-1\n")
    assert main(["evaluate", "--gt", str(gt), "--tracks", str(gt)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: evaluation needs TrackEval")
    assert "pip install --no-deps trackeval==1.3.0" in err[0]
