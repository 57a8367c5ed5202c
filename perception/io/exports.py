"""Track exports: MOTChallenge txt, JSON (with RLE masks) and CSV, recorded frame by frame, written atomically."""

from __future__ import annotations

import csv
import io
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from perception.io.atomic import atomic_write_text
from perception.io.mot import write_mot
from perception.types import FrameResult, InputError

TRACK_FORMATS = ("mot", "json", "csv")
_EXTENSIONS = {".txt": "mot", ".json": "json", ".csv": "csv"}


def format_for(path: str | os.PathLike[str], fmt: str | None = None) -> str:
    """The export format asked for, or the one implied by the file extension."""
    if fmt is not None:
        if fmt not in TRACK_FORMATS:
            raise InputError(f"unknown track format '{fmt}'; choose one of: {', '.join(TRACK_FORMATS)}")
        return fmt
    ext = Path(path).suffix.lower()
    if ext not in _EXTENSIONS:
        raise InputError(f"cannot tell the track format from '{Path(path).name}'; use .txt, .json or .csv, or pass --format")
    return _EXTENSIONS[ext]


def rle_encode(mask: np.ndarray) -> dict:
    """COCO-style uncompressed RLE of an HxW bool mask (column-major runs, starting with zeros)."""
    flat = np.asarray(mask, dtype=bool).ravel(order="F")
    change = np.flatnonzero(np.diff(flat.astype(np.int8))) + 1
    bounds = np.concatenate(([0], change, [flat.size]))
    counts = np.diff(bounds).tolist()
    if flat.size and flat[0]:
        counts = [0] + counts
    return {"size": [int(mask.shape[0]), int(mask.shape[1])], "counts": counts}


def rle_decode(rle: dict) -> np.ndarray:
    """Inverse of rle_encode."""
    h, w = rle["size"]
    counts = np.asarray(rle["counts"], dtype=np.int64)
    values = np.arange(len(counts)) % 2 == 1
    flat = np.repeat(values, counts)
    if flat.size != h * w:
        raise InputError(f"RLE counts sum to {flat.size}, expected {h * w}")
    return flat.reshape((h, w), order="F")


@dataclass
class _Rows:
    frame: int
    ids: np.ndarray
    xyxy: np.ndarray
    scores: np.ndarray
    states: np.ndarray
    masks: list[dict] | None
    class_ids: np.ndarray
    labels: np.ndarray


class TrackRecorder:
    """Accumulates each frame's tracks (masks kept as RLE) for export at any time."""

    def __init__(self) -> None:
        self._rows: list[_Rows] = []

    def __len__(self) -> int:
        return sum(len(r.ids) for r in self._rows)

    def add(self, result: FrameResult) -> None:
        """Record the tracks of one frame (frame numbers are stored 1-based, as MOTChallenge)."""
        t = result.tracks
        if len(t) == 0:
            return
        masks = None if t.masks is None else [rle_encode(m) for m in t.masks]
        self._rows.append(_Rows(result.index + 1, t.ids.copy(), t.xyxy.copy(), t.scores.copy(), t.states.copy(), masks,
                                t.class_ids.copy(), t.labels.copy()))

    def _arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        if not self._rows:
            return np.zeros(0, int), np.zeros(0, int), np.zeros((0, 4)), np.zeros(0)
        frames = np.concatenate([np.full(len(r.ids), r.frame) for r in self._rows])
        ids = np.concatenate([r.ids for r in self._rows])
        xyxy = np.concatenate([r.xyxy for r in self._rows])
        scores = np.concatenate([r.scores for r in self._rows])
        xywh = np.column_stack([xyxy[:, :2], xyxy[:, 2:] - xyxy[:, :2]])
        return frames, ids, xywh, scores

    def write(self, path: str | os.PathLike[str], fmt: str | None = None) -> Path:
        """Write everything recorded so far; returns the path written."""
        fmt = format_for(path, fmt)
        if fmt == "mot":
            write_mot(path, *self._arrays())
        elif fmt == "csv":
            frames, ids, xywh, scores = self._arrays()
            class_ids = np.concatenate([r.class_ids for r in self._rows]) if self._rows else np.zeros(0, int)
            labels = np.concatenate([r.labels for r in self._rows]) if self._rows else np.zeros(0, object)
            buf = io.StringIO()
            w = csv.writer(buf, lineterminator="\n")
            w.writerow(["frame", "id", "x", "y", "width", "height", "score", "class_id", "label"])
            for fr, i, b, s, c, lab in zip(frames, ids, xywh, scores, class_ids, labels):
                w.writerow([int(fr), int(i), f"{b[0]:.2f}", f"{b[1]:.2f}", f"{b[2]:.2f}", f"{b[3]:.2f}", f"{s:.4f}",
                            int(c), lab])
            atomic_write_text(path, buf.getvalue())
        else:
            atomic_write_text(path, json.dumps(self.to_json(), separators=(",", ":")))
        return Path(path)

    def to_json(self) -> dict:
        """JSON-ready tracks: ``{"frames": [{"frame", "tracks": [{"id", "bbox_xyxy", "score", "state", "class_id",
        "label", "mask"?}]}]}``."""
        frames = []
        for r in self._rows:
            tracks = []
            for k in range(len(r.ids)):
                item = {"id": int(r.ids[k]), "bbox_xyxy": [round(float(v), 2) for v in r.xyxy[k]],
                        "score": round(float(r.scores[k]), 4), "state": int(r.states[k]),
                        "class_id": int(r.class_ids[k]), "label": str(r.labels[k])}
                if r.masks is not None:
                    item["mask"] = r.masks[k]
                tracks.append(item)
            frames.append({"frame": r.frame, "tracks": tracks})
        return {"format": "perception-studio-tracks", "version": 1, "frame_base": 1, "frames": frames}
