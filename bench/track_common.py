"""Shared bench helpers: run boxmot peers in their own venv through a subprocess, score with TrackEval."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from perception.io.mot import MotTable, read_mot, write_mot
from perception.testing.replay import ReplayResult, sequence_info
from trackers.scores import normalise_scores

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data" / "mot"
SEQUENCES = ("TUD-Campus", "PETS-S3-MF1")
BOXMOT_PYTHON = Path(os.environ.get("BOXMOT_VENV", REPO.parent / "boxmot-venv")) / "bin" / "python"


def boxmot_available() -> bool:
    """True when the separate boxmot venv exists; otherwise say how to make it."""
    if BOXMOT_PYTHON.is_file():
        return True
    print(f"boxmot venv MISSING: {BOXMOT_PYTHON} not found. Peers are skipped. Create it OUTSIDE the repo with:\n"
          f"  python3 -m venv {BOXMOT_PYTHON.parent.parent} && {BOXMOT_PYTHON.parent}/pip install boxmot\n"
          "(or set BOXMOT_VENV). boxmot is AGPL: it must never be installed into the product's .venv.")
    return False


def run_peer(name: str, seq_dir: Path, detections: MotTable | None = None) -> ReplayResult:
    """Run boxmot's ``name`` tracker on the sequence with the same normalised scores our trackers get."""
    info = sequence_info(seq_dir)
    table = detections if detections is not None else read_mot(seq_dir / "det" / "det.txt")
    with tempfile.TemporaryDirectory(prefix="peer-") as tmp:
        dets, out = Path(tmp) / "dets.npz", Path(tmp) / "out.npz"
        np.savez(dets, frames=table.frames, xyxy=table.xyxy, scores=normalise_scores(table.scores))
        cmd = [str(BOXMOT_PYTHON), str(REPO / "bench" / "boxmot_runner.py"), "--tracker", name, "--dets", str(dets),
               "--seq", str(seq_dir), "--fps", str(info.fps), "--length", str(info.length), "--out", str(out)]
        env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
        if proc.returncode != 0:
            sys.exit(f"boxmot {name} failed:\n{proc.stderr[-2000:]}")
        res = np.load(out)
        rows, times, cpu = res["rows"], res["update_s"], res["update_cpu_s"]
    return ReplayResult(rows[:, 0].astype(int), rows[:, 1].astype(int), rows[:, 2:6], rows[:, 6], times, cpu)


def score(result: ReplayResult, seq_dir: Path) -> dict:
    """TrackEval metrics of one result on one sequence."""
    from trackers.evaluation import evaluate_mot

    with tempfile.TemporaryDirectory(prefix="score-") as tmp:
        path = Path(tmp) / "tracks.txt"
        write_mot(path, result.frames, result.ids, result.xywh, result.scores)
        return evaluate_mot(seq_dir, path)["combined"]


def fmt(name: str, m: dict) -> str:
    """One table row."""
    return (f"  {name:<22} HOTA {100 * m['HOTA']:5.1f}  DetA {100 * m['DetA']:5.1f}  AssA {100 * m['AssA']:5.1f}  "
            f"MOTA {100 * m['MOTA']:6.1f}  IDF1 {100 * m['IDF1']:5.1f}  IDsw {m['IDsw']:3d}")
