"""YCB-Video-like synthetic clusters: distinct YCB-sized objects packed without overlap, many touching, printed
labels, a nearly static camera looking down, and instance images that agree with the depth where objects touch."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from perception.synthetic import cache, generate_rgbd_scene
from perception.synthetic.render import _albedo
from perception.synthetic.room import RoomConfig
from perception.synthetic.room_truth import RoomGroundTruth
from perception.synthetic.ycb_like import TABLE_SIZE, YCB, build_ycb_like, gap, surface_points, ycb_camera_path

SEEDS = (1, 2, 3, 4, 5)


def _gaps(items) -> dict[tuple[int, int], float]:
    surf = {i.id: surface_points(i.shape, i.size) for i in items}
    return {(a.id, b.id): gap(a, b, surf[a.id], surf[b.id]) for a, b in itertools.combinations(items, 2)}


@pytest.fixture(scope="module")
def scene(tmp_path_factory) -> Path:
    return generate_rgbd_scene(tmp_path_factory.mktemp("ycb") / "scene", seed=1, n_frames=2, width=320, height=240,
                               n_objects=9, ycb=True, focal=1066.0)


def test_clusters_pack_distinct_objects_that_touch_but_never_overlap() -> None:
    touching = total = 0
    rests = set()
    for seed in SEEDS:
        items = build_ycb_like(RoomConfig(seed=seed, n_objects=9))[2:]
        names = [i.name for i in items]
        assert 4 <= len(items) <= 9 and len(set(names)) == len(names) and set(names) <= set(YCB)
        gaps = _gaps(items)
        assert min(gaps.values()) >= -1e-3, (seed, gaps)  # surface samples 3 mm apart: sub-millimetre slack
        nearest = [min(g for pair, g in gaps.items() if i.id in pair) for i in items]
        touching += sum(g <= 0.005 for g in nearest)
        total += len(items)
        for i in items:
            lo, hi = i.world_box(0)
            assert abs(lo[2] - TABLE_SIZE[2]) < 1e-6 and np.all(np.abs(lo[:2]) < TABLE_SIZE[:2] / 2)
            assert np.all(np.abs(hi[:2]) < TABLE_SIZE[:2] / 2)
            standing = YCB[i.name][1]
            rests.add("side" if abs(i.poses[0, 2, 2]) < 0.5 else "stand" if i.size[2] == standing[2] else "flat")
    assert touching >= 0.5 * total, (touching, total)
    assert rests == {"stand", "flat", "side"}


def test_labels_paint_several_colours_on_every_object() -> None:
    for item in build_ycb_like(RoomConfig(seed=2, n_objects=9))[2:]:
        colours = np.unique(_albedo(item, surface_points(item.shape, item.size).astype(np.float32)).round(4), axis=0)
        assert len(colours) >= 2, item.name


def test_camera_is_nearly_static_and_looks_down_from_06_to_11_m() -> None:
    for seed in SEEDS[:3]:
        cfg = RoomConfig(seed=seed, n_frames=10, focal=1066.0)
        instances = build_ycb_like(cfg)
        poses = ycb_camera_path(cfg, instances)
        eyes, axes = poses[:, :3, 3], poses[:, :3, 2]
        assert 0.008 <= np.linalg.norm(eyes[-1] - eyes[0]) <= 0.032
        centre = np.mean([i.poses[0, :3, 3] for i in instances[2:]], axis=0)
        target = np.array([centre[0], centre[1], TABLE_SIZE[2] + 0.05])
        assert 0.59 <= np.linalg.norm(eyes[0] - target) <= 1.11
        assert np.all((np.rad2deg(np.arcsin(-axes[:, 2])) > 28) & (np.rad2deg(np.arcsin(-axes[:, 2])) < 62))


def test_instance_images_agree_with_depth_where_objects_touch(scene: Path) -> None:
    """Every labelled object pixel back-projects onto its own shape, and touching objects meet in the image."""
    gt = RoomGroundTruth.load(scene)
    assert np.loadtxt(scene / "intrinsic.txt")[0, 0] == 533.0  # fx 1066 at 640 wide, halved
    items = [i for i in gt.instances if i.id >= 3]
    touching = [pair for pair, g in _gaps(items).items() if g <= 0.005]
    met = set()
    for f in range(len(gt)):
        points, ids = gt.back_project(f)
        for i in items:
            pts = points[ids == i.id]
            if len(pts):
                assert np.abs(i.signed_distance(pts, f)).max() < 0.01, i.name
        img = gt.instance_map(f).astype(np.int64)
        for a, b in (img[:, 1:], img[:, :-1]), (img[1:], img[:-1]):
            edge = np.unique(np.stack([np.minimum(a, b), np.maximum(a, b)], -1)[a != b].reshape(-1, 2), axis=0)
            met |= {tuple(e) for e in edge.tolist()}
    assert touching and any(pair in met for pair in touching)


def test_eval3d_spec_renders_at_ycb_videos_focal_length(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from perception.commands.eval3d import scene_folder

    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path))
    folder = scene_folder("synthetic:ycb:3", 1, heavy_occlusion=False, static=True)
    assert folder.name == "ycb-seed3-n1-static-fx1066"
    assert np.loadtxt(folder / "intrinsic.txt")[0, 0] == 1066
    assert RoomGroundTruth.load(folder).instances[2].name in YCB
