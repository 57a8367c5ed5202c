"""PeopleDetector (motion + HOG): the registry, synthetic walkers, people in a still frame, real sequences."""

from __future__ import annotations

import tempfile
from pathlib import Path

import cv2
import numpy as np
import pytest

from perception.detection import build_detector
from perception.detection.base import Detector, DetectStage
from perception.detection.blobs import oversized, split_blob
from perception.detection.hog import HogPeople, box_iou, nms
from perception.detection.image_quality import blockiness, noise_sigma
from perception.detection.people import PeopleDetector, _snap, complete_pieces, hog_score, scan_levels
from perception.detection.size_model import PersonSizeModel
from perception.io.mot import write_mot
from perception.pipeline.runner import Pipeline, run_pipeline
from perception.sources.images import ImageFolderSource
from perception.synthetic.walkers import WalkersConfig, make_walkers, render_walkers
from perception.types import FramePacket, SourceInfo
from trackers.registry import build_tracker
from trackers.stage import TrackerStage


def _packet(i: int, image: np.ndarray, fps: float = 25.0) -> FramePacket:
    h, w = image.shape[:2]
    return FramePacket(i, i / fps, np.ascontiguousarray(image), SourceInfo("test", "images", fps, w, h))


def test_registered_and_follows_the_protocol() -> None:
    det = build_detector("people")
    assert isinstance(det, PeopleDetector) and isinstance(det, Detector)
    assert det.name == "people" and det.class_names[0] == "person"
    det.close()


def test_scores_and_nms() -> None:
    s = hog_score(np.array([-2.0, 0.0, 0.3, 1.0, 3.0]))
    assert np.all(np.diff(s) > 0) and s[0] > 0 and s[-1] < 1 and s[2] > 0.6 > s[1]
    boxes = np.array([[0, 0, 10, 20], [1, 1, 11, 21], [30, 0, 40, 20]], float)
    assert list(nms(boxes, np.array([0.5, 0.9, 0.1]))) == [1, 2]
    assert box_iou(boxes[:1], boxes[:1])[0, 0] == pytest.approx(1.0)


def test_scan_covers_the_frame_at_every_scale() -> None:
    levels = scan_levels(768, 576)
    assert len(levels) >= 8
    for tiles in levels:
        boxes = np.array([b for b, _ in tiles])
        assert boxes[:, 0].min() <= 0 and boxes[:, 1].min() <= 0
        assert boxes[:, 2].max() >= 768 - 64 / tiles[0][1] and boxes[:, 3].max() >= 576 - 128 / tiles[0][1]


def test_synthetic_walkers_found_and_labelled() -> None:
    cfg = WalkersConfig(seed=3, n_frames=80, width=320, height=240, n_walkers=6, n_pillars=1)
    walkers, pillars, background = make_walkers(cfg)
    det = PeopleDetector()
    tp = fp = fn = 0
    for f in range(cfg.n_frames):
        img, ids, _ = render_walkers(walkers, pillars, background, f)
        d = det.detect(_packet(f, img))
        assert np.all((d.scores >= 0) & (d.scores <= 1)) and set(d.labels) <= set(det.class_names)
        if f < 20:
            continue
        gt = [np.array([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]) for i in np.unique(ids)[1:]
              for ys, xs in [np.nonzero(ids == i)] if len(xs) > 150]
        gt = np.array(gt).reshape(-1, 4)
        iou = box_iou(gt, d.xyxy) if len(gt) and len(d) else np.zeros((len(gt), len(d)))
        hit = iou.max(axis=1, initial=0) >= 0.5
        tp, fn = tp + hit.sum(), fn + (~hit).sum()
        fp += int((iou.max(axis=0, initial=0) < 0.3).sum())
    det.close()
    assert tp / (tp + fn) >= 0.7, (tp, fn)
    assert tp / (tp + fp) >= 0.7, (tp, fp)


def test_two_walkers_side_by_side_are_split() -> None:
    size = PersonSizeModel(min_samples=10, refit_every=1)
    for foot in range(60, 120, 3):  # lone walkers 40 x 16 (swinging limbs included)
        size.add(foot, 40, 16)
    mask = np.zeros((40, 24), np.uint8)  # two people 14 wide, 10 apart: each hides the other's flank
    mask[:, :14] = mask[:, 10:] = 1
    blob = np.array([50.0, 60.0, 74.0, 100.0])
    assert oversized(blob, size)  # 1.5 widths: a pair, not one person
    parts = np.array(split_blob(mask, (50, 60), size))
    people = np.array([[50.0, 60.0, 64.0, 100.0], [60.0, 60.0, 74.0, 100.0]])
    assert len(parts) == 2 and np.all(box_iou(people, parts).max(axis=1) >= 0.5), parts


