"""Replay a MOTChallenge sequence's detections through a tracker, frame by frame, outside the pipeline.

Used by tests and benchmarks, which need per-update timings and in-memory results.
"""

from __future__ import annotations

import configparser
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from perception.io.mot import MotTable, read_mot, write_mot
from perception.types import Detections, InputError
from trackers.base import Tracker
from trackers.scores import normalise_scores


@dataclass(frozen=True)
class SequenceInfo:
    """What seqinfo.ini says about a sequence."""

    name: str
    fps: float
    length: int
    width: int
    height: int


def sequence_info(seq_dir: str | Path) -> SequenceInfo:
    """Read ``<seq>/seqinfo.ini``."""
    seq_dir = Path(seq_dir)
    cfg = configparser.ConfigParser()
    if not cfg.read(seq_dir / "seqinfo.ini"):
        raise InputError(f"seqinfo.ini not found in {seq_dir}")
    s = cfg["Sequence"]
    return SequenceInfo(s.get("name", seq_dir.name), float(s["frameRate"]), int(s["seqLength"]),
                        int(s["imWidth"]), int(s["imHeight"]))


@dataclass
class ReplayResult:
    """Track rows (1-based frames, MOT order) and the wall and process CPU time of every ``update`` call."""

    frames: np.ndarray
    ids: np.ndarray
    xywh: np.ndarray
    scores: np.ndarray
    update_s: np.ndarray
    update_cpu_s: np.ndarray

    def write(self, path: str | Path) -> None:
        """Write the rows as a MOTChallenge file."""
        write_mot(path, self.frames, self.ids, self.xywh, self.scores)


def replay(tracker: Tracker, seq_dir: str | Path, detections: MotTable | None = None,
           images: bool = True) -> ReplayResult:
    """Run ``tracker`` over the sequence (det/det.txt unless ``detections`` is given; scores normalised)."""
    seq_dir = Path(seq_dir)
    info = sequence_info(seq_dir)
    table = detections if detections is not None else read_mot(seq_dir / "det" / "det.txt")
    scores = normalise_scores(table.scores)
    xyxy = table.xyxy
    by_frame = table.split_by_frame()
    blank = np.zeros((info.height, info.width, 3), np.uint8)
    tracker.reset()
    rows: list[tuple[int, int, np.ndarray, float]] = []
    times, cpu = [], []
    for f in range(1, info.length + 1):
        image = cv2.imread(str(seq_dir / "img1" / f"{f:06d}.jpg")) if images else blank
        if image is None:
            raise InputError(f"cannot read frame {f} of {seq_dir}")
        idx = by_frame.get(f, np.zeros(0, int))
        detections = Detections(xyxy[idx], scores[idx])
        t0, c0 = time.perf_counter(), time.process_time()
        tracks = tracker.update(detections, image if images else None)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
        for box, tid, sc in zip(tracks.xyxy, tracks.ids, tracks.scores):
            rows.append((f, int(tid), np.array([box[0], box[1], box[2] - box[0], box[3] - box[1]]), float(sc)))
    if not rows:
        return ReplayResult(np.zeros(0, int), np.zeros(0, int), np.zeros((0, 4)), np.zeros(0), np.array(times),
                            np.array(cpu))
    return ReplayResult(np.array([r[0] for r in rows]), np.array([r[1] for r in rows]),
                        np.stack([r[2] for r in rows]), np.array([r[3] for r in rows]), np.array(times), np.array(cpu))
