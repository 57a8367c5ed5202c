"""Replay precomputed per-frame instance masks: ``DIR/N.png`` label images (0 = none) or ``DIR/N.npz``.

An ``.npz`` holds either ``labels`` (HxW int, 0 = none) or ``masks`` (NxHxW bool, optional ``scores``). N is the
frame index of the source; frames without a file have no segments. Lets the map be measured on given masks.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from scipy.ndimage import find_objects

from perception.segmentation.base import Segmentation, colour_features
from perception.types import Detections, FramePacket, InputError


def read_mask_file(path: Path, height: int, width: int) -> np.ndarray:
    """Label image (HxW int32, 0 = none) of one mask file; masks in an .npz are painted largest first."""
    if path.suffix == ".npz":
        try:
            with np.load(path) as data:
                if "labels" in data:
                    lab = np.asarray(data["labels"], np.int64)
                elif "masks" in data:
                    masks = np.asarray(data["masks"], bool)
                    if masks.ndim != 3:
                        raise InputError(f"{path}: masks must be NxHxW, got shape {masks.shape}")
                    lab = np.zeros(masks.shape[1:], np.int64)
                    for i in np.argsort(-masks.sum(axis=(1, 2)), kind="stable"):
                        lab[masks[i]] = i + 1
                else:
                    raise InputError(f"{path} holds neither 'labels' nor 'masks'")
        except (OSError, ValueError) as exc:
            raise InputError(f"cannot read masks {path}: {exc}") from None
    else:
        img = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
        if img is None:
            raise InputError(f"cannot read mask image {path}")
        lab = img if img.ndim == 2 else img[..., 0].astype(np.int64) | img[..., 1].astype(np.int64) << 8
    if lab.shape != (height, width):
        raise InputError(f"{path}: masks of size {lab.shape[1]}x{lab.shape[0]} differ from the frame {width}x{height}")
    return lab.astype(np.int32)


class MaskReplaySegmenter:
    """Segments come from files, one per frame index; ``min_pixels`` drops smaller masks."""

    name = "masks"
    needs_depth = False

    def __init__(self, source: str | Path, min_pixels: int = 50):
        self.folder = Path(source).expanduser()
        if not self.folder.is_dir():
            raise InputError(f"mask folder '{source}' does not exist")
        self.min_pixels = int(min_pixels)

    def _file(self, index: int) -> Path | None:
        for ext in (".png", ".npz"):
            p = self.folder / f"{index}{ext}"
            if p.is_file():
                return p
        return None

    def segment(self, packet: FramePacket) -> Segmentation:
        """The frame's stored masks (none when the folder has no file for it)."""
        h, w = packet.image.shape[:2]
        path = self._file(packet.index)
        if path is None:
            return Segmentation.empty(h, w)
        ids, inv = np.unique(read_mask_file(path, h, w), return_inverse=True)
        inv = inv.reshape(h, w)
        counts = np.bincount(inv.ravel(), minlength=len(ids))
        keep = (ids > 0) & (counts >= self.min_pixels)
        remap = np.full(len(ids), -1, np.int32)
        remap[keep] = np.arange(int(keep.sum()), dtype=np.int32)
        lab = remap[inv]
        n = int(keep.sum())
        if n == 0:
            return Segmentation.empty(h, w)
        masks = np.zeros((n, h, w), bool)
        boxes = np.zeros((n, 4))
        for i, sl in enumerate(find_objects(lab + 1)[:n]):
            masks[i, sl[0], sl[1]] = lab[sl] == i
            boxes[i] = (sl[1].start, sl[0].start, sl[1].stop, sl[0].stop)
        feats = colour_features(packet.image, lab, n)
        return Segmentation(Detections(boxes, scores=np.ones(n), masks=masks, embeddings=feats), lab)