def test_moving_people_are_drawn_toward_the_size_model() -> None:
    size = PersonSizeModel(min_samples=10, refit_every=1)
    for foot in range(60, 120, 3):  # people 40 x 16 on every row
        size.add(foot, 40, 16)
    moving = np.array([[0.0, 0.0, 10.0, 20.0],  # a person whose legs the blob lost
                       [100.0, 0.0, 120.0, 40.0],  # a person a HOG window confirmed
                       [200.0, 0.0, 260.0, 10.0]])  # an object: left as it is
    hog = np.array([[104.0, 2.0, 120.0, 42.0]])
    out = _snap(moving, np.array([True, True, False]), np.array([-1, 0, -1]), hog, size, 1.0, 0.5)
    assert np.allclose(out[0], [-1.5, -5.0, 11.5, 25.0])  # halfway to 16 x 40 about its centre
    assert np.allclose(out[1], [102.0, 1.0, 120.0, 41.0])  # halfway to the HOG person
    assert np.array_equal(out[2], moving[2])


def test_foot_below_is_where_a_person_hanging_from_a_row_stands() -> None:
    size = PersonSizeModel(min_samples=10, refit_every=1)
    for foot in range(100, 300, 5):  # people half as tall as their foot row is far below row 20 (the horizon)
        size.add(foot, 0.5 * (foot - 20), 0.2 * (foot - 20))
    tops = np.array([60.0, 150.0, 240.0])
    feet = size.foot_below(tops)
    assert np.allclose(feet - tops, size.height(feet)) and np.allclose(feet, 2 * tops - 20)


def test_pieces_are_completed_the_way_hog_prefers() -> None:
    size = PersonSizeModel(min_samples=10, refit_every=1)
    for foot in range(60, 120, 3):  # people 40 x 16 on every row
        size.add(foot, 40, 16)
    boxes = np.array([[0.0, 0.0, 16.0, 20.0],  # half a person: an upper body, or legs
                      [100.0, 0.0, 116.0, 40.0],  # a whole person: left as it is
                      [200.0, 0.0, 216.0, 10.0]])  # a quarter: too little to place anyone, left as it is
    hanging, standing = [0.0, 0.0, 16.0, 40.0], [0.0, -20.0, 16.0, 20.0]

    def prefer(margins: tuple[float, float]):
        def verify(candidates: np.ndarray) -> np.ndarray:  # standing candidates first, then hanging ones
            assert len(candidates) == 2 and np.allclose(candidates[:, 1], [-20.0, 0.0])
            return np.array(margins)
        return verify

    assert np.allclose(complete_pieces(boxes, size, 1.0, prefer((-0.5, 0.4)))[0], hanging)
    assert np.allclose(complete_pieces(boxes, size, 1.0, prefer((0.2, -0.3)))[0], standing)
    kept = complete_pieces(boxes, size, 1.0, prefer((-1.2, -1.5)), reject=-1.0)  # HOG sees no one either way
    assert np.array_equal(kept, boxes)
    out = complete_pieces(boxes, size, 1.0, prefer((-0.5, 0.4)))
    assert np.array_equal(out[1:], boxes[1:])


def test_completed_pieces_fit_real_people_better(shared_data: Path) -> None:
    hits = {None: 0, 0.85: 0}  # gt people matched at IoU 0.5, without and with completion (motion + HOG only)
    for name in ("PETS-S3-MF1", "TUD-Campus"):
        seq = shared_data / "mot" / name
        gt = np.loadtxt(seq / "gt" / "gt.txt", delimiter=",")
        for complete in hits:
            det = PeopleDetector(parallel=False, network=False, complete=complete)
            for f, packet in enumerate(ImageFolderSource(seq)):
                d, g = det.detect(packet), gt[gt[:, 0] == f + 1]
                if len(g) and len(d):
                    people = np.c_[g[:, 2:4], g[:, 2:4] + g[:, 4:6]]
                    hits[complete] += int((box_iou(people, d.xyxy).max(axis=1) >= 0.5).sum())
            det.close()
    assert hits[0.85] > hits[None], hits  # 689 -> 707 when written


