"""Weight-free detector for a static camera: moving objects from background subtraction.

Per frame, at a reduced working resolution: check the camera is still (sparse corner tracking); divide out
global gain changes; classify pixels against a running background model with cast-shadow suppression; drop
flickering pixels; clean the mask and take its connected components; heal ghosts (scenery uncovered by an
object that was there when the model started: the blob's outline has edges in the background model but not in
the frame, or its pixels have been foreground almost since the start and have stopped changing, where no
person is seen); split blobs that are larger than one person at their foot row into person-sized boxes, using a
perspective size model learned online from isolated upright blobs.

Labels: a moving blob has no class of its own. A box is labelled "person" when it is upright (taller than
1.2 widths) and its height is within [0.6, 1.6] of the learned person height at its foot row, i.e. when it
agrees with the size model that was learned from (mostly) walking people; every other box is "object".
Scores: the geometric mean of how full the box is of foreground and how well its height matches the size
model, so compact person-sized blobs rank above fragments, slivers and noise.
"""

from __future__ import annotations

import cv2
import numpy as np

from perception.detection.background import BackgroundModel
from perception.detection.blobs import clean_mask, find_blobs, oversized, split_blob
from perception.detection.global_motion import GlobalMotion
from perception.detection.size_model import PersonSizeModel
from perception.types import Detections, FramePacket

PERSON, OBJECT = 0, 1
FLICKER_FPS = 7.0  # the lowest frame rate at which max_flicker is per frame


def _gradient(gray: np.ndarray) -> np.ndarray:
    """|d/dx| + |d/dy| (Sobel) of a float32 grey image."""
    return np.abs(cv2.Sobel(gray, cv2.CV_32F, 1, 0)) + np.abs(cv2.Sobel(gray, cv2.CV_32F, 0, 1))


