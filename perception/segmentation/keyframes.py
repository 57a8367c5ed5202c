"""Run a slow segmenter on keyframes in a background thread; carry its masks forward with optical flow.

``segment`` never waits for the slow segmenter: it starts a keyframe when the worker is idle, adopts
finished results when they arrive, and otherwise warps the latest label image frame to frame (Farneback).
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor

import cv2
import numpy as np

from perception.segmentation.base import Segmentation, Segmenter
from perception.types import Detections, FramePacket

log = logging.getLogger(__name__)


class AsyncKeyframeSegmenter:
    """Wraps ``inner``; every: frames between keyframe requests; flow_stride: subsampling for the flow."""

    needs_depth = False

    def __init__(self, inner: Segmenter, every: int = 10, flow_stride: int = 4):
        self.inner = inner
        self.name = f"{inner.name}-async"
        self.needs_depth = getattr(inner, "needs_depth", False)
        self.every = max(1, int(every))
        self.flow_stride = max(1, int(flow_stride))
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="keyframe-segmenter")
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Drop carried masks; a keyframe still running is ignored when it finishes."""
        with self._lock:
            self._future: Future | None = None
            self._generation = getattr(self, "_generation", 0) + 1
            self._last_key = None
            self._labels = None  # low-res label image carried frame to frame
            self._dets: Detections | None = None
            self._thin: np.ndarray | None = None  # the keyframe's thin-object flags, one per row of _dets
            self._gray = None
            self.keyframes_done = 0

    @property
    def busy(self) -> bool:
        """True while a keyframe is being segmented."""
        return self._future is not None and not self._future.done()

    def _small_gray(self, image: np.ndarray) -> np.ndarray:
        s = self.flow_stride
        return cv2.cvtColor(np.ascontiguousarray(image[::s, ::s]), cv2.COLOR_BGR2GRAY)

    def segment(self, packet: FramePacket) -> Segmentation:
        """The latest keyframe masks, moved to this frame; starts a new keyframe when due and the worker is idle."""
        h, w = packet.image.shape[:2]
        gray = self._small_gray(packet.image)
        with self._lock:
            fut = self._future
            if fut is not None and fut.done():
                self._future = None
                try:
                    seg, key_gray, gen = fut.result()
                except Exception as exc:  # keep streaming on a failed keyframe
                    log.warning("keyframe segmentation failed: %s", exc)
                else:
                    if gen == self._generation:
                        self._adopt(seg, key_gray)
            if self._labels is not None and self._gray is not None:
                self._labels = self._warp(self._labels, self._gray, gray)
            self._gray = gray
            due = self._last_key is None or packet.index - self._last_key >= self.every
            if due and self._future is None:
                self._last_key = packet.index
                self._future = self._pool.submit(self._run, packet, gray, self._generation)
            if self._labels is None:
                return Segmentation.empty(h, w)
            return self._current(h, w)

    def _run(self, packet: FramePacket, gray: np.ndarray, gen: int):
        return self.inner.segment(packet), gray, gen

    def _adopt(self, seg: Segmentation, key_gray: np.ndarray) -> None:
        s = self.flow_stride
        self._labels = np.ascontiguousarray(seg.labels[::s, ::s])
        self._dets, self._thin = seg.detections, seg.thin
        if self._gray is not None:  # the keyframe is a few frames old: bring it up to the previous frame
            self._labels = self._warp(self._labels, key_gray, self._gray)
        self.keyframes_done += 1

    @staticmethod
    def _warp(labels: np.ndarray, prev: np.ndarray, cur: np.ndarray) -> np.ndarray:
        """Labels of ``prev`` moved onto ``cur`` (backward flow, nearest neighbour)."""
        flow = cv2.calcOpticalFlowFarneback(cur, prev, None, 0.5, 3, 15, 3, 5, 1.2, 0)
        hh, ww = labels.shape
        gx, gy = np.meshgrid(np.arange(ww, dtype=np.float32), np.arange(hh, dtype=np.float32))
        return cv2.remap(labels.astype(np.float32), gx + flow[..., 0], gy + flow[..., 1], cv2.INTER_NEAREST,
                         borderMode=cv2.BORDER_CONSTANT, borderValue=-1).astype(np.int32)

    def _current(self, h: int, w: int) -> Segmentation:
        full = cv2.resize(self._labels, (w, h), interpolation=cv2.INTER_NEAREST)
        dets = self._dets
        masks = full[None] == np.arange(len(dets))[:, None, None]
        alive = masks.reshape(len(masks), -1).any(1)
        rows = np.flatnonzero(alive)
        remap = np.full(len(dets) + 1, -1, np.int32)
        remap[rows] = np.arange(len(rows), dtype=np.int32)
        masks = masks[rows]
        ys, xs = np.any(masks, 2), np.any(masks, 1)
        boxes = (np.stack([xs.argmax(1), ys.argmax(1), w - xs[:, ::-1].argmax(1), h - ys[:, ::-1].argmax(1)], 1)
                 if len(rows) else np.zeros((0, 4)))
        emb = None if dets.embeddings is None else dets.embeddings[rows]
        return Segmentation(Detections(boxes, scores=dets.scores[rows], masks=masks, embeddings=emb), remap[full],
                            thin=None if self._thin is None else self._thin[rows])

    def close(self) -> None:
        """Stop the worker thread (a keyframe in progress finishes in the background)."""
        self._pool.shutdown(wait=False, cancel_futures=True)
        close = getattr(self.inner, "close", None)
        if close is not None:
            close()
