"""Synthetic RGB-D rooms: determinism, disk round trip through the ESAM reader, exact 3D instance labels, caching."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import perception.synthetic as synthetic
from perception.sources.rgbd import RGBDFolderSource
from perception.sources.synthetic import SyntheticSource, open_room_folder
from perception.synthetic import cache, generate_rgbd_scene, open_synthetic, parse_spec, sample_path
from perception.synthetic.folder import COMPLETE_MARKER
from perception.synthetic.render import RoomRenderer
from perception.synthetic.room import RoomConfig, build_room, camera_path
from perception.synthetic.room_truth import RoomGroundTruth
from perception.types import InputError

SMALL = {"n_frames": 12, "width": 160, "height": 120, "n_objects": 8}


@pytest.fixture(scope="module")
def room(tmp_path_factory) -> Path:
    return generate_rgbd_scene(tmp_path_factory.mktemp("room") / "scene", seed=3, **SMALL)


@pytest.fixture(scope="module")
def clutter(tmp_path_factory) -> Path:
    return generate_rgbd_scene(tmp_path_factory.mktemp("clutter") / "scene", seed=5, heavy_occlusion=True, **SMALL)


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_same_seed_same_files_other_seed_other_scene(room: Path, tmp_path: Path) -> None:
    again = generate_rgbd_scene(tmp_path / "again", seed=3, **SMALL)
    assert _files(again) == _files(room)
    other = generate_rgbd_scene(tmp_path / "other", seed=4, **SMALL)
    assert _files(other)["gt_instances.json"] != _files(room)["gt_instances.json"]


def test_layout_and_round_trip_through_esam_reader(room: Path) -> None:
    for sub in ("color", "depth", "pose", "instance"):
        assert sorted(int(p.stem) for p in (room / sub).iterdir()) == list(range(SMALL["n_frames"]))
    assert (room / "intrinsic.txt").is_file() and (room / COMPLETE_MARKER).is_file()
    cfg = RoomConfig(seed=3, **SMALL)
    poses, k = camera_path(cfg), cfg.intrinsics_matrix()
    np.testing.assert_allclose(np.loadtxt(room / "intrinsic.txt"), k, atol=1e-6)
    with open_room_folder(room) as src:
        assert isinstance(src.reader, RGBDFolderSource) and src.info.has_depth and len(src) == SMALL["n_frames"]
        assert isinstance(src.ground_truth, RoomGroundTruth)
        packets = list(src)
    assert len(packets) == SMALL["n_frames"]
    renderer = RoomRenderer(src.ground_truth.instances, k, SMALL["width"], SMALL["height"])
    for p in packets[::5]:
        view = renderer.render(p.index, poses[p.index])
        np.testing.assert_allclose(p.depth, view.depth, atol=0.0005 + 1e-6)  # millimetre PNG, metres back
        assert np.array_equal(src.ground_truth.instance_map(p.index), view.instance)
        np.testing.assert_allclose(p.pose, poses[p.index], atol=1e-8)
        np.testing.assert_allclose(p.intrinsics.matrix, k, atol=1e-6)
        assert p.image.shape == (SMALL["height"], SMALL["width"], 3) and p.depth.dtype == np.float32
        assert (p.depth > 0).all()  # the room is closed: every ray hits a surface


def _check_labels_against_depth(root: Path) -> set[int]:
    """Back-project every pixel; each must lie on its instance's shape (and inside its JSON box) within 1 cm."""
    gt = RoomGroundTruth.load(root)
    records = {r["id"]: r for r in json.loads((root / "gt_instances.json").read_text())["instances"]}
    checked: set[int] = set()
    for f in range(len(gt)):
        points, ids = gt.back_project(f)
        assert len(points) == SMALL["width"] * SMALL["height"]
        for i in np.unique(ids):
            inst, pts = gt.instance(int(i)), points[ids == i]
            dist = inst.signed_distance(pts, f)
            assert np.abs(dist).max() < 0.01, f"frame {f}: instance {i} ({inst.name}) off by {np.abs(dist).max():.3f} m"
            lo, hi = np.asarray(records[int(i)]["boxes"][f] if inst.moving else records[int(i)]["box"])
            assert np.all(pts >= lo - 0.01) and np.all(pts <= hi + 0.01)
            # the labels are not interchangeable: another instance's shape does not explain these pixels
            others = [o for o in gt.instances if o.id != i]
            nearest = np.min([np.abs(o.signed_distance(pts, f)) for o in others], axis=0)
            assert np.mean(nearest > 0.01) > 0.5
            checked.add(int(i))
    return checked