class MotionDetector:
    """Moving-object detector for static cameras (video files, webcams); frames must come in order.

    work_width: width of the frames it works on (smaller is faster, coarser); adapt_s / absorb_s: time
    constants of the background and of a stopped object turning into background; k_sigma: foreground
    threshold in standard deviations; shadow_range / shadow_chroma: the cast-shadow test (BackgroundModel);
    camera_shift: largest frame-to-frame image shift, as a fraction of the width, still taken as a still camera;
    max_foreground: share of the frame above which the change is global (light switched, camera bumped) and
    the model restarts; min_area: smallest blob as a fraction of the frame; flicker_s / max_flicker: pixels
    flipping between foreground and background more often than ``max_flicker`` per frame (over ``flicker_s``; below
    ``FLICKER_FPS`` frames a second it is ``max_flicker * FLICKER_FPS`` flips a second instead: a person walking by
    flips a pixel within a frame or two at low frame rates, as leaves do at video rates)
    are dynamic scenery (leaves, water, screens); ghost_ratio: a blob whose outline is weaker in the frame than
    this share of its strength in the background is a ghost; split: split groups with the size model;
    masks: also return full-resolution masks; uncover_s / still_step / stale_share: a pixel foreground in
    ``stale_share`` of the frames since the model started, whose grey level has stayed within ``still_step`` of
    the previous frame's for ``uncover_s`` seconds, is uncovered scenery and is healed (None: never) unless it
    lies in one of ``people_seen``, the boxes (frame pixels) in which a detector that does not use motion saw
    people on the previous frame (set by callers): a ghost that a walker's blob has joined fails the outline test.

    After each ``detect``: ``camera_moving`` is True when the camera moved on that frame (no detections then),
    ``status`` says what the detector did ("learning", "camera moving", "scene change" or "detecting");
    ``foreground`` is the cleaned 0/1 foreground at working resolution (None when there was no test) and
    ``work_scale`` the working resolution over the frame's.
    """

    name = "motion"
    class_names = ("person", "object")

    def __init__(self, work_width: int = 384, adapt_s: float = 4.0, absorb_s: float = 30.0, k_sigma: float = 2.5,
                 shadow_range: tuple[float, float] = (0.45, 0.95), shadow_chroma: float = 0.06,
                 camera_shift: float = 0.004, max_foreground: float = 0.5, min_area: float = 3e-4,
                 flicker_s: float = 4.0, max_flicker: float = 0.25, ghost_ratio: float = 0.7, split: bool = True,
                 pad: float = 0.06, masks: bool = False, uncover_s: float | None = 1.0, still_step: int = 6,
                 stale_share: float = 0.8):
        self.work_width = int(work_width)
        self.bg_options = {"adapt_s": adapt_s, "absorb_s": absorb_s, "k_sigma": k_sigma,
                           "shadow_range": tuple(shadow_range), "shadow_chroma": shadow_chroma}
        self.camera_shift, self.max_foreground, self.min_area = camera_shift, max_foreground, min_area
        self.flicker_s, self.max_flicker, self.ghost_ratio = flicker_s, max_flicker, ghost_ratio
        self.split, self.masks, self.pad = split, masks, pad
        self.uncover_s, self.still_step, self.stale_share = uncover_s, still_step, stale_share
        self.size = PersonSizeModel()
        self.guide: PersonSizeModel | None = None  # splits and labels while ``size`` is not ready (set by callers)
        self.motion = GlobalMotion()
        self.reset()

    def reset(self) -> None:
        """Forget the background, the size model and the previous frame."""
        self._bg: BackgroundModel | None = None
        self._fps = 0.0
        self._flicker: np.ndarray | None = None
        self._prev_fg: np.ndarray | None = None
        self.size.reset()
        self.motion.reset()
        self.camera_moving = False
        self.status = "learning"
        self.foreground: np.ndarray | None = None
        self.work_scale = 1.0
        self.people_seen = np.zeros((0, 4))

    def detect(self, packet: FramePacket) -> Detections:
        """Moving objects of this frame (none while the model learns, the camera moves or the scene changes)."""
        image = packet.image
        h, w = image.shape[:2]
        scale = min(1.0, self.work_width / w)
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        small8 = cv2.resize(image, size, interpolation=cv2.INTER_AREA) if scale < 1.0 else image
        gray = cv2.cvtColor(small8, cv2.COLOR_BGR2GRAY)
        small = small8.astype(np.float32)
        self.work_scale, self.foreground = scale, None
        busy = None  # corners on people say nothing about the camera, unless "people" are most of the frame
        if self._prev_fg is not None and self._prev_fg.shape == gray.shape:
            busy = cv2.dilate(self._prev_fg.astype(np.uint8), np.ones((7, 7), np.uint8)) > 0
            busy = busy if busy.mean() < 0.3 else None
        self.camera_moving = self.motion.update(gray, busy) > self.camera_shift * size[0]
        bg, prev_fg = self._bg, self._prev_fg  # a reset from another thread leaves one of them None
        if bg is None or prev_fg is None or self._fps != packet.source.fps or bg.mean.shape != small.shape:
            self._start(small, packet.source.fps)
            return Detections.empty()
        if self.camera_moving:
            self._restart(small, "camera moving", bg)
            return Detections.empty()
        bg.compensate_gain(small, ~prev_fg)
        fg, _shadow = bg.classify(small)
        self._flicker += self._flicker_rate * ((fg != prev_fg) - self._flicker)
        self._prev_fg = fg
        fg = fg & (self._flicker <= self._max_flicker)
        if fg.mean() > self.max_foreground:
            self._restart(small, "scene change", bg)
            return Detections.empty()
        self.status = "detecting"
        mask = self.foreground = clean_mask(fg, max(3, int(round(0.02 * size[1]))))
        uncovered = self._uncovered(gray, mask)
        if uncovered is not None:
            bg.heal(small, uncovered)
            mask[uncovered] = 0
        labels, blobs = find_blobs(mask, max(4, int(self.min_area * size[0] * size[1])))
        ghosts = self._ghosts(gray, mask, labels, blobs)
        if ghosts:
            bg.heal(small, np.isin(labels, [b.label for b in ghosts]))
        bg.update(small, mask.astype(bool))
        ghost_labels = {b.label for b in ghosts}
        real = [b for b in blobs if b.label not in ghost_labels]
        boxes, owners = self._boxes(mask, labels, real, size)
        return self._detections(boxes, owners, mask, labels, real, scale, (w, h))

    @property
    def person_size(self) -> PersonSizeModel | None:
        """The size model boxes are split and labelled with: its own once ready, else the guide once that is."""
        if self.size.ready:
            return self.size
        return self.guide if self.guide is not None and self.guide.ready else None

    # -- steps -------------------------------------------------------------------------------------

    def _start(self, small: np.ndarray, fps: float) -> None:
        self._fps = float(fps) if fps and fps > 0 else 25.0
        self._flicker_rate = 1.0 - float(np.exp(-1.0 / (self._fps * self.flicker_s)))
        self._max_flicker = self.max_flicker * max(1.0, FLICKER_FPS / self._fps)
        self._restart(small, "learning", BackgroundModel(self._fps, **self.bg_options))

    def _restart(self, small: np.ndarray, status: str, bg: BackgroundModel | None = None) -> None:
        """Restart the background (``bg``, else the current model) from this frame (the size model is kept: the
        camera stays where it was); the model is published last, whole."""
        bg = bg if bg is not None else self._bg
        bg.reset(small)
        self._flicker = np.zeros(small.shape[:2], np.float32)
        self._prev_fg = np.zeros(small.shape[:2], bool)
        self._prev_gray: np.ndarray | None = None
        self._still = np.zeros(small.shape[:2], np.uint16)  # frames each pixel's grey level has held
        self._fg_frames = np.zeros(small.shape[:2], np.uint16)  # frames each pixel was foreground since the start
        self._since = 0
        self._bg = bg
        self.status = status

    def _uncovered(self, gray: np.ndarray, mask: np.ndarray) -> np.ndarray | None:
        """Foreground pixels the model has had wrong since it started (foreground in ``stale_share`` of the frames
        since, still for ``uncover_s``) outside ``people_seen``: scenery someone there at the start has uncovered."""
        if self.uncover_s is None:
            return None
        fg = mask > 0
        prev, self._prev_gray = self._prev_gray, gray
        if self._since < 60000:  # both counts stop here (an hour at 16 fps): their ratio holds
            self._since += 1
            self._fg_frames += fg
        if prev is None:
            return None
        need = max(2.0, self.uncover_s * self._fps)
        self._still += self._still < need  # counts up to ``need`` only
        self._still[cv2.absdiff(gray, prev) > self.still_step] = 0
        if self._since < need:
            return None
        stale = fg & (self._still >= need) & (self._fg_frames >= self.stale_share * self._since)
        for x0, y0, x1, y1 in np.round(self.people_seen * self.work_scale).astype(int):
            stale[max(0, y0):max(0, y1), max(0, x0):max(0, x1)] = False
        return stale if stale.any() else None

    def _ghosts(self, gray: np.ndarray, mask: np.ndarray, labels: np.ndarray, blobs: list) -> list:
        """Blobs whose outline is an edge of the background model rather than of the frame."""
        if not blobs:
            return []
        band = cv2.morphologyEx(mask, cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8)).astype(bool)
        lab = cv2.dilate(labels.astype(np.float32), np.ones((3, 3), np.uint8)).astype(np.int32)[band]
        bg_gray = cv2.cvtColor(self._bg.mean, cv2.COLOR_BGR2GRAY)
        n = int(labels.max()) + 1
        cur = np.bincount(lab, _gradient(gray.astype(np.float32))[band], n)
        old = np.bincount(lab, _gradient(bg_gray)[band], n)
        return [b for b in blobs if cur[b.label] < self.ghost_ratio * old[b.label]]

    def _boxes(self, mask: np.ndarray, labels: np.ndarray, blobs: list, size: tuple[int, int]
               ) -> tuple[list[np.ndarray], list[int]]:
        """Boxes at working resolution and the index of the blob each came from; learns the size model from
        isolated upright blobs away from the border."""
        boxes, owners = [], []
        for k, b in enumerate(blobs):
            x0, y0, x1, y1 = b.box.astype(int)
            bw, bh = x1 - x0, y1 - y0
            inside = x0 > 0 and y0 > 0 and x1 < size[0] and y1 < size[1]
            upright = 1.8 <= bh / bw <= 4.5 and b.area >= 0.35 * bw * bh
            if inside and upright and (not self.size.ready or bh < 1.5 * self.size.height(y1)):
                self.size.add(y1, bh, bw)
            model = self.person_size
            if self.split and model is not None and oversized(b.box, model):
                crop = (labels[y0:y1, x0:x1] == b.label).astype(np.uint8)
                parts = split_blob(crop, (x0, y0), model)
                boxes += parts
                owners += [k] * len(parts)
            else:
                boxes.append(b.box)
                owners.append(k)
        return boxes, owners

    def _detections(self, boxes: list[np.ndarray], owners: list[int], mask: np.ndarray, labels: np.ndarray,
                    blobs: list, scale: float, full: tuple[int, int]) -> Detections:
        if not boxes:
            return Detections.empty()
        xyxy = np.stack(boxes)
        ii = cv2.integral(mask)
        x0, y0, x1, y1 = (xyxy.T).astype(int)
        fill = (ii[y1, x1] - ii[y0, x1] - ii[y1, x0] + ii[y0, x0]) / np.maximum((x1 - x0) * (y1 - y0), 1)
        bh, bw = y1 - y0, x1 - x0
        model = self.person_size
        if model is not None:
            rel = bh / model.height(y1)
            size_term = np.exp(-0.5 * (np.log(rel) / 0.35) ** 2)
            person = (rel >= 0.6) & (rel <= 1.6) & (bh >= 1.2 * bw)
        else:
            size_term = np.minimum(1.0, bh * bw / (20.0 * self.min_area * mask.size))
            person = np.zeros(len(xyxy), bool)
        scores = np.sqrt(np.clip(fill / 0.6, 0.0, 1.0) * size_term)
        grow = self.pad * (xyxy[:, 2:] - xyxy[:, :2]) + 0.5  # half a working pixel: the partial border pixels
        out = np.concatenate([xyxy[:, :2] - grow, xyxy[:, 2:] + grow], axis=1) / scale
        out[:, [0, 2]] = np.clip(out[:, [0, 2]], 0, full[0])
        out[:, [1, 3]] = np.clip(out[:, [1, 3]], 0, full[1])
        class_ids = np.where(person, PERSON, OBJECT)
        names = np.array(self.class_names, dtype=object)[class_ids]
        masks = self._full_masks(xyxy, owners, labels, blobs, full) if self.masks else None
        return Detections(out, scores, class_ids, masks, labels=names)

    def _full_masks(self, xyxy: np.ndarray, owners: list[int], labels: np.ndarray, blobs: list,
                    full: tuple[int, int]) -> np.ndarray:
        """Full-resolution mask of each box: its blob's pixels inside the box."""
        out = np.zeros((len(xyxy), full[1], full[0]), bool)
        for i, (box, k) in enumerate(zip(xyxy.astype(int), owners)):
            m = np.zeros(labels.shape, np.uint8)
            x0, y0, x1, y1 = box
            m[y0:y1, x0:x1] = labels[y0:y1, x0:x1] == blobs[k].label
            out[i] = cv2.resize(m, full, interpolation=cv2.INTER_NEAREST).astype(bool)
        return out
