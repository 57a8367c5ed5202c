"""Overlay compositing without Qt: masks, boxes, IDs and trails drawn into one BGR image per frame.

Everything is vectorised with NumPy/OpenCV so the cost stays flat as objects are added: masks are
painted into one label image, then blended with a single lookup, not one pass per object.
"""

from __future__ import annotations

import colorsys
import functools
import zlib
from collections import deque
from dataclasses import dataclass

import cv2
import numpy as np

from perception.types import UNLABELLED, FrameResult, Tracks, TrackState


@dataclass(frozen=True)
class OverlayLayers:
    """Which overlay layers to draw and how strongly masks are blended (0..1)."""

    masks: bool = True
    boxes: bool = True
    ids: bool = True
    trails: bool = True
    alpha: float = 0.45
    highlight: int | None = None
    hidden: frozenset[str] = frozenset()  # class labels not drawn
    by_class: bool = False  # colour by class label instead of by track ID

    def __post_init__(self) -> None:
        if not 0.0 <= self.alpha <= 1.0:
            raise ValueError(f"mask alpha must be in [0, 1], got {self.alpha}")


def id_colors(ids: np.ndarray) -> np.ndarray:
    """A stable, well-separated BGR uint8 colour per integer ID (golden-ratio hue walk)."""
    ids = np.asarray(ids, dtype=np.int64).ravel()
    uniq, inverse = np.unique(ids, return_inverse=True)  # one HSV conversion per distinct ID
    hues = (uniq * 0.618033988749895) % 1.0
    sats = 0.65 + 0.35 * ((uniq * 0.37) % 1.0)
    rgb = np.array([colorsys.hsv_to_rgb(h, s, 1.0) for h, s in zip(hues, sats)]).reshape(-1, 3)
    return (rgb[:, ::-1] * 255).astype(np.uint8)[inverse.ravel()]


def class_colors(labels: np.ndarray) -> np.ndarray:
    """A stable BGR uint8 colour per class label (the same label, the same colour, in every run)."""
    return id_colors(np.array([zlib.crc32(str(v).encode()) % 100_003 for v in labels], np.int64))


@functools.lru_cache(maxsize=512)
def class_color_hex(label: str) -> str:
    """``#rrggbb`` for a class label (the colour the overlay uses when colouring by class)."""
    b, g, r = class_colors(np.array([label], dtype=object))[0]
    return f"#{r:02x}{g:02x}{b:02x}"


@functools.lru_cache(maxsize=4096)
def id_color_hex(track_id: int) -> str:
    """``#rrggbb`` for an ID (the same colour the overlay uses)."""
    b, g, r = id_colors(np.array([track_id]))[0]
    return f"#{r:02x}{g:02x}{b:02x}"


class TrailBook:
    """Recent box-bottom-centre positions per track ID, for drawing trails; old tracks are forgotten."""

    def __init__(self, length: int = 30, forget_after: int = 60):
        self.length, self.forget_after = length, forget_after
        self._points: dict[int, deque[tuple[int, int]]] = {}
        self._seen: dict[int, int] = {}

    def reset(self) -> None:
        """Forget every trail."""
        self._points.clear()
        self._seen.clear()

    def update(self, result: FrameResult) -> None:
        """Add this frame's track positions."""
        t = result.tracks
        for tid, box in zip(t.ids.tolist(), t.xyxy):
            pts = self._points.setdefault(tid, deque(maxlen=self.length))
            pts.append((int((box[0] + box[2]) / 2), int(box[3])))
            self._seen[tid] = result.index
        stale = [tid for tid, f in self._seen.items() if abs(result.index - f) > self.forget_after]
        for tid in stale:
            del self._points[tid], self._seen[tid]

    def polylines(self, ids: np.ndarray) -> list[tuple[int, np.ndarray]]:
        """(id, Kx2 int32 points) for each of ``ids`` that has a trail of two or more points."""
        return [(i, np.array(self._points[i], dtype=np.int32)) for i in ids.tolist()
                if i in self._points and len(self._points[i]) > 1]


