"""Person detector for a static camera: moving blobs (MotionDetector) fused with the HOG people detector that
ships inside OpenCV and, where its file is present, a small pedestrian network bundled with the studio.

HOG is costly at full resolution, so it runs in three cheap ways. Every moving box is shown to HOG once (all
boxes side by side in one strip, each scaled so its person fills the detection window). On a pixel budget
per frame, on a thread beside the motion step: around the people it found on the previous frame without
motion support (standing, or there before the background was learned), then a round-robin scan of the frame
in tiles, one scale per tile, every scale getting an equal share. The scales are person heights from a
tenth to two thirds of the frame; once a person-size-by-row model is known (from walking blobs, else from
confident HOG hits on moving ground, ready after 15 of them) tiles whose rows cannot hold a person of the tile's
scale are skipped, and confident HOG people on moving ground teach the motion splitter that model early (until
the blobs' own model is ready, moving blobs are split and labelled with the HOG people's model).

Fusion: a moving box is a person when the size model says so, unless HOG clearly rejects it (margin below
``reject``), or when HOG clearly accepts it. A HOG person overlapping it raises its score; two or more HOG
people inside one moving box replace it (a group). A HOG person on no moving box is reported on its own if
its SVM margin is high enough, and higher still where nothing has ever moved (a person-shaped part of the
scenery, found again and again, stays out); moving fragments inside it give way to it. HOG people take the
size model's size at their foot row; a moving person's box is drawn 0.3 of the way to that size (centred on
the HOG person that confirmed it, else on itself): blob extents are noisy (cut legs, shadows, a neighbour's
arm), the model's size at the foot row is steady. Other moving blobs stay "object", their scores scaled by ``objects``
(0.5: below the trackers' new-track threshold, so they extend tracks but never start one; blobs larger than
``max_object`` of the frame are dropped). A box shorter than ``complete`` of the model's person at its foot row
is a piece of one (an upper body over dark trousers, legs under a coat the colour of the ground): it is redrawn
as the model's person standing on its bottom or hanging from its top, whichever HOG scores higher.
Scores: motion scores as MotionDetector gives them; a HOG margin m maps to 1 / (1 + exp(-3 (m - 0.1)))
(0.43 at m = 0, 0.65 at 0.3, 0.94 at 1), so a HOG-only person starts a track (>= 0.6) from m = 0.23; motion
and HOG together combine as a noisy-or.

Network: where the small pretrained pedestrian network is present (``person_net.BUNDLED``, run on the frame
beside the motion step), its people taller than ``network_height`` of the frame redraw the boxes they match,
replace group blobs, drop the pieces of them that were found (moving blobs, upper bodies) and add the people
motion and HOG missed (``adopt_network_people``). On the shared sequences it lifts mean HOTA from 40.7 to 45.7
(TUD-Campus 36.7 -> 50.5, where dark trousers cut blobs and people stand in view from the first frame). While
the camera moves only its people are reported. All its people, of any height, also tell the motion step where
still foreground is someone standing, not scenery uncovered by someone who has left (``people_seen``). Without
the file (or onnxruntime) the detector is weight-free, as before, and the motion step heals no still foreground:
HOG finds too few of the people standing in TUD-Campus to keep them out of it (healing with HOG's people kept
out took TUD-Campus from 36.7 to 30.9).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import cv2
import numpy as np

from perception.detection.hog import PERSON_HEIGHT, WINDOW, HogPeople, box_inside, box_iou, nms
from perception.detection.image_quality import blockiness, noise_sigma
from perception.detection.motion import OBJECT, PERSON, MotionDetector
from perception.detection.person_net import PersonNet, adopt_network_people, load_bundled
from perception.detection.size_model import PersonSizeModel
from perception.types import Detections, FramePacket


def hog_score(margin: np.ndarray) -> np.ndarray:
    """SVM margin -> [0, 1] score on the scale the trackers' thresholds expect."""
    return 1.0 / (1.0 + np.exp(-3.0 * (np.asarray(margin, float) - 0.1)))


