"""Synthetic walkers sequences: determinism, boxes equal to masks, entries/exits/occlusions, detector simulation."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from perception.io.mot import read_mot
from perception.sources.images import ImageFolderSource, read_seqinfo
from perception.synthetic import MotGroundTruth, cache, generate_mot_sequence, open_synthetic

SMALL = {"n_frames": 100, "width": 320, "height": 240, "n_walkers": 8}


@pytest.fixture(scope="module")
def seq(tmp_path_factory) -> Path:
    return generate_mot_sequence(tmp_path_factory.mktemp("walkers") / "seq", seed=1, **SMALL)


def _iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    lo, hi = np.maximum(a[:, None, :2], b[None, :, :2]), np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.prod(np.clip(hi - lo, 0, None), axis=2)
    area = lambda x: np.prod(x[:, 2:] - x[:, :2], axis=1)  # noqa: E731
    return inter / (area(a)[:, None] + area(b)[None, :] - inter)


def test_same_seed_same_files(seq: Path, tmp_path: Path) -> None:
    again = generate_mot_sequence(tmp_path / "seq", seed=1, **SMALL)
    for rel in ("gt/gt.txt", "gt/amodal.txt", "det/det.txt", "gt/walkers.json", "img1/000050.jpg",
                "gt/masks/000050.png"):
        assert (again / rel).read_bytes() == (seq / rel).read_bytes(), rel
    other = generate_mot_sequence(tmp_path / "other", seed=2, **SMALL)
    assert (other / "gt/gt.txt").read_bytes() != (seq / "gt/gt.txt").read_bytes()


def test_mot_layout_reads_with_the_real_readers(seq: Path) -> None:
    info = read_seqinfo(seq)
    assert (info.length, info.width, info.height) == (SMALL["n_frames"], SMALL["width"], SMALL["height"])
    with ImageFolderSource(seq) as src:
        assert len(src) == SMALL["n_frames"] and src.info.kind == "mot"
        src.seek(49)
        packet = src.read()
    assert packet.index == 49 and packet.image.shape == (SMALL["height"], SMALL["width"], 3)
    gt, det = read_mot(seq / "gt/gt.txt"), read_mot(seq / "det/det.txt")
    assert not gt.warnings and not det.warnings
    assert gt.frames.min() >= 1 and gt.frames.max() <= SMALL["n_frames"] and gt.ids.min() >= 1
    assert np.all(det.ids == -1) and np.all((det.scores >= 0) & (det.scores <= 1))


def test_gt_boxes_are_the_bounding_boxes_of_the_masks(seq: Path) -> None:
    truth = MotGroundTruth.load(seq)
    sizes = {w["id"]: None for w in truth.walkers}
    for f in range(len(truth)):
        mask = truth.mask(f)
        ids, boxes = truth.boxes(f)
        for i, box in zip(ids, boxes):
            ys, xs = np.nonzero(mask == i)
            assert box.tolist() == [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]
        # every walker in the mask is in gt.txt unless it is less than min_visibility visible
        amodal = truth.amodal.rows_for(f + 1)
        vis = dict(zip(truth.amodal.ids[amodal].tolist(), truth.amodal.scores[amodal].tolist()))
        for i in set(np.unique(mask).tolist()) - {0} - set(ids.tolist()):
            assert vis[i] < 0.1
        assert set(ids.tolist()) <= set(sizes)


def test_walkers_enter_leave_and_hide_for_long(seq: Path) -> None:
    gt = MotGroundTruth.load(seq).gt
    firsts = {int(i): gt.frames[gt.ids == i].min() for i in np.unique(gt.ids)}
    lasts = {int(i): gt.frames[gt.ids == i].max() for i in np.unique(gt.ids)}
    assert len(firsts) == SMALL["n_walkers"]
    assert sum(f > 1 for f in firsts.values()) >= 3 and sum(l < SMALL["n_frames"] for l in lasts.values()) >= 1
    longest_gap = max(int((np.diff(gt.frames[gt.ids == i]) - 1).max(initial=0)) for i in firsts)
    assert longest_gap >= 20  # fully hidden behind a pillar for 20+ frames, then seen again with the same id
    amodal = MotGroundTruth.load(seq).amodal
    inside = (amodal.xyxy[:, 0] >= 0) & (amodal.xyxy[:, 2] <= SMALL["width"]) & (amodal.xyxy[:, 3] <= SMALL["height"])
    assert np.sum(inside & (amodal.scores < 0.5)) >= 20  # partly occluded while fully inside the image


def test_detector_simulation_is_noisy_but_informative(seq: Path) -> None:
    truth = MotGroundTruth.load(seq)
    gt, det = truth.gt, truth.det
    matched = missed = fp = 0
    vis_of_missed, vis_of_found = [], []
    vis_lookup = {(int(f), int(i)): s for f, i, s in zip(truth.amodal.frames, truth.amodal.ids, truth.amodal.scores)}
    for f in range(1, SMALL["n_frames"] + 1):
        g, d = gt.rows_for(f), det.rows_for(f)
        iou = _iou(gt.xyxy[g], det.xyxy[d]) if len(g) and len(d) else np.zeros((len(g), len(d)))
        found = iou.max(axis=1, initial=0) > 0.5 if len(d) else np.zeros(len(g), bool)
        matched += int(found.sum())
        missed += int((~found).sum())
        fp += int((iou.max(axis=0, initial=0) < 0.3).sum()) if len(g) else len(d)
        for row, ok in zip(g, found):
            (vis_of_found if ok else vis_of_missed).append(vis_lookup[(f, int(gt.ids[row]))])
        same = np.abs(det.xyxy[d][:, None] - gt.xyxy[g][None]).max(axis=-1) < 1e-6
        assert not same.any()  # boxes are jittered, never copied
    assert matched > 0.75 * len(gt) and missed > 0 and fp > 0
    assert np.mean(vis_of_missed) < np.mean(vis_of_found)


def test_open_synthetic_walkers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path))
    with open_synthetic("synthetic:walkers-3", n_frames=20, width=160, height=120) as src:
        assert isinstance(src.ground_truth, MotGroundTruth) and len(src) == 20
        packets = list(src)
    assert len(packets) == 20 and packets[0].depth is None
    on_disk = cv2.imread(str(src.root / "img1" / "000001.jpg"))
    assert np.array_equal(packets[0].image, on_disk)
