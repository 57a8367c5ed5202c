"""Ground truth of a synthetic walkers sequence folder (see mot_scene for the layout)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from perception.io.mot import MotTable, read_mot
from perception.types import InputError


@dataclass
class MotGroundTruth:
    """Visible boxes, full boxes with visibility, simulated detections, per-frame masks and walker facts.

    Tables use 1-based MOT frame numbers; ``mask(index)`` and ``boxes(index)`` take 0-based frame indices
    (the FramePacket index).
    """

    root: Path
    gt: MotTable
    amodal: MotTable
    det: MotTable
    walkers: list[dict]
    n_frames: int

    @classmethod
    def load(cls, root: str | os.PathLike[str]) -> MotGroundTruth:
        """Read the ``gt/`` and ``det/`` files of a synthetic walkers folder."""
        root = Path(root)
        meta_path = root / "gt" / "walkers.json"
        if not meta_path.is_file():
            raise InputError(f"{root} is not a synthetic walkers sequence (no gt/walkers.json)")
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        return cls(root, read_mot(root / "gt" / "gt.txt"), read_mot(root / "gt" / "amodal.txt"),
                   read_mot(root / "det" / "det.txt"), meta["walkers"], int(meta["config"]["n_frames"]))

    def __len__(self) -> int:
        return self.n_frames

    def mask(self, index: int) -> np.ndarray:
        """HxW uint16 visible walker ids (0 = none) of 0-based frame ``index``."""
        path = self.root / "gt" / "masks" / f"{index + 1:06d}.png"
        img = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
        if img is None:
            raise InputError(f"cannot read {path}")
        return img

    def boxes(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        """Ids and XYXY visible boxes of the ground-truth rows of 0-based frame ``index``."""
        rows = self.gt.rows_for(index + 1)
        return self.gt.ids[rows], self.gt.xyxy[rows]