def test_instance_labels_agree_with_back_projected_depth(room: Path) -> None:
    gt = RoomGroundTruth.load(room)
    checked = _check_labels_against_depth(room)
    moving = {i.id for i in gt.instances if i.moving}
    assert len(moving) == 2 and moving <= checked
    assert {1, 2} & checked and len(checked & set(gt.object_ids.tolist())) >= 4


def test_label_points_recovers_the_instance_maps(room: Path) -> None:
    gt = RoomGroundTruth.load(room)
    for f in (0, len(gt) - 1):
        points, ids = gt.back_project(f, stride=2)
        labels = gt.label_points(points, frame=f)
        assert np.mean(labels == ids) > 0.99
    assert np.all(gt.label_points(np.array([[0.0, 0.0, 50.0]])) == 0)


def test_colour_odometry_recovers_the_ground_truth_motion() -> None:
    import open3d as o3d

    cfg = RoomConfig(seed=1, n_frames=60, width=320, height=240, moving=False)
    k, poses = cfg.intrinsics_matrix(), camera_path(cfg)
    renderer = RoomRenderer(build_room(cfg), k, cfg.width, cfg.height)
    cam = o3d.camera.PinholeCameraIntrinsic(cfg.width, cfg.height, k[0, 0], k[1, 1], k[0, 2], k[1, 2])

    def rgbd(f: int):
        view = renderer.render(f, poses[f])
        return o3d.geometry.RGBDImage.create_from_color_and_depth(
            o3d.geometry.Image(np.ascontiguousarray(view.color[..., ::-1])), o3d.geometry.Image(view.depth),
            depth_scale=1.0, depth_trunc=20.0)

    option = o3d.pipelines.odometry.OdometryOption()
    option.depth_max = 20.0
    for f in (0, 30):
        ok, step, _ = o3d.pipelines.odometry.compute_rgbd_odometry(
            rgbd(f + 1), rgbd(f), cam, np.eye(4), o3d.pipelines.odometry.RGBDOdometryJacobianFromColorTerm(), option)
        truth = np.linalg.inv(poses[f]) @ poses[f + 1]
        err = np.linalg.inv(truth) @ step
        assert ok and np.linalg.norm(truth[:3, 3]) > 0.05
        angle = np.degrees(np.arccos(min(1.0, (np.trace(err[:3, :3]) - 1) / 2)))
        assert np.linalg.norm(err[:3, 3]) < 0.01 and angle < 0.2


