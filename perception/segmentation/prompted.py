"""SAM prompted by a detector: each detection's box becomes a SAM prompt and its mask rides on the detection.

Inline (``every=0``) SAM runs on every frame. Otherwise it runs on keyframes in a background thread and
every frame reuses the latest keyframe masks: each detection takes the mask of the keyframe box it overlaps
most, moved and scaled from that box to its own; a detection with no such box gets an empty mask.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor

import cv2
import numpy as np

from perception.lifting import paint_labels
from perception.types import Detections, FramePacket, FrameResult, InputError

log = logging.getLogger(__name__)


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of every box of ``a`` (Nx4 XYXY) with every box of ``b`` (Mx4)."""
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.prod(np.clip(rb - lt, 0, None), axis=2)
    area = lambda x: np.prod(np.clip(x[:, 2:] - x[:, :2], 0, None), axis=1)  # noqa: E731
    return inter / np.maximum(area(a)[:, None] + area(b)[None] - inter, 1e-9)


def move_mask(mask: np.ndarray, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """``mask`` (HxW) cut to box ``src``, scaled and moved onto box ``dst``."""
    h, w = mask.shape
    sx0, sy0, sx1, sy1 = np.clip(np.round(src).astype(int), 0, [w, h, w, h])
    dx0, dy0, dx1, dy1 = np.clip(np.round(dst).astype(int), 0, [w, h, w, h])
    out = np.zeros_like(mask)
    if sx1 <= sx0 or sy1 <= sy0 or dx1 <= dx0 or dy1 <= dy0:
        return out
    crop = mask[sy0:sy1, sx0:sx1].astype(np.uint8)
    out[dy0:dy1, dx0:dx1] = cv2.resize(crop, (dx1 - dx0, dy1 - dy0), interpolation=cv2.INTER_NEAREST) > 0
    return out


class PromptedSegmentStage:
    """Pipeline stage "segment" after "detect": SAM masks for the detections (also written as the segments)."""

    name = "segment"

    def __init__(self, segmenter, every: int = 10, min_iou: float = 0.3):
        self.segmenter = segmenter
        self.every = max(0, int(every))
        self.min_iou = float(min_iou)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="prompted-sam") if self.every else None
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Forget the keyframe masks; a keyframe still running is ignored when it finishes."""
        with self._lock:
            self._future: Future | None = None
            self._generation = getattr(self, "_generation", 0) + 1
            self._last_key: int | None = None
            self._key: tuple[np.ndarray, np.ndarray] | None = None  # keyframe boxes and their masks

    def process(self, result: FrameResult) -> FrameResult:
        """Attach a mask to each detection."""
        dets, packet = result.detections, result.packet
        h, w = packet.image.shape[:2]
        feats = None
        if self.every == 0:
            masks, _, feats = self.segmenter.box_masks(packet, dets.xyxy)
        else:
            masks = self._carried(packet, dets.xyxy)
        dets = Detections(dets.xyxy, dets.scores, dets.class_ids, np.asarray(masks, bool).reshape(-1, h, w),
                          dets.embeddings if feats is None else feats, dets.labels)
        result.detections = dets
        result.segments = dets
        result.segment_labels = paint_labels(dets.masks)
        embedding = self.segmenter.image_embedding()
        if embedding is not None:
            result.image_embedding = embedding
        return result

    def _carried(self, packet: FramePacket, boxes: np.ndarray) -> np.ndarray:
        h, w = packet.image.shape[:2]
        with self._lock:
            fut = self._future
            if fut is not None and fut.done():
                self._future = None
                try:
                    key_boxes, key_masks, gen = fut.result()
                except Exception as exc:  # keep streaming on a failed keyframe
                    log.warning("prompted SAM keyframe failed: %s", exc)
                else:
                    if gen == self._generation:
                        self._key = (key_boxes, key_masks)
            due = self._last_key is None or packet.index - self._last_key >= self.every
            if due and self._future is None and len(boxes):
                self._last_key = packet.index
                self._future = self._pool.submit(self._run, packet, boxes.copy(), self._generation)
            key = self._key
        masks = np.zeros((len(boxes), h, w), bool)
        for j, box in enumerate(boxes):
            if key is not None and len(key[0]):
                iou = box_iou(box[None], key[0])[0]
                i = int(iou.argmax())
                if iou[i] >= self.min_iou and key[1][i].shape == (h, w):
                    masks[j] = move_mask(key[1][i], key[0][i], box)
        return masks

    def _run(self, packet: FramePacket, boxes: np.ndarray, gen: int):
        masks, _, _ = self.segmenter.box_masks(packet, boxes)
        return boxes, masks, gen

    def close(self) -> None:
        """Stop the keyframe worker (a keyframe in progress finishes in the background)."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)


def build_prompted_stage(keyframe_every: int | None = None, **options) -> PromptedSegmentStage:
    """SAM in prompted mode (``options`` go to SamSegmenter) as the stage after a detector; ``keyframe_every``
    frames between SAM runs (default 10, 0 = every frame, inline)."""
    from perception.segmentation.sam.segmenter import SamSegmenter

    try:
        sam = SamSegmenter(mode="prompted", **options)
    except TypeError as exc:
        raise InputError(f"bad options for segmenter 'sam': {exc}") from None
    return PromptedSegmentStage(sam, 10 if keyframe_every is None else keyframe_every)
