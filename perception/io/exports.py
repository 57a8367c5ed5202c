"""Track exports: MOTChallenge txt, JSON (with RLE masks) and CSV, recorded frame by frame to disk, written atomically."""

from __future__ import annotations

import csv
import json
import os
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import numpy as np

from perception.io.atomic import atomic_open
from perception.io.mot import format_mot_rows
from perception.types import UNLABELLED, FrameResult, InputError

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


class TrackRecorder:
    """Frame-keyed track rows for export: adding a frame again replaces its rows; memory stays flat.

    Rows go as one JSON line per frame to an anonymous temporary file (gone when closed, or when the
    process dies); only a small index (frame, offset, length, rows) is kept in memory. With
    ``keep=False`` only row counts are kept (no export asked). Thread-safe: one thread may add while
    another writes an export.
    """

    def __init__(self, keep: bool = True, spool_dir: str | os.PathLike[str] | None = None):
        self.keep = keep
        self._spool_dir = spool_dir
        self._spool: IO[bytes] | None = None
        self._end = 0
        self._index = np.zeros((0, 4), np.int64)  # frame, offset, length, rows: one line per add, latest wins
        self._n = 0
        self._rows = 0
        self.skipped_rows = 0  # rows with non-finite boxes, never exported
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return self._rows

    def __enter__(self) -> TrackRecorder:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Drop the spooled rows."""
        with self._lock:
            if self._spool is not None:
                self._spool.close()
                self._spool = None

    def add(self, result: FrameResult) -> None:
        """Record the tracks of one frame (frame numbers are stored 1-based, as MOTChallenge)."""
        t = result.tracks
        finite = np.isfinite(t.xyxy).all(axis=1) & np.isfinite(t.scores)
        frame = result.index + 1
        line = b""
        if self.keep and finite.any():
            keep = np.flatnonzero(finite)
            row = {"frame": frame, "ids": t.ids[keep].tolist(), "xyxy": t.xyxy[keep].tolist(),
                   "scores": t.scores[keep].tolist(), "states": t.states[keep].tolist(),
                   "class_ids": t.class_ids[keep].tolist(), "labels": [str(v) for v in t.labels[keep]]}
            if t.masks is not None:
                row["masks"] = [rle_encode(t.masks[k]) for k in keep]
            line = json.dumps(row, separators=(",", ":")).encode() + b"\n"
        with self._lock:
            self.skipped_rows += int((~finite).sum())
            self._replace(frame, int(finite.sum()))
            if line:
                spool = self._open_spool()
                os.pwrite(spool.fileno(), line, self._end)
                self._index[self._n - 1, 1:3] = (self._end, len(line))
                self._end += len(line)

    def _replace(self, frame: int, rows: int) -> None:
        """Retire the frame's earlier rows and append its index line (under the lock)."""
        earlier = np.flatnonzero(self._index[:self._n, 0] == frame) if self._n else ()
        for k in earlier:
            self._rows -= int(self._index[k, 3])
            self._index[k, 3] = -1
        if self._n == len(self._index):
            self._index = np.resize(self._index, (max(1024, 2 * self._n), 4))
        self._index[self._n] = (frame, -1, 0, rows)
        self._n += 1
        self._rows += rows

    def _open_spool(self) -> IO[bytes]:
        if self._spool is None:
            self._spool = tempfile.TemporaryFile(prefix=".tracks-", dir=self._spool_dir)
        return self._spool

    def frames(self) -> Iterator[dict]:
        """Each recorded frame's rows, in frame order: ``{"frame", "ids", "xyxy", "scores", "states", "masks"?}``."""
        with self._lock:
            live = self._index[:self._n][(self._index[:self._n, 3] > 0) & (self._index[:self._n, 1] >= 0)]
            fd = None if self._spool is None else os.dup(self._spool.fileno())
        if fd is None:
            return
        try:
            for frame, offset, length, _ in live[np.argsort(live[:, 0], kind="stable")]:
                yield json.loads(os.pread(fd, int(length), int(offset)))
        finally:
            os.close(fd)

    def _box_rows(self, by_id: bool) -> Iterator[tuple[int, np.ndarray, np.ndarray, np.ndarray, list]]:
        """Per frame (rows sorted by id when ``by_id``, else as recorded): (frame, ids, xywh, scores, classes),
        ``classes`` a (class id, label) pair per row."""
        for r in self.frames():
            ids, xyxy = np.asarray(r["ids"], np.int64), np.asarray(r["xyxy"], np.float64).reshape(-1, 4)
            order = np.argsort(ids, kind="stable") if by_id else np.arange(len(ids))
            xywh = np.column_stack([xyxy[:, :2], xyxy[:, 2:] - xyxy[:, :2]])
            classes = list(zip(r.get("class_ids", [0] * len(ids)), r.get("labels", [UNLABELLED] * len(ids))))
            yield (r["frame"], ids[order], xywh[order], np.asarray(r["scores"], np.float64)[order],
                   [classes[k] for k in order])

    def write(self, path: str | os.PathLike[str], fmt: str | None = None) -> Path:
        """Stream everything recorded so far to ``path`` atomically; returns the path written."""
        fmt = format_for(path, fmt)
        if not self.keep:
            raise RuntimeError("this recorder only counts rows (keep=False); it cannot export")
        with atomic_open(path, "w") as f:
            if fmt == "mot":
                for frame, ids, xywh, scores, _ in self._box_rows(by_id=True):
                    f.write(format_mot_rows(np.full(len(ids), frame), ids, xywh, scores))
            elif fmt == "csv":
                w = csv.writer(f, lineterminator="\n")
                w.writerow(["frame", "id", "x", "y", "width", "height", "score", "class_id", "label"])
                for frame, ids, xywh, scores, classes in self._box_rows(by_id=False):
                    w.writerows([frame, int(i), f"{b[0]:.2f}", f"{b[1]:.2f}", f"{b[2]:.2f}", f"{b[3]:.2f}", f"{s:.4f}",
                                 int(c), lab] for i, b, s, (c, lab) in zip(ids, xywh, scores, classes))
            else:
                f.write(json.dumps(_JSON_HEAD, separators=(",", ":"))[:-1] + ',"frames":[')
                for k, r in enumerate(self.frames()):
                    f.write(("," if k else "") + json.dumps(_json_frame(r), separators=(",", ":")))
                f.write("]}")
        return Path(path)

    def to_json(self) -> dict:
        """JSON-ready tracks: ``{"frames": [{"frame", "tracks": [{"id", "bbox_xyxy", "score", "state", "class_id",
        "label", "mask"?}]}]}``."""
        return {**_JSON_HEAD, "frames": [_json_frame(r) for r in self.frames()]}


_JSON_HEAD = {"format": "perception-studio-tracks", "version": 1, "frame_base": 1}


def _json_frame(r: dict) -> dict:
    """One spooled frame in the JSON export's shape."""
    tracks = []
    for k, track_id in enumerate(r["ids"]):
        item = {"id": int(track_id), "bbox_xyxy": [round(float(v), 2) for v in r["xyxy"][k]],
                "score": round(float(r["scores"][k]), 4), "state": int(r["states"][k]),
                "class_id": int(r.get("class_ids", [0] * (k + 1))[k]), "label": str(r.get("labels", [UNLABELLED] * (k + 1))[k])}
        if "masks" in r:
            item["mask"] = r["masks"][k]
        tracks.append(item)
    return {"frame": r["frame"], "tracks": tracks}