def test_moving_objects_really_move_in_the_depth(room: Path) -> None:
    gt = RoomGroundTruth.load(room)
    for inst in (i for i in gt.instances if i.moving):
        shift = np.linalg.norm(inst.poses[-1][:3, 3] - inst.poses[len(gt) // 2][:3, 3])
        assert shift > 0.05
        frames = [f for f in range(len(gt)) if (gt.instance_map(f) == inst.id).sum() > 30]
        assert len(frames) >= 2
        # the pixels sit on the object's pose of their own frame, not on its first pose
        f = max(frames, key=lambda fr: np.linalg.norm(inst.poses[fr][:3, 3] - inst.poses[0][:3, 3]))
        points, ids = gt.back_project(f)
        pts = points[ids == inst.id]
        moved = np.linalg.norm(inst.poses[f][:3, 3] - inst.poses[0][:3, 3])
        if moved > inst.size.max():
            assert np.abs(inst.signed_distance(pts, 0)).min() > 0.01


def test_heavy_occlusion_adds_pillars_that_hide_objects(clutter: Path) -> None:
    gt = RoomGroundTruth.load(clutter)
    assert sum(i.name == "pillar" for i in gt.instances) == 6
    _check_labels_against_depth(clutter)
    records = json.loads((clutter / "gt_instances.json").read_text())["instances"]
    pillar_pixels = sum(r["pixel_count"] for r in records if r["name"] == "pillar")
    assert pillar_pixels > 0.05 * SMALL["width"] * SMALL["height"] * SMALL["n_frames"]


def test_spec_strings() -> None:
    assert parse_spec("synthetic") == ("room", {"seed": 0})
    assert parse_spec("synthetic:room") == ("room", {"seed": 0})
    assert parse_spec("synthetic:room-7") == ("room", {"seed": 7})
    assert parse_spec("synthetic:7") == ("room", {"seed": 7})
    assert parse_spec("synthetic:walkers-3") == ("walkers", {"seed": 3})
    assert parse_spec("synthetic:clutter-2") == ("room", {"seed": 2, "heavy_occlusion": True, "n_objects": 16})
    for bad in ("synthetic:", "synthetic:castle", "synthetic:room-x", "room-7"):
        with pytest.raises(InputError, match="accepted"):
            parse_spec(bad)


def test_open_synthetic_generates_once_then_reuses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path))
    with open_synthetic("synthetic:7", n_frames=3, width=64, height=48) as src:
        assert isinstance(src, SyntheticSource) and src.ground_truth.seed == 7
        packets = list(src)
        assert len(packets) == 3 and all(p.depth is not None and p.pose is not None for p in packets)
        root = src.root
    assert root.parent == tmp_path / "synthetic" and (root / COMPLETE_MARKER).is_file()
    stamp = (root / "gt_instances.json").stat().st_mtime_ns
    with open_synthetic("synthetic:room-7", n_frames=3, width=64, height=48) as src:
        assert src.root == root
    assert (root / "gt_instances.json").stat().st_mtime_ns == stamp
    with pytest.raises(InputError, match="n_walkers"):
        open_synthetic("synthetic:room", n_walkers=3)


def test_killed_generation_leaves_no_scene(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    original = RoomRenderer.render

    def failing(self, frame, pose):
        if frame == 2:
            raise KeyboardInterrupt
        return original(self, frame, pose)

    monkeypatch.setattr(RoomRenderer, "render", failing)
    with pytest.raises(KeyboardInterrupt):
        generate_rgbd_scene(tmp_path / "scene", n_frames=4, width=32, height=24)
    assert list(tmp_path.iterdir()) == []


def test_sample_path_is_cached_and_complete(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path))
    monkeypatch.setattr(cache, "SAMPLE_OPTIONS", {**cache.SAMPLE_OPTIONS, "n_frames": 2, "width": 48, "height": 32})
    path = sample_path()
    assert (path / COMPLETE_MARKER).is_file() and len(list((path / "color").iterdir())) == 2
    monkeypatch.setattr(cache, "generate_rgbd_scene", lambda *a, **k: pytest.fail("regenerated a complete sample"))
    assert sample_path() == path
    assert synthetic.sample_path is sample_path


def test_another_focal_length_renders_with_it_and_is_cached_apart(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A scene at fx 1067 (YCB-Video's camera) writes that focal length and never reuses a cached default (fx 525)
    scene of the same seed; the default's cache names stay as they were."""
    from perception.commands.eval3d import scene_folder
    from perception.synthetic.rgbd_scene import scene_name

    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path))
    default = scene_folder("synthetic:tabletop:3", 1, heavy_occlusion=False, static=True)
    narrow = scene_folder("synthetic:tabletop:3", 1, heavy_occlusion=False, static=True, focal=1067)
    assert default.name == "tabletop-seed3-n1-static" and narrow.name == "tabletop-seed3-n1-static-fx1067"
    assert np.loadtxt(default / "intrinsic.txt")[0, 0] == 525 and np.loadtxt(narrow / "intrinsic.txt")[0, 0] == 1067
    assert scene_name(seed=3) == "room-s3-640x480-f90-o10-m1-h0-v2" != scene_name(seed=3, focal=1067)
    assert RoomConfig(width=320, height=240, focal=1067).intrinsics_matrix()[1, 1] == 533.5