def label_image(result: FrameResult, hidden: frozenset[str] = frozenset()
                ) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    """HxW int32 labels (0 = none, k = the k-th object), and each object's ID and class label.

    Uses the segmenter's label image when present (one pass, no per-mask loop); else paints the masks
    of the tracks (or of their matched detections, or of bare detections when nothing is tracked).
    Objects of a ``hidden`` class are left out (their pixels are 0).
    """
    t, d = result.tracks, result.detections
    seg = result.segment_labels
    none = None, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=object)
    if t.masks is None and isinstance(seg, np.ndarray) and seg.shape == result.packet.image.shape[:2] and len(d):
        if len(t):
            ok = (t.det_index >= 0) & (t.det_index < len(d)) & ~_hidden(t.labels, hidden)
            lut = np.zeros(len(d) + 1, np.int32)  # detection label + 1 -> 1-based slot of its track
            lut[t.det_index[ok] + 1] = np.arange(1, int(ok.sum()) + 1)
            ids, names = t.ids[ok], t.labels[ok]
        else:
            shown = ~_hidden(d.labels, hidden)
            lut = np.zeros(len(d) + 1, np.int32)
            lut[1:][shown] = np.arange(1, int(shown.sum()) + 1)
            ids, names = np.flatnonzero(shown) + 1, d.labels[shown]
        return lut[np.clip(seg, -1, len(d) - 1) + 1], ids, names
    if t.masks is not None and len(t):
        masks, ids, names = t.masks, t.ids, t.labels
    elif d.masks is not None and len(t):
        ok = (t.det_index >= 0) & (t.det_index < len(d))
        masks, ids, names = d.masks[t.det_index[ok]], t.ids[ok], t.labels[ok]
    elif d.masks is not None and len(d):
        masks, ids, names = d.masks, np.arange(1, len(d) + 1), d.labels
    else:
        return none
    if masks.shape[1:] != result.packet.image.shape[:2]:
        return none
    shown = np.flatnonzero(~_hidden(names, hidden))
    label = np.zeros(masks.shape[1:], dtype=np.int32)
    for slot, k in enumerate(shown):  # later masks win where they overlap
        label[masks[k]] = slot + 1
    return label, ids[shown], names[shown]


def _hidden(labels: np.ndarray, hidden: frozenset[str]) -> np.ndarray:
    """Which of ``labels`` are hidden classes."""
    return np.isin(labels.astype(str), list(hidden)) if hidden and len(labels) else np.zeros(len(labels), bool)


@dataclass
class OverlayLayer:
    """A frame's overlays as two HxWx3 uint8 images: ``keep`` (255 - alpha) and ``paint`` (colour x alpha).

    Built once per processed frame and applied to any frame of the same size in about a millisecond,
    so a live view can show each new camera frame with the latest overlays.
    """

    keep: np.ndarray
    paint: np.ndarray

    def apply(self, image: np.ndarray) -> np.ndarray:
        """``image * keep / 255 + paint`` (a new array); the image is returned as-is if sizes differ."""
        if image.shape != self.keep.shape:
            return image
        return cv2.add(cv2.multiply(image, self.keep, scale=1.0 / 255.0), self.paint)


