"""MOTChallenge text files (det.txt, gt.txt, tracker output): read with validation, write atomically.

Rows are ``frame, id, bb_left, bb_top, bb_width, bb_height, conf, x, y, z`` with 1-based frames.
Reading policy: a wrong column count is an error (the file is not MOT); rows with non-finite
values or non-positive sizes are skipped and counted; rows out of frame order are sorted and counted.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from perception.io.atomic import atomic_open
from perception.types import InputError

MAX_COORD = 1e7  # pixels; larger boxes come from corrupt files and turn into NaN in any arithmetic


@dataclass
class MotTable:
    """Rows of a MOT file as parallel arrays, sorted by frame (1-based)."""

    frames: np.ndarray
    ids: np.ndarray
    xywh: np.ndarray
    scores: np.ndarray
    warnings: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.frames)

    @property
    def xyxy(self) -> np.ndarray:
        """Boxes as Nx4 XYXY."""
        b = self.xywh.copy()
        b[:, 2:] += b[:, :2]
        return b

    def rows_for(self, frame: int) -> np.ndarray:
        """Integer indices of the rows of one (1-based) frame."""
        lo, hi = np.searchsorted(self.frames, [frame, frame + 1])
        return np.arange(lo, hi)

    def split_by_frame(self) -> dict[int, np.ndarray]:
        """Map each 1-based frame number to its row indices."""
        if len(self.frames) == 0:
            return {}
        uniq, starts = np.unique(self.frames, return_index=True)
        ends = np.append(starts[1:], len(self.frames))
        return {int(f): np.arange(s, e) for f, s, e in zip(uniq, starts, ends)}


def read_mot(path: str | os.PathLike[str], min_columns: int = 6) -> MotTable:
    """Read a MOTChallenge file; raise InputError if it is not one (see module policy)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"MOT file not found: {path}")
    rows: list[list[float]] = []
    skipped_nonfinite = skipped_size = skipped_huge = 0
    ncols: int | None = None
    with open(path, encoding="utf-8", errors="replace") as f:
        for lineno, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            parts = [p for p in line.replace(",", " ").split() if p]
            if ncols is None:
                ncols = len(parts)
                if ncols < min_columns or ncols > 10:
                    raise InputError(f"{path}:{lineno}: expected {min_columns} to 10 comma-separated columns "
                                     f"(frame,id,left,top,width,height,conf,...), found {ncols}")
            if len(parts) != ncols:
                raise InputError(f"{path}:{lineno}: has {len(parts)} columns, earlier rows have {ncols}")
            try:
                vals = [float(p) for p in parts]
            except ValueError:
                raise InputError(f"{path}:{lineno}: non-numeric value in '{line[:80]}'") from None
            if not all(math.isfinite(v) for v in vals[:7]):
                skipped_nonfinite += 1
                continue
            if max(abs(v) for v in vals[2:6]) > MAX_COORD:
                skipped_huge += 1
                continue
            if vals[4] <= 0 or vals[5] <= 0:
                skipped_size += 1
                continue
            if vals[0] < 1 or vals[0] >= 2**53 or vals[0] != int(vals[0]) or abs(vals[1]) >= 2**53:
                raise InputError(f"{path}:{lineno}: frame must be a positive integer and id an integer, got {parts[0]}, {parts[1]}")
            rows.append(vals[:7] + [1.0] * (7 - len(vals[:7])))
    arr = np.asarray(rows, dtype=np.float64).reshape(-1, 7)
    warnings: list[str] = []
    if skipped_nonfinite:
        warnings.append(f"{path.name}: skipped {skipped_nonfinite} rows with non-finite values")
    if skipped_huge:
        warnings.append(f"{path.name}: skipped {skipped_huge} rows with coordinates beyond {MAX_COORD:g} pixels")
    if skipped_size:
        warnings.append(f"{path.name}: skipped {skipped_size} rows with non-positive width or height")
    if len(arr) > 1 and np.any(np.diff(arr[:, 0]) < 0):
        warnings.append(f"{path.name}: rows were out of frame order and have been sorted")
        arr = arr[np.argsort(arr[:, 0], kind="stable")]
    return MotTable(arr[:, 0].astype(np.int64), arr[:, 1].astype(np.int64), arr[:, 2:6].copy(), arr[:, 6].copy(), warnings)


def format_mot_rows(frames: np.ndarray, ids: np.ndarray, xywh: np.ndarray, scores: np.ndarray) -> str:
    """MOTChallenge text for rows of (1-based frame, id, box, score); x,y,z written as -1."""
    lines = [f"{int(fr)},{int(i)},{b[0]:.2f},{b[1]:.2f},{b[2]:.2f},{b[3]:.2f},{s:.4f},-1,-1,-1\n"
             for fr, i, b, s in zip(frames, ids, xywh, scores)]
    return "".join(lines)


def write_mot(path: str | os.PathLike[str], frames: np.ndarray, ids: np.ndarray, xywh: np.ndarray,
              scores: np.ndarray) -> None:
    """Write rows atomically as a MOTChallenge file, sorted by frame then id."""
    order = np.lexsort((ids, frames))
    with atomic_open(path, "w") as f:
        f.write(format_mot_rows(frames[order], ids[order], xywh[order], scores[order]))
