"""The map and odometry on the real 7-Scenes frames; the RGB segmenter on a real video; the eval3d command."""

from __future__ import annotations

import json

import cv2
import numpy as np

from perception.cli import main
from perception.map3d import build_map3d_stage
from perception.odometry import RGBDOdometry, ate_rmse
from perception.segmentation import SegmentStage, build_segmenter
from perception.sources import open_source
from perception.types import FrameResult


def _top_down(xyz: np.ndarray, ids: np.ndarray, px: float = 0.025, zoom: int = 4) -> np.ndarray:
    """An image looking down the world z axis, each instance in its own colour."""
    lo = xyz[:, :2].min(0)
    ij = ((xyz[:, :2] - lo) / px).astype(int)
    img = np.zeros((ij[:, 1].max() + 1, ij[:, 0].max() + 1, 3), np.uint8)
    palette = np.random.default_rng(0).integers(60, 255, (int(ids.max()) + 1, 3)).astype(np.uint8)
    palette[0] = 90
    order = np.argsort(xyz[:, 2])  # higher points drawn last
    img[ij[order, 1], ij[order, 0]] = palette[ids[order]]
    return cv2.resize(img, None, fx=zoom, fy=zoom, interpolation=cv2.INTER_NEAREST)


def test_7scenes_map_builds_exports_and_renders(shared_data, artifacts_dir, tmp_path):
    seg, stage = SegmentStage(build_segmenter("geometric")), build_map3d_stage(odometry=False)
    with open_source(str(shared_data / "rgbd" / "7scenes-a")) as src:
        for packet in src:
            result = stage.process(seg.process(FrameResult(packet)))
            assert not result.errors
    assert stage.skipped == 0 and len(stage.map.info) >= 5
    n = stage.export_ply(tmp_path / "kitchen.ply")
    import open3d as o3d

    pcd = o3d.io.read_point_cloud(str(tmp_path / "kitchen.ply"))
    assert len(pcd.points) == n > 10000
    xyz, _rgb, ids = stage.points()
    img = _top_down(xyz, ids)
    assert cv2.imwrite(str(artifacts_dir / "map3d_7scenes_topdown.png"), img)
    assert (img.sum(2) > 0).mean() > 0.1


def test_odometry_tracks_7scenes_within_5cm(shared_data):
    odo = RGBDOdometry(scale=0.25)
    est, ref = [], []
    with open_source(str(shared_data / "rgbd" / "7scenes-a")) as src:
        for packet in src:
            r = odo.track(packet.image, packet.depth, packet.intrinsics)
            assert r.pose is not None, f"tracking lost at frame {packet.index}"
            est.append(r.pose)
            ref.append(packet.pose)
    ate = ate_rmse(np.stack(est), np.stack(ref))
    print(f"7-Scenes odometry ATE RMSE over {len(est)} frames: {100 * ate:.2f} cm")
    assert ate <= 0.05


def test_odometry_reports_loss_instead_of_drifting(shared_data):
    odo = RGBDOdometry(scale=0.25)
    with open_source(str(shared_data / "rgbd" / "7scenes-a")) as src:
        first = src.read()
    assert odo.track(first.image, first.depth, first.intrinsics).method == "init"
    noise = np.random.default_rng(0)
    junk_img = noise.integers(0, 255, first.image.shape, dtype=np.uint8)
    junk_depth = noise.uniform(0.5, 4.0, first.depth.shape).astype(np.float32)
    r = odo.track(junk_img, junk_depth, first.intrinsics)
    assert r.pose is None and r.method == "lost" and odo.lost_frames == 1


def test_rgb_segmenter_gives_masks_on_a_plain_video(shared_data):
    seg = build_segmenter("rgb")
    with open_source(str(shared_data / "video" / "megamind.avi")) as src:
        outs = [seg.segment(p) for p, _ in zip(src, range(12))]
    assert all(len(o.detections) > 0 for o in outs)
    d = outs[-1].detections
    assert d.masks.shape[1:] == outs[-1].labels.shape and d.embeddings is not None


def test_eval3d_command_writes_ap(tmp_path, capsys):
    from perception.synthetic.rgbd_scene import generate_rgbd_scene

    scene = generate_rgbd_scene(tmp_path / "scene", seed=5, n_frames=8, width=320, height=240)
    out = tmp_path / "m.json"
    assert main(["eval3d", "--scene", str(scene), "--summary-json", str(out)]) == 0
    doc = json.loads(out.read_text())
    assert 0.0 <= doc["ap50"] <= doc["ap25"] <= 1.0 and doc["frames"] == 8
    assert "AP25" in capsys.readouterr().out
    assert main(["eval3d", "--scene", str(tmp_path / "nowhere")]) == 2