def scan_levels(width: int, height: int, min_person: float = 0.09, max_person: float = 0.67, step: float = 1.2,
                tile: tuple[int, int] = (448, 320)) -> list[list[tuple[np.ndarray, float]]]:
    """Per scale, the tiles (frame box, scale) that cover the frame once, for person heights ``min_person`` ..
    ``max_person`` of the frame height in steps of ``step``; ``tile`` is the size of a tile after scaling."""
    levels = []
    person = max_person * height
    while person >= min_person * height * 0.999:
        s = PERSON_HEIGHT / person
        sw, sh = width * s, height * s
        if sw >= WINDOW[0] and sh >= WINDOW[1]:
            step_x, step_y = tile[0] - WINDOW[0] + 8, tile[1] - WINDOW[1] + 8
            levels.append([(np.array([x, y, min(sw, x + tile[0]), min(sh, y + tile[1])]) / s, s)
                           for y in np.arange(0, max(1.0, sh - WINDOW[1] + 1), step_y)
                           for x in np.arange(0, max(1.0, sw - WINDOW[0] + 1), step_x)])
        person /= step
    return levels


class PeopleDetector:
    """People from a static camera: motion blobs confirmed, split and completed by HOG (see module doc).

    budget: HOG pixels (after scaling) per frame for the scan and the standing people; min_margin: least SVM
    margin of a HOG person on moving ground; static_margin: least margin where the box has never held
    foreground; verify_pad: how far around the previous frame's HOG-only people to look again, in box sizes;
    objects: score factor of moving blobs that are not people (0: report people only); max_object: largest
    such blob, as a share of the frame; reject: a moving box below this HOG margin is an "object", one at
    min_margin + 0.5 or above a "person" (None: no check); seed: confident HOG people teach the motion
    splitter's size model until it is ready; regular: HOG boxes take the size model's size at their foot row;
    snap: how far each moving person's box is drawn toward the size model's person (0: not at all, 1: fully);
    parallel: the budgeted HOG runs on a thread beside the motion step (same results); denoise: per-pixel noise
    (grey levels, ``noise_sigma``, measured every ``noise_every`` frames and kept in ``noise``) above which HOG
    reads a bilateral-smoothed frame (None: never). The shared sequences measure 0.3-0.5 (the PETS09 video
    0.65-1.3); with i.i.d. colour noise of sigma 3 / 4.5 / 6 added, 1.1-2.1 / 2.9-3.8 / 4.5-5.2: smoothing paid
    from 4.5 on (mean HOTA 36.5 -> 37.3, 37.0 -> 38.6), not at 3; deblock: (on, off) ``blockiness`` above which
    HOG reads a blurred frame, and below which it stops (None: never; the shared sequences' own frames measure
    1.1-1.8, PETS-S3-MF1's JPEGs 1.6-1.8 without gain from the blur; re-encoded at JPEG quality 30 TUD-Campus and
    PETS09-S2L2 measure 1.7-2.2 and gain, mean HOTA 34.8 -> 37.4); network: the bundled person network (True,
    weight-free when its file is missing), another model of its layout (a path) or none (False); network_height:
    least height, as a share of the frame, of a network person taken (at its 300x300 input, smaller ones are
    guesses); complete: a box shorter than this share of the size model's person at its foot row is a piece of
    one, redrawn whole (``complete_pieces``; None: never); motion options go to MotionDetector. ``close`` stops the threads.
    """

    name = "people"
    class_names = MotionDetector.class_names

    def __init__(self, budget: int = 300_000, min_margin: float = 0.0, static_margin: float = 0.5,
                 verify_pad: float = 0.35, objects: float = 0.5, seed: bool = True, regular: bool = True,
                 parallel: bool = True, max_object: float = 0.1, reject: float | None = -1.0, snap: float = 0.3,
                 denoise: float | None = 2.5, deblock: tuple[float, float] | None = (1.85, 1.7), noise_every: int = 5,
                 network: bool | str = True, network_height: float = 0.2, complete: float | None = 0.85,
                 **motion_options):
        self.motion = MotionDetector(**motion_options)
        self.hog = HogPeople()
        self.budget, self.min_margin, self.static_margin = budget, min_margin, static_margin
        self.verify_pad, self.objects, self.seed, self.regular = verify_pad, objects, seed, regular
        self.parallel, self.max_object, self.reject, self.snap = parallel, max_object, reject, snap
        self.denoise, self.deblock, self.noise_every = denoise, deblock, max(1, int(noise_every))
        self._pool: ThreadPoolExecutor | None = None
        self.net = load_bundled() if network is True else PersonNet(network) if network else None
        self.network_height, self.complete = network_height, complete
        if self.net is None:  # nothing would keep people standing from being healed as scenery
            self.motion.uncover_s = None
        # confident HOG walkers are whole people, not the fragments and merges that blobs can be: fewer samples
        # make a trustworthy model, so it is fitted sooner and more often than the motion splitter's
        self.hog_size = PersonSizeModel(min_samples=15, refit_every=5)
        self.motion.guide = self.hog_size  # confident walkers split and label moving blobs until blobs teach their own
        self.reset()

    def reset(self) -> None:
        """Forget the motion model, the size models, the scan position and the previous people."""
        self.motion.reset()
        self.hog_size.reset()
        self._levels: list[list[tuple[np.ndarray, float]]] = []
        self._plausible_levels: tuple[tuple, list[list[tuple[np.ndarray, float]]]] = ((), [])
        self._frame_size = (0, 0)
        self._next: list[int] = []
        self._credit: list[float] = []
        self._moved: np.ndarray | None = None
        self._hog_only = np.zeros((0, 4))
        self._frames = 0
        self.noise = self.block = 0.0
        self.deblocking = False
        self.status = "learning"
        self.camera_moving = False

    def detect(self, packet: FramePacket) -> Detections:
        """The people of this frame."""
        image = packet.image
        h, w = image.shape[:2]
        if self._frame_size != (w, h):
            self._levels, self._frame_size = scan_levels(w, h), (w, h)
            self._plausible_levels = ((), [])
            self._next, self._credit = [0] * len(self._levels), [0.0] * len(self._levels)
        gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image
        if self._frames % self.noise_every == 0:  # the camera's noise and compression: now and then, smoothed
            first = self._frames == 0
            if self.denoise is not None:
                est = noise_sigma(gray)
                self.noise = est if first else 0.5 * (self.noise + est)
            if self.deblock is not None:
                est = blockiness(gray)
                self.block = est if first else 0.5 * (self.block + est)
                on, off = self.deblock
                self.deblocking = self.block > on or (self.deblocking and self.block > off)
        self._frames += 1
        size = copy.copy(self._size())  # the motion step may refit the model while HOG runs
        if self.parallel:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(2 if self.net else 1, thread_name_prefix="people")
            hog = self._pool.submit(self._run_hog, gray, size)
            net = self._pool.submit(self.net.find, image) if self.net else None
            try:
                found = self.motion.detect(packet)
            finally:
                boxes, margins, gray = hog.result()
                net_people = net.result() if net else None
        else:
            found = self.motion.detect(packet)
            boxes, margins, gray = self._run_hog(gray, size)
            net_people = self.net.find(image) if self.net else None
        self.camera_moving, self.status = self.motion.camera_moving, self.motion.status
        if self.camera_moving:
            self._hog_only = np.zeros((0, 4))
            fused = Detections.empty()
        else:
            fg = self.motion.foreground
            if fg is not None:
                self._moved = fg > 0 if self._moved is None or self._moved.shape != fg.shape else self._moved | (fg > 0)
            fused = self._fuse(gray, found, boxes, margins, (w, h))
        if net_people is None:
            return fused
        self.motion.people_seen = net_people[0]  # where the network sees someone, foreground is no uncovered scenery
        return adopt_network_people(fused, *net_people, PERSON, self.class_names[PERSON], self.network_height * h)

    def close(self) -> None:
        """Stop the HOG and network thread."""
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None

    # -- steps -------------------------------------------------------------------------------------

    def _size(self) -> PersonSizeModel | None:
        if self.motion.size.ready:
            return self.motion.size
        return self.hog_size if self.hog_size.ready else None

    def hog_gray(self, gray: np.ndarray) -> np.ndarray:
        """The grey frame HOG reads: on noisy footage (measured noise above ``denoise`` grey levels) smoothed by a
        5x5 bilateral filter whose colour sigma is 4 noise sigmas; on heavily compressed footage (``deblocking``)
        blurred by a Gaussian of sigma 1.2; else ``gray`` itself. HOG's gradients of i.i.d. noise fill flat cells
        with clutter, and 8x8 block edges add a grid of false edges; after block normalisation both lower the SVM
        margins of people (TUD-Campus plus noise sigma 6, or at JPEG quality 30: fewer confident walkers, so the
        size model they teach came 28-35 frames late)."""
        if self.denoise is not None and self.noise > self.denoise:
            return cv2.bilateralFilter(gray, 5, 4.0 * self.noise, 2.0)
        if self.deblocking:
            return cv2.GaussianBlur(gray, (0, 0), 1.2)
        return gray

    def _run_hog(self, gray: np.ndarray, size: PersonSizeModel | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """HOG windows of this frame: around the previous HOG-only people, then scan tiles while budget lasts;
        also the grey frame HOG read (``hog_gray``)."""
        gray = self.hog_gray(gray)
        out_b, out_m = [], []
        spent = 0.0
        for box in self._hog_only:
            bw, bh = box[2:] - box[:2]
            roi = box + self.verify_pad * np.array([-bw, -0.5 * bh, bw, 0.5 * bh])
            for s in PERSON_HEIGHT / bh * np.array([0.9, 1.1]):
                b, m = self.hog.region(gray, roi, s)
                out_b.append(b)
                out_m.append(m)
                spent += (roi[2] - roi[0]) * (roi[3] - roi[1]) * s * s
        levels = self._scan_tiles(size)
        live = [i for i, level in enumerate(levels) if level]
        share = max(0.0, self.budget - spent) / max(len(live), 1)
        for i in live:
            self._credit[i] += share
            while self._credit[i] > 0:
                box, s = levels[i][self._next[i] % len(levels[i])]
                self._next[i] += 1
                b, m = self.hog.region(gray, box, s)
                out_b.append(b)
                out_m.append(m)
                self._credit[i] -= (box[2] - box[0]) * (box[3] - box[1]) * s * s
        if not out_b:
            return np.zeros((0, 4)), np.zeros(0), gray
        boxes, margins = np.concatenate(out_b), np.concatenate(out_m)
        keep = nms(boxes, margins)
        return boxes[keep], margins[keep], gray

    def _scan_tiles(self, size: PersonSizeModel | None) -> list[list[tuple[np.ndarray, float]]]:
        """Per scale, the tiles worth scanning under ``size`` (all without one); kept until the model changes."""
        if size is None:
            return self._levels
        key = (*size.line, self.motion.work_scale)
        if self._plausible_levels[0] != key:
            self._plausible_levels = key, [[t for t in level if self._plausible(*t, size)] for level in self._levels]
        return self._plausible_levels[1]

    def _plausible(self, box: np.ndarray, scale: float, size: PersonSizeModel) -> bool:
        """Can a person of the tile's height (PERSON_HEIGHT / scale) stand with feet on the tile's rows?"""
        person = PERSON_HEIGHT / scale
        feet = np.linspace(box[1] + 0.9 * person, box[3], 8) * self.motion.work_scale
        expected = size.height(feet) / self.motion.work_scale
        return bool(np.any(np.abs(np.log(expected / person)) < np.log(1.3)))

    def _fuse(self, gray: np.ndarray, found: Detections, boxes: np.ndarray, margins: np.ndarray, full: tuple[int, int]) -> Detections:
        area = np.prod(found.xyxy[:, 2:] - found.xyxy[:, :2], axis=1) / (full[0] * full[1])
        # a moving region bigger than max_object of the frame and not person-shaped is no one to track
        wanted = (found.class_ids == PERSON) | ((self.objects > 0) & (area <= self.max_object))
        people = found.subset(wanted)
        ids = people.class_ids.copy()
        if self.reject is not None and len(people):
            # every moving box is shown to HOG once: clearly not a person -> object, clearly one -> person
            check = self.hog.verify(gray, people.xyxy)
            ids[check < self.reject] = OBJECT
            ids[check >= self.min_margin + 0.5] = PERSON
        keep = margins >= min(self.min_margin, self.static_margin)
        boxes, margins = boxes[keep], margins[keep]
        scores = np.where(ids == PERSON, 1.0, self.objects) * people.scores
        hog_only = np.ones(len(boxes), bool)
        drop = np.zeros(len(people), bool)
        match = np.full(len(people), -1)  # the HOG person confirming each moving box
        if len(boxes) and len(people):
            iou = box_iou(people.xyxy, boxes)
            inside = box_inside(boxes, people.xyxy)  # (motion, hog): share of each HOG box inside each motion box
            for i in range(len(people)):
                group = np.flatnonzero(hog_only & (inside[i] >= 0.7))
                if len(group) >= 2:  # a group blob: its HOG people replace it
                    drop[i] = True
                    continue
                j = int(np.argmax(np.where(hog_only, iou[i], -1.0)))
                if iou[i, j] >= 0.3:
                    hog_only[j] = False
                    match[i] = j
                    scores[i] = 1.0 - (1.0 - scores[i]) * (1.0 - hog_score(margins[j]))
                    ids[i] = PERSON
        moved = self._moved_share(boxes)
        alone = hog_only & (margins >= np.where(moved >= 0.1, self.min_margin, self.static_margin))
        if alone.any() and len(people):
            # a HOG person touching a kept motion person would be a second box on the same person
            kept = ~drop & (ids == PERSON)
            touch = (iou[kept] >= 0.1) | (inside[kept] >= 0.5)
            alone &= ~touch.any(axis=0)
            # moving fragments of a HOG person (a ghost, a torso) give way to it
            covered = box_inside(people.xyxy, boxes[alone]) >= 0.5  # (hog, motion)
            drop |= covered.any(axis=0) & (ids != PERSON)
        k = self.motion.work_scale
        for b in boxes[(margins >= 0.8) & (moved >= 0.3)]:  # walkers: a static look-alike, found again and again,
            # would teach the model one size
            self.hog_size.add(b[3] * k, (b[3] - b[1]) * k, (b[2] - b[0]) * k)
            if self.seed and not self.motion.size.ready:  # confident people teach the splitter early
                self.motion.size.add(b[3] * k, (b[3] - b[1]) * k, (b[2] - b[0]) * k)
        size = self._size()
        if self.regular and size is not None and len(boxes):
            boxes = _regularise(boxes, size, k)
        self._hog_only = boxes[alone]
        moving = people.xyxy
        if self.snap > 0 and size is not None and len(people):
            moving = _snap(moving, ids == PERSON, match, boxes, size, k, self.snap)
        xyxy = np.concatenate([moving[~drop], boxes[alone]])
        sc = np.concatenate([scores[~drop], hog_score(margins[alone])])
        ids = np.concatenate([ids[~drop], np.full(int(alone.sum()), PERSON)])
        order = nms(xyxy, sc, 0.5)
        xyxy, sc, ids = xyxy[order], sc[order], ids[order]
        if self.complete is not None and size is not None:
            reject = -np.inf if self.reject is None else self.reject
            xyxy = complete_pieces(xyxy, size, k, lambda b: self.hog.verify(gray, b), self.complete, reject)
        xyxy[:, [0, 2]] = np.clip(xyxy[:, [0, 2]], 0, full[0])
        xyxy[:, [1, 3]] = np.clip(xyxy[:, [1, 3]], 0, full[1])
        names = np.array(self.class_names, dtype=object)[ids]
        return Detections(xyxy, np.clip(sc, 0.0, 1.0), ids, labels=names)

    def _moved_share(self, boxes: np.ndarray) -> np.ndarray:
        """Share of each box (frame pixels) that has ever been foreground."""
        if self._moved is None or not len(boxes):
            return np.zeros(len(boxes))
        ii = cv2.integral(self._moved.astype(np.uint8))
        hh, ww = self._moved.shape
        b = np.round(boxes * self.motion.work_scale).astype(int)
        x0, x1 = np.clip(b[:, 0], 0, ww), np.clip(b[:, 2], 0, ww)
        y0, y1 = np.clip(b[:, 1], 0, hh), np.clip(b[:, 3], 0, hh)
        area = np.maximum((x1 - x0) * (y1 - y0), 1)
        return (ii[y1, x1] - ii[y0, x1] - ii[y1, x0] + ii[y0, x0]) / area



def complete_pieces(boxes: np.ndarray, size: PersonSizeModel, scale: float, verify: Callable[[np.ndarray], np.ndarray],
                    short: float = 0.85, reject: float = -1.0, least: float = 0.35) -> np.ndarray:
    """Boxes shorter than ``short`` (and at least ``least``) of the size model's person at their foot row are pieces
    of one (an upper body over dark trousers, legs under a coat the colour of the ground): each is redrawn as the
    model's person standing on its bottom or hanging from its top, whichever ``verify`` (HOG margins) scores
    higher, unless both score below ``reject``."""
    expected = size.height(boxes[:, 3] * scale) / scale
    rel = (boxes[:, 3] - boxes[:, 1]) / expected
    idx = np.flatnonzero((rel < short) & (rel >= least))
    if not len(idx):
        return boxes
    piece = boxes[idx]
    standing = np.c_[piece[:, 3] - expected[idx], piece[:, 3]]
    hanging = np.c_[piece[:, 1], size.foot_below(piece[:, 1] * scale) / scale]
    rows = np.concatenate([standing, hanging])  # (top, foot) of each candidate
    cx = np.tile((piece[:, 0] + piece[:, 2]) / 2, 2)
    half = size.width(rows[:, 1] * scale) / scale / 2
    candidates = np.c_[cx - half, rows[:, 0], cx + half, rows[:, 1]].reshape(2, len(idx), 4)
    margins = verify(candidates.reshape(-1, 4)).reshape(2, len(idx))
    pick, ok = margins.argmax(axis=0), margins.max(axis=0) >= reject
    out = boxes.copy()
    out[idx[ok]] = candidates[pick, np.arange(len(idx))][ok]
    return out


def _snap(moving: np.ndarray, person: np.ndarray, match: np.ndarray, hog: np.ndarray, size: PersonSizeModel,
          scale: float, weight: float) -> np.ndarray:
    """Moving ``person`` boxes moved ``weight`` of the way to the size model's person at their foot row, centred on
    the HOG person that confirmed each (``match``, -1 for none), else on the box itself."""
    target = _regularise(moving, size, scale)
    hit = match >= 0
    target[hit] = hog[match[hit]]
    out = moving.copy()
    out[person] += weight * (target[person] - moving[person])
    return out


def _regularise(boxes: np.ndarray, size: PersonSizeModel, scale: float) -> np.ndarray:
    """HOG boxes resized to the size model's person at their foot row, about their centres (HOG sizes come in
    coarse scale steps; a steady size keeps the tracker's overlaps steady)."""
    c = (boxes[:, :2] + boxes[:, 2:]) / 2
    h = size.height((boxes[:, 3]) * scale) / scale
    w = size.width((boxes[:, 3]) * scale) / scale
    return np.c_[c[:, 0] - w / 2, c[:, 1] - h / 2, c[:, 0] + w / 2, c[:, 1] + h / 2]
