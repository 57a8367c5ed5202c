"""What every segmenter returns, the segmenter protocol, and helpers shared by the implementations."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import cv2
import numpy as np
from scipy import ndimage

from perception.types import Detections, FramePacket


@dataclass
class Segmentation:
    """Masks of one frame as Detections plus the same partition as a label image (HxW int32, -1 = none);
    ``image_embedding`` (D,) float32 is a pooled whole-image feature when the segmenter has one (SAM); ``thin`` (N,)
    bool marks thin objects lying on a plane (a marker on a table), which lift into few voxels, when it knows them."""

    detections: Detections
    labels: np.ndarray
    image_embedding: np.ndarray | None = None
    thin: np.ndarray | None = None

    @classmethod
    def empty(cls, height: int, width: int) -> Segmentation:
        """No segments."""
        return cls(Detections(np.zeros((0, 4)), masks=np.zeros((0, height, width), bool)),
                   np.full((height, width), -1, np.int32))

    @classmethod
    def from_low_res(cls, lab: np.ndarray, image: np.ndarray, stride: int, min_pixels: int = 0,
                     scores: np.ndarray | None = None, small: np.ndarray | None = None,
                     thin: np.ndarray | None = None) -> Segmentation:
        """Build from a label image computed on ``image[::stride, ::stride]`` (``small``: that grid's colours, when the
        caller has them; ``thin``: per label, a thin object lying on a plane): drop small segments, upsample."""
        height, width = image.shape[:2]
        n = int(lab.max()) + 1
        if n <= 0:
            return cls.empty(height, width)
        counts = np.bincount(lab[lab >= 0], minlength=n) * stride * stride
        keep = np.flatnonzero(counts >= max(min_pixels, 1))
        remap = np.full(n + 1, -1, np.int32)
        remap[keep] = np.arange(len(keep), dtype=np.int32)
        lab = remap[lab]  # -1 indexes the last entry, which is -1
        if len(keep) == 0:
            return cls.empty(height, width)
        full = cv2.resize(lab, (width, height), interpolation=cv2.INTER_NEAREST)
        masks = np.zeros((len(keep), height, width), bool)
        boxes = np.zeros((len(keep), 4))
        for i, sl in enumerate(ndimage.find_objects(lab + 1)[: len(keep)]):
            y0, y1 = sl[0].start * stride, min(sl[0].stop * stride, height)
            x0, x1 = sl[1].start * stride, min(sl[1].stop * stride, width)
            np.equal(full[y0:y1, x0:x1], i, out=masks[i, y0:y1, x0:x1])
            boxes[i] = (x0, y0, x1, y1)
        feats = colour_features(subsample(image, stride) if small is None else small, lab, len(keep))
        sc = None if scores is None else np.asarray(scores)[keep]
        return cls(Detections(boxes, scores=sc, masks=masks, embeddings=feats), full,
                   thin=None if thin is None else np.asarray(thin, bool)[keep])


def subsample(image: np.ndarray, step: int) -> np.ndarray:
    """``image[::step, ::step]`` of an HxWx3 uint8 image as a new contiguous array (copied as whole 3-byte pixels,
    about twice as fast as NumPy's byte-wise copy of the strided view)."""
    pixels = np.ascontiguousarray(image).view(np.dtype((np.void, 3))).reshape(image.shape[:2])[::step, ::step]
    return np.ascontiguousarray(pixels).view(np.uint8).reshape(*pixels.shape, 3)


# per HSV channel: its bin's column in the descriptor (hue x 3 + saturation, 24 + value)
_HSV_BINS = np.stack([np.arange(256) * 8 // 180 * 3, np.arange(256) * 3 // 256, np.arange(256) * 4 // 256 + 24],
                     axis=1).astype(np.uint8)[None]


def colour_features(image_bgr: np.ndarray, lab: np.ndarray, n: int) -> np.ndarray:
    """Per-segment colour descriptor (n x 28, unit length): hue x saturation and value histograms."""
    hsv = cv2.cvtColor(np.ascontiguousarray(image_bgr), cv2.COLOR_BGR2HSV)
    col = cv2.LUT(hsv, _HSV_BINS).reshape(-1, 3)
    row = np.where(lab >= 0, lab * 28, n * 28).ravel()  # unlabelled pixels count in an extra row, dropped
    key = np.concatenate([row + (col[:, 0] + col[:, 1]), row + col[:, 2]])
    f = np.sqrt(np.bincount(key, minlength=(n + 1) * 28)[: n * 28].reshape(n, 28).astype(np.float32))
    return f / np.maximum(np.linalg.norm(f, axis=1, keepdims=True), 1e-9)


@runtime_checkable
class Segmenter(Protocol):
    """Frame in, masks (with scores and optional per-mask features) out."""

    name: str
    needs_depth: bool

    def segment(self, packet: FramePacket) -> Segmentation:
        """Segment one frame."""
        ...