def build_layer(result: FrameResult, layers: OverlayLayers, trails: TrailBook | None = None) -> OverlayLayer:
    """The enabled overlay layers of ``result`` (masks blended, boxes / IDs / trails opaque)."""
    h, w = result.packet.image.shape[:2]
    label, ids, names = (label_image(result, layers.hidden) if layers.masks
                         else (None, np.zeros(0, np.int64), np.zeros(0, object)))
    if label is not None and len(ids):
        if len(ids) > 255:  # uint8 lookup tables below hold 255 labels
            label = np.where(label > 255, 0, label)
            ids, names = ids[:255], names[:255]
        a = np.zeros(256, dtype=np.float32)
        a[1:len(ids) + 1] = layers.alpha
        if layers.highlight is not None:
            a[1:len(ids) + 1][ids == layers.highlight] = min(1.0, layers.alpha + 0.35)
        colors = np.zeros((256, 3), np.float32)
        colors[1:len(ids) + 1] = class_colors(names) if layers.by_class else id_colors(ids)
        keep_lut = np.repeat(((1.0 - a) * 255.0 + 0.5).astype(np.uint8)[:, None], 3, axis=1)
        paint_lut = (colors * a[:, None] + 0.5).astype(np.uint8)
        label3 = cv2.cvtColor(label.astype(np.uint8), cv2.COLOR_GRAY2BGR)
        keep = cv2.LUT(label3, keep_lut.reshape(1, 256, 3))
        paint = cv2.LUT(label3, paint_lut.reshape(1, 256, 3))
    else:
        keep = np.full((h, w, 3), 255, np.uint8)
        paint = np.zeros((h, w, 3), np.uint8)
    tracks = result.tracks
    if layers.hidden and len(tracks):
        tracks = _visible_tracks(tracks, layers.hidden)
    if len(tracks):
        _draw_tracks(keep, paint, tracks, layers, trails)
    return OverlayLayer(keep, paint)


def _visible_tracks(t: Tracks, hidden: frozenset[str]) -> Tracks:
    """The tracks whose class is not hidden (boxes, IDs and labels only: what the drawing needs)."""
    keep = ~_hidden(t.labels, hidden)
    return Tracks(t.xyxy[keep], t.ids[keep], t.scores[keep], states=t.states[keep], labels=t.labels[keep])


def _draw_tracks(keep: np.ndarray, paint: np.ndarray, t: Tracks, layers: OverlayLayers,
                 trails: TrailBook | None) -> None:
    """Opaque lines and text: drawn in colour into ``paint`` and as zeros into ``keep``; a track coasting on its
    prediction (no detection this frame) gets a thin box."""
    colors = class_colors(t.labels) if layers.by_class else id_colors(t.ids)
    coasting = t.states == TrackState.LOST
    labelled = t.labels.astype(str) != UNLABELLED

    def both(draw, color) -> None:
        draw(paint, color)
        draw(keep, (0, 0, 0))

    if layers.trails and trails is not None:
        for tid, pts in trails.polylines(t.ids):
            c = colors[int(np.flatnonzero(t.ids == tid)[0])].tolist()
            both(lambda img, col, pts=pts: cv2.polylines(img, [pts], False, col, 2, cv2.LINE_8), c)
    for k, (tid, box) in enumerate(zip(t.ids.tolist(), t.xyxy.round().astype(np.int32))):
        c = colors[k].tolist()
        text = f"{t.labels[k]} {tid}" if labelled[k] else str(tid)
        p1, p2 = (int(box[0]), int(box[1])), (int(box[2]), int(box[3]))
        thick = 4 if tid == layers.highlight else 1 if coasting[k] else 2
        if layers.boxes:
            both(lambda img, col: cv2.rectangle(img, p1, p2, col, thick), c)
        if layers.ids:
            org = (p1[0] + 2, max(p1[1] - 4, 12))
            cv2.putText(keep, text, org, cv2.FONT_HERSHEY_SIMPLEX, 0.55, (0, 0, 0), 4)
            cv2.putText(paint, text, org, cv2.FONT_HERSHEY_SIMPLEX, 0.55, (0, 0, 0), 4)
            cv2.putText(paint, text, org, cv2.FONT_HERSHEY_SIMPLEX, 0.55, c, 1)


def compose(result: FrameResult, layers: OverlayLayers, trails: TrailBook | None = None) -> np.ndarray:
    """The frame's BGR image with the enabled overlay layers drawn (a new array)."""
    return build_layer(result, layers, trails).apply(result.packet.image)