def test_static_texture_gives_nothing() -> None:
    rng = np.random.default_rng(0)
    scene = cv2.GaussianBlur(rng.integers(0, 255, (288, 384, 3)).astype(np.uint8), (5, 5), 0)
    det = PeopleDetector(parallel=False)
    for i in range(40):
        assert len(det.detect(_packet(i, scene))) == 0


def _gt(seq: Path, frame: int) -> np.ndarray:
    g = np.loadtxt(seq / "gt" / "gt.txt", delimiter=",")
    g = g[g[:, 0] == frame]
    return np.c_[g[:, 2:4], g[:, 2:4] + g[:, 4:6]]


def test_people_in_a_still_frame(shared_data: Path) -> None:
    """Nothing moves, so motion finds nobody; HOG must find the people (standing still, there from frame 1)."""
    seq = shared_data / "mot" / "PETS-S3-MF1"
    image = cv2.imread(str(seq / "img1" / "000050.jpg"))
    gt = _gt(seq, 50)
    det = PeopleDetector()
    for i in range(60):
        d = det.detect(_packet(i, image, 7.0))
    det.close()
    people = d.subset(d.labels == "person")
    hit = box_iou(gt, people.xyxy).max(axis=1, initial=0) >= 0.4 if len(people) else np.zeros(len(gt), bool)
    assert hit.sum() >= 0.4 * len(gt), (hit.sum(), len(gt))  # 3 of the 7 (the unoccluded ones) measured
    assert len(people) <= hit.sum() + 1, len(people)


def test_hog_region_finds_a_real_person(shared_data: Path) -> None:
    seq = shared_data / "mot" / "PETS-S3-MF1"
    gray = cv2.imread(str(seq / "img1" / "000050.jpg"), cv2.IMREAD_GRAYSCALE)
    hog, found = HogPeople(), 0
    for box in _gt(seq, 50):
        wh = box[2:] - box[:2]
        boxes, margins = hog.region(gray, box + np.array([-1.0, -0.5, 1.0, 0.5]) * np.r_[wh, wh], 96.0 / wh[1])
        found += bool(len(boxes)) and box_iou(box[None], boxes[[np.argmax(margins)]])[0, 0] >= 0.5
    assert found >= 5, found  # 6 of 7 measured (one is small and half hidden)


@pytest.mark.parametrize("factor", [2, 3])
def test_hog_verify_holds_on_a_sharper_frame(shared_data: Path, factor: int) -> None:
    """People two or three times taller than HOG's window, in a frame with per-pixel detail (sensor noise, as a
    1080p camera has): ``verify`` reads them about as it reads them at their native size. Sampled straight from
    the big frame, skipped pixels alias the detail into clutter (margins fell ~1.5, half the people below 0)."""
    seq = shared_data / "mot" / "PETS-S3-MF1"
    gray = cv2.imread(str(seq / "img1" / "000050.jpg"), cv2.IMREAD_GRAYSCALE)
    boxes = _gt(seq, 50)
    hog = HogPeople()
    native = hog.verify(gray, boxes)
    big = cv2.resize(gray, None, fx=factor, fy=factor, interpolation=cv2.INTER_LINEAR).astype(np.float32)
    big += np.random.default_rng(0).normal(0.0, 12.0, big.shape).astype(np.float32)
    sharp = hog.verify(np.clip(big, 0, 255).astype(np.uint8), boxes * factor)
    assert (sharp - native).mean() > -1.0, (native, sharp)  # measured -0.6 (2x and 3x); -1.55 before
    assert (sharp > 0).sum() >= (native > 0).sum() - 1, (native, sharp)  # 6 of 6 (3x); 3 before


@pytest.mark.parametrize("name, floor", [("PETS-S3-MF1", 44.0), ("TUD-Campus", 12.0)])
def test_hota_on_real_sequences(shared_data: Path, name: str, floor: float) -> None:
    from trackers.evaluation import evaluate_mot

    seq = shared_data / "mot" / name
    source = ImageFolderSource(seq)
    stage = DetectStage(PeopleDetector())
    pipe = Pipeline([stage, TrackerStage(build_tracker("graph", fps=source.info.fps))])
    rows = []

    def keep(r) -> None:
        for b, i in zip(r.tracks.xyxy, r.tracks.ids):
            rows.append((r.index + 1, i, b[0], b[1], b[2] - b[0], b[3] - b[1]))

    with source:
        run_pipeline(source, pipe, on_result=keep)
    pipe.close()
    a = np.array(rows, float)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "t.txt"
        write_mot(out, a[:, 0].astype(int), a[:, 1].astype(int), a[:, 2:6], np.ones(len(a)))
        hota = 100 * evaluate_mot(seq, out)["combined"]["HOTA"]
    assert hota >= floor, hota  # measured 58.8 and 33.8 (bench/detect_video.py)


