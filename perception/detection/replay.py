"""Replay detections from a file, one frame at a time: a MOTChallenge det.txt or a JSON of boxes/labels/masks.

JSON: ``{"frames": [{"frame": F, "detections": [{"bbox_xyxy": [x1, y1, x2, y2], "score"?, "label"?,
"class_id"?, "mask"? (RLE as in track exports)}]}]}`` (or the bare list of frames); ``frame_base`` (default 1,
as MOT and the track exports) says which number the first frame has.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from perception.io.exports import rle_decode
from perception.io.mot import read_mot
from perception.types import Detections, FramePacket, InputError
from trackers.scores import normalise_scores

MOT_LABEL = "person"  # MOTChallenge public detections are pedestrian detections


def det_file_of(path: str | os.PathLike[str]) -> Path:
    """The detections file a ``file:`` path names: the file itself, or a MOT folder's det/det.txt."""
    path = Path(path).expanduser()
    if path.is_dir():
        path = path / "det" / "det.txt"
    if not path.is_file():
        raise InputError(f"detections file not found: {path}")
    return path


class FileDetector:
    """Detections of each frame looked up by frame index (packet index 0 = file frame ``frame_base``)."""

    def __init__(self, path: str | os.PathLike[str], names: tuple[str, ...] | None = None, label: str = MOT_LABEL):
        self.path = det_file_of(path)
        self.name = f"file:{self.path}"
        self._frames: dict[int, Detections] = {}
        if self.path.suffix.lower() == ".json":
            self._read_json(names)
        else:
            self._read_mot(label)
        self.class_names = tuple(sorted({str(v) for d in self._frames.values() for v in d.labels}))

    def _read_mot(self, label: str) -> None:
        table = read_mot(self.path)
        scores = normalise_scores(table.scores)
        xyxy = table.xyxy
        for frame, rows in table.split_by_frame().items():
            self._frames[frame - 1] = Detections(xyxy[rows], scores[rows], labels=[label] * len(rows))

    def _read_json(self, names: tuple[str, ...] | None) -> None:
        try:
            doc = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InputError(f"cannot read detections JSON {self.path}: {exc}") from None
        frames = doc.get("frames") if isinstance(doc, dict) else doc
        base = int(doc.get("frame_base", 1)) if isinstance(doc, dict) else 1
        if not isinstance(frames, list):
            raise InputError(f"{self.path}: expected a list of frames or {{\"frames\": [...]}}")
        for k, fr in enumerate(frames):
            try:
                self._frames[int(fr["frame"]) - base] = self._frame(fr.get("detections", fr.get("tracks", [])), names)
            except (KeyError, TypeError, ValueError) as exc:
                raise InputError(f"{self.path}: frame entry {k} is malformed ({type(exc).__name__}: {exc})") from None

    @staticmethod
    def _frame(items: list[dict], names: tuple[str, ...] | None) -> Detections:
        boxes = np.array([it["bbox_xyxy"] for it in items], float).reshape(-1, 4)
        ids = np.array([int(it.get("class_id", 0)) for it in items], np.int64)
        labels = [it.get("label") or (names[i] if names and 0 <= i < len(names) else "object")
                  for it, i in zip(items, ids)]
        masks = None
        if items and all("mask" in it for it in items):
            masks = np.stack([rle_decode(it["mask"]) for it in items])
        return Detections(boxes, [float(it.get("score", 1.0)) for it in items], ids, masks, labels=labels)

    def detect(self, packet: FramePacket) -> Detections:
        """The stored detections of this frame (none when the file has no row for it)."""
        dets = self._frames.get(packet.index)
        if dets is None:
            return Detections.empty()
        if dets.masks is not None and dets.masks.shape[1:] != packet.image.shape[:2]:
            raise InputError(f"{self.path}: masks of frame {packet.index} are {dets.masks.shape[2]}x"
                             f"{dets.masks.shape[1]}, the frame is {packet.size[0]}x{packet.size[1]}")
        return dets

    def reset(self) -> None:
        """Stateless: the file is read once."""
