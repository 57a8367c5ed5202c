"""eval3d --source on real YCB-Video depth (ycbv-0000): ScanNet-style AP, replayed masks, confidence, voxel size."""

from __future__ import annotations

import json

import numpy as np
import pytest

from perception.cli import main
from perception.lifting import scene_voxel
from perception.map3d.gt_points import GTFuser, read_label_image
from perception.map3d.point_eval import evaluate_source, point_metrics
from perception.segmentation import build_segmenter
from perception.sources import open_source
from perception.types import InputError


@pytest.fixture(scope="module")
def ycbv(shared_data):
    return shared_data / "rgbd" / "ycbv-0000"


def test_point_metrics_ignore_small_gt_and_void_predictions():
    gt_xyz = np.concatenate([np.random.default_rng(0).uniform(0, 1, (300, 3)) + [0, 0, z] for z in (0, 5, 10)])
    gt_ids = np.repeat([1, 2, 0], 300)
    gt_ids[:20] = 7  # 20 points: under 100, ignored
    perfect = point_metrics(gt_xyz, gt_ids, gt_xyz, np.where(gt_ids == 7, 1, gt_ids), {1: 0.9, 2: 0.8})
    assert perfect["ap50"] == pytest.approx(1.0) and perfect["gt_instances"] == 2
    # a high-confidence prediction lying on unlabelled points is not a false positive
    pred = np.where(gt_ids == 0, 3, np.where(gt_ids == 7, 1, gt_ids))
    assert point_metrics(gt_xyz, gt_ids, gt_xyz, pred, {1: 0.5, 2: 0.4, 3: 1.0})["ap50"] == pytest.approx(1.0)
    merged = point_metrics(gt_xyz, gt_ids, gt_xyz, np.where(gt_ids > 0, 1, 0), {1: 1.0})
    assert merged["ap50"] == pytest.approx(0.5) and merged["ap25"] == pytest.approx(0.5)


def test_fused_label_images_agree_with_the_shipped_gt_points(ycbv):
    fuser = GTFuser()
    with open_source(str(ycbv)) as src:
        for p in src:
            fuser.add(read_label_image(ycbv / "instance-filt" / f"{p.index}.png", p.depth.shape), p.depth,
                      p.intrinsics, p.pose)
    xyz, ids = fuser.points()
    ref = np.load(ycbv / "gt_points.npz")
    for g in (8, 14, 21):
        n, n_ref = (ids == g).sum(), (ref["instance"] == g).sum()
        assert 0.5 * n_ref <= n <= 2 * n_ref, (g, n, n_ref)
        assert np.linalg.norm(xyz[ids == g].mean(0) - ref["xyz"][ref["instance"] == g].mean(0)) < 0.01


def test_replayed_ground_truth_masks_bound_lifting_and_merging(ycbv):
    seg = build_segmenter(f"masks:{ycbv / 'instance-filt'}", keyframe_every=0)
    m = evaluate_source(ycbv, seg)
    assert m["frames"] == 10 and m["gt_instances"] == 3
    assert abs(m["voxel"] - 0.01) < 1e-9  # tabletop at ~0.6 m: a 1 cm map
    assert m["ap50"] >= 0.95 and min(m["best_iou"].values()) >= 0.8, m


def test_eval3d_source_command_reports_and_guards_the_json(ycbv, tmp_path, capsys):
    out = tmp_path / "ap.json"
    assert main(["eval3d", "--source", str(ycbv), "--summary-json", str(out)]) == 0
    doc = json.loads(out.read_text())
    assert 0.0 <= doc["ap50"] <= doc["ap25"] <= 1.0 and set(doc["best_iou"]) == {"8", "14", "21"}
    print(doc)  # the per-object IoU on ycbv-0000 with the default pipeline
    assert doc["ap25"] >= 0.6
    assert "best IoU per object" in capsys.readouterr().out
    assert main(["eval3d", "--source", str(ycbv), "--summary-json", str(out)]) == 2  # exists, no --overwrite
    assert main(["eval3d", "--source", str(ycbv), "--max-frames", "2", "--summary-json", str(out), "--overwrite"]) == 0
    assert main(["eval3d", "--source", str(tmp_path), "--gt", str(tmp_path / "none.npz")]) == 2


def test_masks_segmenter_reads_png_and_npz(ycbv, tmp_path):
    with open_source(str(ycbv)) as src:
        p = src.read()
    lab = read_label_image(ycbv / "instance-filt" / "0.png", p.depth.shape)
    masks = np.stack([lab == g for g in (8, 14, 21)])
    np.savez(tmp_path / "0.npz", masks=masks)
    from_png = build_segmenter(f"masks:{ycbv / 'instance-filt'}").segment(p)
    from_npz = build_segmenter(f"masks:{tmp_path}").segment(p)
    assert len(from_png.detections) == len(from_npz.detections) == 3
    assert np.array_equal(from_png.labels >= 0, from_npz.labels >= 0)
    p.index = 5  # no file for this frame: no segments
    assert len(from_npz.detections) == 3 and len(build_segmenter(f"masks:{tmp_path}").segment(p).detections) == 0
    with pytest.raises(InputError):
        build_segmenter("masks")
    with pytest.raises(InputError):
        build_segmenter(f"masks:{tmp_path / 'missing'}")


def test_scene_voxel_follows_depth():
    assert scene_voxel(np.full((10, 10), 0.6, np.float32)) == pytest.approx(0.01)
    assert scene_voxel(np.full((10, 10), 1.9, np.float32)) == pytest.approx(0.02)
    assert scene_voxel(np.full((10, 10), 6.0, np.float32)) == pytest.approx(0.025)