def test_noise_estimate_reads_known_sensor_noise(shared_data: Path) -> None:
    """``noise_sigma`` reads the per-pixel noise added to a real frame (edges and texture do not count as noise)
    and stays well under the ``denoise`` threshold on the clean frame."""
    gray = cv2.imread(str(shared_data / "mot" / "TUD-Campus" / "img1" / "000030.jpg"), cv2.IMREAD_GRAYSCALE)
    assert noise_sigma(gray) < 0.7 * PeopleDetector().denoise, noise_sigma(gray)  # 0.46 measured
    rng = np.random.default_rng(0)
    for sigma in (3.0, 6.0):
        noisy = np.clip(gray + rng.normal(0.0, sigma, gray.shape), 0, 255).astype(np.uint8)
        assert abs(noise_sigma(noisy) - sigma) < 0.15 * sigma, (sigma, noise_sigma(noisy))


@pytest.mark.parametrize("frame", [50, 80])
def test_hog_margins_hold_on_a_noisy_frame(shared_data: Path, frame: int) -> None:
    """Sensor noise (sigma 6 per colour channel) on a real frame: HOG reads the people about as on the clean
    frame, because the detector measures the noise and smooths the grey frame HOG reads; a clean frame is read
    as it is. Read raw, the noisy frame's margins fell by 0.4-0.55 (on the whole of TUD-Campus, whose people
    lose less, the size model taught by confident HOG walkers was still ready 35 frames later)."""
    seq = shared_data / "mot" / "PETS-S3-MF1"
    image = cv2.imread(str(seq / "img1" / f"{frame:06d}.jpg"))
    boxes = _gt(seq, frame)
    boxes = boxes[boxes[:, 3] - boxes[:, 1] > 60]
    det = PeopleDetector()
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    det.noise = noise_sigma(gray)
    assert det.hog_gray(gray) is gray  # clean: a no-op
    clean = det.hog.verify(gray, boxes)
    noise = np.random.default_rng(0).normal(0.0, 6.0, image.shape)
    noisy = cv2.cvtColor(np.clip(image + noise, 0, 255).astype(np.uint8), cv2.COLOR_BGR2GRAY)
    det.noise = noise_sigma(noisy)
    assert det.noise > det.denoise, det.noise
    read = det.hog.verify(det.hog_gray(noisy), boxes)
    raw = det.hog.verify(noisy, boxes)
    assert (read - clean).mean() > -0.3, (clean, read, raw)  # -0.21 and -0.14 measured; raw -0.54 and -0.41
    assert (read - raw).mean() > 0.15, (clean, read, raw)


def test_blockiness_tells_heavy_compression(shared_data: Path) -> None:
    """``blockiness`` of a frame re-encoded at JPEG quality 30 is above the ``deblock`` switch-on level, the
    shared frame's own is below its switch-off level."""
    gray = cv2.imread(str(shared_data / "mot" / "TUD-Campus" / "img1" / "000030.jpg"), cv2.IMREAD_GRAYSCALE)
    on, off = PeopleDetector().deblock
    q30 = cv2.imdecode(cv2.imencode(".jpg", gray, [cv2.IMWRITE_JPEG_QUALITY, 30])[1], cv2.IMREAD_GRAYSCALE)
    assert blockiness(gray) < off, blockiness(gray)  # 1.21 measured
    assert blockiness(q30) > on, blockiness(q30)  # 2.1 measured


def test_size_model_comes_early_on_compressed_footage(shared_data: Path) -> None:
    """TUD-Campus re-encoded at JPEG quality 30: the HOG read of a blurred frame keeps enough confident walkers
    for their size model to be ready early (frame 23 measured; 14 on the shared frames); read raw, the 8x8 block
    edges lowered the margins and it came at frame 42."""
    seq = shared_data / "mot" / "TUD-Campus"
    det = PeopleDetector(parallel=False)
    ready = None
    for i in range(40):
        image = cv2.imread(str(seq / "img1" / f"{i + 1:06d}.jpg"))
        image = cv2.imdecode(cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 30])[1], cv2.IMREAD_COLOR)
        det.detect(_packet(i, image, 25.0))
        if det.hog_size.ready:
            ready = i
            break
    assert det.deblocking
    assert ready is not None and ready <= 32, ready
