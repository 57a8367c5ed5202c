"""Geometric segmenter, lifting and the online instance map on a small synthetic RGB-D room, plus bad input."""

from __future__ import annotations

import json
import logging

import cv2
import numpy as np
import pytest

from perception.lifting import LiftConfig, lift_labels, lift_masks, pack_keys, pixel_keys, unpack_keys
from perception.map3d import InstanceMap, MapConfig, build_map3d_stage
from perception.map3d.evaluate import evaluate_rgbd_folder, instance_ap
from perception.map3d.export import read_ply_instances
from perception.map3d.pair_evidence import PairEvidence
from perception.segmentation import SegmentStage, build_segmenter
from perception.segmentation.geometric import GeometricSegmenter
from perception.sources import open_source
from perception.types import FramePacket, FrameResult, InputError, Intrinsics, SourceInfo


@pytest.fixture(scope="module")
def room(tmp_path_factory):
    """A 20-frame 320x240 synthetic room with moving objects and per-pixel instance ground truth."""
    from perception.synthetic.rgbd_scene import generate_rgbd_scene

    return generate_rgbd_scene(tmp_path_factory.mktemp("room") / "scene", seed=3, n_frames=20, width=320, height=240)


def _packets(folder, n=None):
    with open_source(str(folder)) as src:
        return [p for p, _ in zip(src, range(n or 10**9))]


def test_pack_keys_round_trip():
    ijk = np.array([[0, 0, 0], [-5, 7, 1000], [-(2**20), 2**20 - 1, -3]])
    assert np.array_equal(unpack_keys(pack_keys(ijk)), ijk)


def test_backproject_inverts_the_camera_matrix():
    k = Intrinsics(100, 120, 32, 24, 64, 48)
    u, v, z = np.array([32.0, 132.0, 0.0]), np.array([24.0, 24.0, 0.0]), np.array([2.0, 2.0, 0.5])
    p = k.backproject(u, v, z)
    assert np.allclose(p[:, 0], [0, 0, 2]) and np.allclose(p[:, 1], [2, 0, 2])
    uvw = k.matrix @ p
    assert np.allclose(uvw[:2] / uvw[2], [u, v])


def test_lifting_a_plane_lands_on_the_plane():
    k = Intrinsics(100, 100, 32, 24, 64, 48)
    depth = np.full((48, 64), 2.0, np.float32)
    masks = np.zeros((1, 48, 64), bool)
    masks[0, 10:40, 10:50] = True
    pose = np.eye(4)
    pose[:3, 3] = [1.0, 2.0, 3.0]
    lifted = lift_masks(masks, depth, None, k, pose, LiftConfig(voxel=0.02, stride=1, erode_px=0))
    centers = (unpack_keys(lifted.keys) + 0.5) * 0.02
    assert np.all(np.abs(centers[:, 2] - 5.0) <= 0.011)
    assert lifted.sizes()[0] == len(np.unique(lifted.keys))


def _lift_depth(depth: np.ndarray) -> np.ndarray:
    """Nx3 camera-frame centres (m) of the voxels that a 640x480 depth image lifts into as one segment."""
    k = Intrinsics(525, 525, 320, 240, 640, 480)
    lifted = lift_labels(np.zeros(depth.shape, np.int32), depth, None, k, np.eye(4), 1,
                         LiftConfig(voxel=0.02, stride=4, erode_px=2))
    return (unpack_keys(lifted.keys) + 0.5) * 0.02


def test_lifting_keeps_a_grazing_floor_and_drops_a_depth_step():
    v = np.arange(480, dtype=np.float32)[:, None]
    floor = np.broadcast_to(525 / np.maximum(v - 240, 1), (480, 640))  # camera 1 m above the floor, looking level
    floor = np.where(floor < 4.0, floor, 0).astype(np.float32)
    far = _lift_depth(floor)
    rows = np.flatnonzero((floor[::4, 0] > 2.7) & (floor[::4, 0] < 3.9))
    assert len(np.unique(far[(far[:, 2] > 2.7) & (far[:, 2] < 3.9), 2])) >= 0.9 * len(rows)  # a depth per row
    step = np.full((480, 640), 2.5, np.float32)
    step[:, :320] = 1.5
    near = _lift_depth(step)
    assert not np.any(np.abs(near[:, 0] / near[:, 2] * 525) < 4)  # nothing lifted from beside the step


def test_lifting_keeps_a_thin_object_beside_its_shadow():
    k = Intrinsics(525, 525, 320, 240, 640, 480)
    depth = np.full((480, 640), 1.0, np.float32)
    labels = np.zeros((480, 640), np.int32)
    depth[100:200, 100:108], labels[100:200, 100:108] = 0.98, 1  # two samples wide, 2 cm above the plane
    depth[100:200, 108:121] = 0  # its shadow
    lifted = lift_labels(labels, depth, None, k, np.eye(4), 2, LiftConfig(voxel=0.01, stride=4, erode_px=2))
    assert lifted.sizes()[1] >= 8
    plane = (unpack_keys(lifted.keys[lifted.segment == 0]) + 0.5) * 0.01
    u = plane[:, 0] / plane[:, 2] * 525 + 320
    v = plane[:, 1] / plane[:, 2] * 525 + 240
    assert not np.any((u > 121) & (u < 130) & (v > 104) & (v < 196))  # the large plane still loses the shadow's rim


def test_geometric_segmenter_recovers_the_ground_truth_objects(room):
    packet = _packets(room, 1)[0]
    seg = GeometricSegmenter().segment(packet)
    gt = cv2.imread(str(room / "instance" / "0.png"), cv2.IMREAD_UNCHANGED).astype(int)
    assert seg.detections.masks.shape[1:] == gt.shape and seg.labels.shape == gt.shape
    ious = []
    for g in np.unique(gt[gt > 0]):
        m = gt == g
        if m.sum() < 400:
            continue
        ious.append(max((m & d).sum() / (m | d).sum() for d in seg.detections.masks))
    assert np.mean(ious) > 0.7, ious
    assert seg.detections.embeddings is not None and len(seg.detections.embeddings) == len(seg.detections)


def test_map_reaches_high_ap_and_stable_ids_on_the_room(room):
    metrics = evaluate_rgbd_folder(room, GeometricSegmenter())
    assert metrics["frames"] == 20
    assert metrics["ap25"] >= 0.85 and metrics["ap50"] >= 0.7, metrics
    assert metrics["id_changes_per_thing"] <= 1.0, metrics


def test_stage_fills_instances_and_exports(room, tmp_path):
    seg, stage = SegmentStage(build_segmenter("geometric")), build_map3d_stage()
    for p in _packets(room, 8):
        r = stage.process(seg.process(FrameResult(p)))
    assert r.instances is not None and len(r.instances) > 0
    linked = r.instances.det_index[r.instances.det_index >= 0]
    assert np.array_equal(r.instance_of_detection[linked], r.instances.ids[r.instances.det_index >= 0])
    xyz, rgb, ids = stage.points(500)
    assert xyz.shape == (500, 3) and rgb.dtype == np.uint8 and ids.shape == (500,)
    n = stage.export_ply(tmp_path / "map.ply")
    import open3d as o3d

    pcd = o3d.io.read_point_cloud(str(tmp_path / "map.ply"))
    assert len(pcd.points) == n and pcd.has_colors()
    assert set(np.unique(read_ply_instances(tmp_path / "map.ply"))) >= set(r.instances.ids.tolist())
    stage.export_json(tmp_path / "inst.json")
    doc = json.loads((tmp_path / "inst.json").read_text())
    rec = doc["instances"][0]
    assert {"id", "centroid", "box_min", "box_max", "point_count", "first_seen", "last_seen"} <= rec.keys()


def test_map_memory_is_bounded_by_capacity(room):
    packets = _packets(room, 6)
    seg = GeometricSegmenter()
    m = InstanceMap(MapConfig(capacity=3000))
    for p in packets:
        s = seg.segment(p)
        m.integrate(p.index, p.depth, p.image, p.intrinsics, p.pose, labels=s.labels, n_segments=len(s.detections))
    assert len(m.store) <= 3000


def _state(m: InstanceMap):
    return (m.store.keys.copy(), m.store.label.copy(), dict(m.info), m.frames)


def test_bad_frames_raise_and_leave_the_map_untouched(room):
    p = _packets(room, 1)[0]
    seg = GeometricSegmenter().segment(p)
    m = InstanceMap()
    m.integrate(0, p.depth, p.image, p.intrinsics, p.pose, labels=seg.labels, n_segments=len(seg.detections))
    before = _state(m)
    bad_pose = p.pose.copy()
    bad_pose[0, 3] = np.nan
    cases = {
        "wrong depth size": dict(depth=p.depth[:-2]),
        "all-zero depth": dict(depth=np.zeros_like(p.depth)),
        "NaN pose": dict(pose=bad_pose),
    }
    for what, change in cases.items():
        args = dict(depth=p.depth, pose=p.pose) | change
        with pytest.raises(InputError):
            m.integrate(1, args["depth"], p.image, p.intrinsics, args["pose"], labels=seg.labels,
                        n_segments=len(seg.detections))
        after = _state(m)
        assert np.array_equal(after[0], before[0]) and np.array_equal(after[1], before[1]), what
        assert after[3] == before[3], what
    with pytest.raises(InputError, match="fx > 0"):
        Intrinsics(0.0, 100.0, 10, 10, 20, 20)


def test_stage_skips_unusable_frames_with_a_warning(caplog):
    stage = build_map3d_stage()
    info = SourceInfo("t", "test", 30.0, 32, 24, has_depth=True)
    k = Intrinsics(30, 30, 16, 12, 32, 24)
    img = np.zeros((24, 32, 3), np.uint8)
    with caplog.at_level(logging.WARNING):
        r = stage.process(FrameResult(FramePacket(0, 0.0, img, info, np.zeros((24, 32), np.float32), k, np.eye(4))))
        r2 = stage.process(FrameResult(FramePacket(1, 0.0, img, info, None, k, np.eye(4))))
    assert "map3d" in r.skipped and "map3d" in r2.skipped
    assert stage.skipped == 2 and len(stage.map.store) == 0
    assert "skipped" in caplog.text


def test_frame_with_no_detections_integrates_without_error(room):
    """Regression: zero masks (0xHxW) once crashed paint_labels with a reshape error."""
    p = _packets(room, 1)[0]
    stage = build_map3d_stage()
    r = stage.process(FrameResult(p))
    assert "map3d" not in r.skipped and stage.skipped == 0
    assert len(r.instance_of_detection) == 0


def test_instance_ap_counts_matches_and_false_positives():
    gt = np.array([1] * 50 + [2] * 50 + [0] * 10)
    perfect = gt.copy()
    assert instance_ap(gt, perfect, {1: 1.0, 2: 0.9}, 0.5) == pytest.approx(1.0)
    partial = np.where(np.arange(len(gt)) < 40, 5, 0)  # covers 40 of object 1's 50 points plus nothing else
    assert instance_ap(gt, partial, {5: 1.0}, 0.5) == pytest.approx(0.5)
    assert instance_ap(gt[:50], partial[:50] * (np.arange(50) < 20), {5: 1.0}, 0.5) == pytest.approx(0.0)
    assert instance_ap(gt[:50], partial[:50] * (np.arange(50) < 20), {5: 1.0}, 0.25) == pytest.approx(1.0)
    noisy = perfect.copy()
    noisy[100:] = 9  # a false positive on unlabelled points is ignored (void), as in ScanNet
    assert instance_ap(gt, noisy, {1: 1.0, 2: 0.9, 9: 0.95}, 0.5) == pytest.approx(1.0)


def test_pair_evidence_tells_fragments_from_touching_objects():
    ev = PairEvidence()
    ids = np.array([4, 9, 12])
    apart, joined = np.eye(3, dtype=bool), np.array([[True, True, False], [False, False, True]])
    for _ in range(3):  # 4 and 9 in separate segments, 12 elsewhere
        ev.update(apart, apart.astype(int), np.arange(3), ids)
    for _ in range(3):  # one segment spans 4 and 9
        ev.update(joined, joined.astype(int), np.array([0, 2]), ids)
    assert ev.fragments(min_frames=3) == []  # as often apart as together: two objects
    for _ in range(3):
        ev.update(joined, joined.astype(int), np.array([0, 2]), ids)
    assert ev.fragments(min_frames=3) == [(4, 9)]
    ev.forget({9})
    assert ev.fragments(min_frames=1) == [] and list(ev.apart) == [4 * 2**32 + 12]  # only (4, 12) is left


def test_pair_evidence_counts_an_instance_with_the_segment_that_holds_most_of_it():
    ev = PairEvidence()
    covers = np.array([[True, True, True], [False, True, False], [False, True, True]])  # a table's segment covers
    inter = np.array([[90, 6, 6], [0, 9, 0], [0, 2, 8]])  # the cells of the two markers lying on it as well
    for _ in range(3):
        ev.update(covers, inter, np.arange(3), np.array([1, 2, 3]))
    assert ev.fragments(min_frames=1) == [] and len(ev.apart) == 3


def _two_halves(n_frames_apart: int, n_frames_together: int):
    """Frames of a flat wall 2 m away: first segmented as left and right halves, then as one segment."""
    k = Intrinsics(200, 200, 80, 60, 160, 120)
    depth = np.full((120, 160), 2.0, np.float32)
    halves = np.where(np.arange(160)[None, :] < 80, 0, 1).repeat(120, axis=0).astype(np.int32)
    frames = [(halves, 2)] * n_frames_apart + [(np.zeros_like(halves), 1)] * n_frames_together
    return k, depth, frames


def test_under_segmented_frames_keep_both_instances_in_the_map_and_on_the_pixels():
    k, depth, frames = _two_halves(3, 3)
    m = InstanceMap(MapConfig(lift=LiftConfig(stride=2), maintain_every=0))
    for f, (labels, n) in enumerate(frames):
        upd = m.integrate(f, depth, None, k, np.eye(4), labels=labels, n_segments=n)
    left, right = m.label_of(m.store.keys[m.store.centers[:, 0] < -0.1]), m.label_of(m.store.keys[m.store.centers[:, 0] > 0.1])
    assert len(m.info) == 2 and len(np.unique(left)) == 1 and len(np.unique(right)) == 1 and left[0] != right[0]
    img = m.instance_image(frames[-1][0], upd.segment_ids, depth, k, np.eye(4))
    assert np.mean(img[:, :70] == left[0]) > 0.95 and np.mean(img[:, 90:] == right[0]) > 0.95


def test_thin_objects_side_by_side_on_a_table_stay_two_instances():
    """Two markers lying side by side on a table, always segmented apart: the table's segment holds both in its
    coarse association cells, which must not count as one segment spanning them (fragments to merge)."""
    k = Intrinsics(200, 200, 80, 60, 160, 120)
    depth = np.full((120, 160), 1.015, np.float32)  # the table, 1 cm below the markers' tops
    labels = np.zeros((120, 160), np.int32)
    depth[30:90, 70:82] = 1.005
    labels[30:90, 70:76], labels[30:90, 76:82] = 1, 2  # two markers 3 cm wide, touching
    m = InstanceMap(MapConfig(lift=LiftConfig(voxel=0.01, stride=2, erode_px=0), maintain_every=0))
    for f in range(8):
        upd = m.integrate(f, depth, None, k, np.eye(4), labels=labels, n_segments=3)
    assert len(m.info) == 3 and len(set(upd.segment_ids.tolist())) == 3


def test_a_segment_holding_two_instances_it_was_not_matched_to_does_not_join_them():
    """Two markers on a table, segmented apart, then seen with the table's segment leaking over most of both (their
    own segments keep a sliver each): the table's segment spanning them is no evidence that they are one object."""
    k = Intrinsics(200, 200, 80, 60, 160, 120)
    depth = np.full((120, 160), 1.015, np.float32)
    depth[30:90, 70:82] = 1.005
    apart = np.zeros((120, 160), np.int32)
    apart[30:90, 70:76], apart[30:90, 76:82] = 1, 2
    leaked = np.zeros((120, 160), np.int32)
    leaked[30:40, 70:76], leaked[30:40, 76:82] = 1, 2
    feats = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])  # grey table, two red markers
    m = InstanceMap(MapConfig(lift=LiftConfig(voxel=0.01, stride=2, erode_px=0), maintain_every=0))
    for f in range(16):
        m.integrate(f, depth, None, k, np.eye(4), labels=apart if f < 4 else leaked, n_segments=3, embeddings=feats)
    assert len(m.info) == 3


def _ball_depth(k: Intrinsics, centre_depth: float, radius: float) -> np.ndarray:
    """Depth image of a ball ``centre_depth`` m straight ahead of the camera (0 where the rays miss it)."""
    u, v = np.meshgrid((np.arange(k.width) - k.cx) / k.fx, (np.arange(k.height) - k.cy) / k.fy)
    ray = np.stack([u, v, np.ones_like(u)], 2)
    ray /= np.linalg.norm(ray, axis=2, keepdims=True)
    b = ray[..., 2] * centre_depth
    disc = b * b - centre_depth ** 2 + radius ** 2
    t = np.where(disc > 0, b - np.sqrt(np.maximum(disc, 0)), 0.0)
    return (t * ray[..., 2]).astype(np.float32)


def test_an_object_seen_again_from_its_other_side_keeps_its_instance():
    """A ball seen from the front, out of view for a while, then seen from behind: the two shells touch and were
    never observed together, so they are one object."""
    k = Intrinsics(200, 200, 80, 60, 160, 120)
    depth = _ball_depth(k, 0.5, 0.05)
    behind = np.diag([1.0, -1.0, -1.0, 1.0])  # turned round, 1 m further along the first camera's axis
    behind[2, 3] = 1.0
    labels = np.where(depth > 0, 0, -1).astype(np.int32)
    m = InstanceMap(MapConfig(lift=LiftConfig(voxel=0.01, stride=2, erode_px=0), maintain_every=7))
    for f, pose in [(f, np.eye(4)) for f in range(6)] + [(f, behind) for f in range(20, 28)]:
        m.integrate(f, depth, None, k, pose, labels=labels, n_segments=1)
    assert len(m.info) == 1


def test_fragments_seen_whole_often_enough_merge_into_the_larger():
    k, depth, frames = _two_halves(2, 4)
    m = InstanceMap(MapConfig(lift=LiftConfig(stride=2), maintain_every=0))
    for f, (labels, n) in enumerate(frames):
        upd = m.integrate(f, depth, None, k, np.eye(4), labels=labels, n_segments=n)
    assert list(m.info) == [1] and upd.segment_ids.tolist() == [1]
    assert np.all(m.store.label[m.store.hits > 0] == 1)


def _floor_with_two_boxes(gap: float) -> tuple[FramePacket, np.ndarray, np.ndarray]:
    """320x240 frame: floor 1 m below a camera pitched 30 deg down, two 0.3 m boxes ``gap`` m apart; box masks."""
    k = Intrinsics(300, 300, 160, 120, 320, 240)
    u, v = np.meshgrid((np.arange(320) - k.cx) / k.fx, (np.arange(240) - k.cy) / k.fy)
    a = np.deg2rad(30)
    ray = np.stack([u, v * np.cos(a) + np.sin(a), -v * np.sin(a) + np.cos(a)], axis=2)  # world: y down, z ahead
    floor = 1.0 / ray[..., 1]  # floor at y = 1 (all rays point down); depth = ray parameter, as z_cam is 1
    depth = floor.copy()
    with np.errstate(divide="ignore", invalid="ignore"):
        for x0 in (-0.3 - gap / 2, gap / 2):
            t1, t2 = np.array([x0, 0.5, 2.0]) / ray, np.array([x0 + 0.3, 1.0, 2.3]) / ray  # slab test
            near, far = np.minimum(t1, t2).max(axis=2), np.maximum(t1, t2).min(axis=2)
            depth = np.where((near < far) & (near > 0), np.minimum(depth, near), depth)
    box = depth < floor - 0.05
    info = SourceInfo("t", "test", 30.0, 320, 240, has_depth=True)
    packet = FramePacket(0, 0.0, np.zeros((240, 320, 3), np.uint8), info, depth=depth.astype(np.float32), intrinsics=k)
    return packet, box & (u < 0), box & (u > 0)


def test_geometric_segmenter_cuts_objects_cleanly_out_of_the_floor_they_leak_into():
    # creases off (as if missed): floor and both boxes start as one component that the floor plane must cut apart,
    # the band of floor around their feet (normals blurred by the crease) going to the floor, not to the boxes
    packet, left, right = _floor_with_two_boxes(gap=0.1)
    floor = ~(left | right)
    masks = GeometricSegmenter(normal_deg=179).segment(packet).detections.masks
    for m in (left, right, floor):
        best = max(masks, key=lambda d: (m & d).sum())
        hit = (m & best).sum()
        assert hit > 0.9 * m.sum() and hit > 0.95 * best.sum(), (hit, m.sum(), best.sum())


def test_denoise_keeps_a_sparse_far_surface_and_drops_isolated_specks():
    # a floor patch 4 m away, sampled every 3 voxels as 4 px of a 525 px focal length spread there, beside a dense
    # near surface with specks around it and one far speck: DBSCAN's radius follows the spacing of the samples
    m = InstanceMap(MapConfig(lift=LiftConfig(voxel=0.01, stride=4)))
    g = np.arange(0, 33, 3)
    far = np.stack(np.meshgrid(g, g, [400], indexing="ij"), -1).reshape(-1, 3)
    h = np.arange(15)
    near = np.stack(np.meshgrid(h, h, [100], indexing="ij"), -1).reshape(-1, 3)
    specks = np.array([[30, 30, 100], [-20, 5, 104], [5, -20, 96], [60, 60, 400]])
    ijk = np.concatenate([far, near, specks])
    spacing = np.r_[np.full(len(far), 4 * 4.0 / 525), np.full(len(near) + 3, 4 * 1.0 / 525), 4 * 4.0 / 525]
    m.store.vote(pack_keys(ijk), np.ones(len(ijk), np.int64), np.zeros((len(ijk), 3), np.uint8), 0, spacing)
    m._denoise([1])
    kept = m.label_of(pack_keys(ijk)) == 1
    assert kept[:len(far) + len(near)].all()
    assert not kept[len(far) + len(near):].any()


def test_denoise_keeps_a_large_second_piece_of_a_surface():
    # a floor split by an occluder into 80x80 and 40x40 voxels: the smaller piece is under a quarter but large
    m = InstanceMap(MapConfig(lift=LiftConfig(voxel=0.01)))
    a = np.stack(np.meshgrid(np.arange(80), np.arange(80), [0], indexing="ij"), -1).reshape(-1, 3)
    b = np.stack(np.meshgrid(np.arange(100, 140), np.arange(40), [0], indexing="ij"), -1).reshape(-1, 3)
    ijk = np.concatenate([a, b])
    m.store.vote(pack_keys(ijk), np.ones(len(ijk), np.int64), np.zeros((len(ijk), 3), np.uint8), 0)
    m._denoise([1])
    assert (m.label_of(pack_keys(ijk)) == 1).all()


def test_support_labels_give_weak_unlabelled_voxels_to_their_neighbourhood():
    from perception.map3d.support import support_labels

    ijk = np.stack(np.meshgrid(np.arange(5), np.arange(5), [0], indexing="ij"), -1).reshape(-1, 3)
    keys = pack_keys(ijk)
    order = np.argsort(keys)
    keys = keys[order]
    labels = np.full(len(keys), 7, np.int64)
    conf = np.full(len(keys), 5.0, np.float32)
    labels[12], conf[12] = 0, 1.0  # seen once, unsegmented, amid a surface of instance 7
    labels[0], conf[0] = 3, 1.0  # a weak labelled voxel keeps its label
    out = support_labels(keys, labels, conf, 2.0)
    assert out[12] == 7 and out[0] == 3
    assert support_labels(keys, labels, conf, 0.0)[12] == 0


def _support_reference(ijk: np.ndarray, labels: np.ndarray, conf: np.ndarray, weak: float) -> np.ndarray:
    """support_labels voxel by voxel: sum the votes of each label present in the 3x3x3 box, in neighbour order."""
    at = {tuple(v): r for r, v in enumerate(ijk.tolist())}
    out = labels.copy()
    for r, v in enumerate(ijk.tolist()):
        if conf[r] > weak or labels[r] != 0:
            continue
        total: dict[int, float] = {}
        for d in np.ndindex(3, 3, 3):
            q = at.get((v[0] + d[0] - 1, v[1] + d[1] - 1, v[2] + d[2] - 1))
            if q is not None:
                vote = max(float(conf[q]), 0.0) + (1e-6 if q == r else 0.0)
                total[int(labels[q])] = total.get(int(labels[q]), 0.0) + vote
        out[r] = min(total, key=lambda lab: (-total[lab], lab))
    return out


@pytest.mark.parametrize("seed", range(6))
def test_support_labels_equal_a_voxel_by_voxel_reference(seed):
    from perception.map3d.support import neighbours, support_labels

    rng = np.random.default_rng(seed)
    ijk = np.unique(rng.integers(0, 7, (int(rng.integers(40, 250)), 3)), axis=0)
    keys = pack_keys(ijk)
    order = np.argsort(keys)
    keys, ijk = keys[order], ijk[order]
    # from few labelled voxels among many weak ones to the reverse, so both ways of finding candidates run
    labels = np.where(rng.random(len(keys)) < [0.1, 0.3, 0.5, 0.7, 0.9, 0.6][seed], rng.integers(1, 5, len(keys)), 0)
    conf = rng.integers(-1, 5, len(keys)).astype(np.float32)
    if seed % 2:
        conf += rng.choice([0.0, 0.25, 0.5], len(keys)).astype(np.float32)  # fractional votes too
    assert np.array_equal(support_labels(keys, labels, conf, 2.0), _support_reference(ijk, labels, conf, 2.0))
    rows = np.arange(len(keys))
    pos, hit = neighbours(keys, rows)
    near = (keys[:, None] + (pack_keys(np.array(list(np.ndindex(3, 3, 3))) - 1) - pack_keys(np.zeros((1, 3))))).ravel()
    assert np.array_equal(hit, np.isin(near, keys)) and np.array_equal(keys[pos[hit]], near[hit])
    assert np.array_equal(pos, np.minimum(np.searchsorted(keys, near), len(keys) - 1))


def test_voxels_of_an_object_just_behind_the_table_it_stands_on_go_to_the_table():
    """A marker lying on a table top (1 cm voxels, the top at 0.74 m in the layers either side) whose mask
    spilled onto the table beside it: its voxels in the layer below the table's surface become the table's; its
    own voxels above it stay, and so does the table's side, which lies behind the top but not in front of it."""
    from perception.map3d.behind_plane import behind_planes

    rng = np.random.default_rng(0)
    cells: dict[tuple[int, int, int], int] = {}
    for i in range(60):
        for j in range(40):
            for k in ((73,), (74,), (73, 74))[rng.integers(3)]:  # table top: noisy samples either side of 0.74 m
                cells[i, j, k] = 1
        for k in range(44, 74):
            cells[i, -1, k] = 2  # its front side
    for i in range(10, 25):
        for k in (74, 75, 76):
            cells[i, 20, k] = 3  # the marker, 1.5 cm thick, on the top
        cells[i, 21, 73] = 3  # the table beside it, taken by the marker's mask
    ijk = np.array(list(cells), np.int64)
    keys, labels = pack_keys(ijk), np.array(list(cells.values()), np.int64)
    order = np.argsort(keys)
    keys, labels, ijk = keys[order], labels[order], ijk[order]
    eye = np.array([0.3, -1.0, 1.5])
    out = behind_planes(keys, (ijk + 0.5) * 0.01, labels, {1: eye, 2: eye, 3: eye}, 0.01)
    spill = (labels == 3) & (ijk[:, 2] == 73)
    assert spill.sum() == 15 and np.all(out[spill] == 1)
    assert np.array_equal(out[~spill], labels[~spill])


def test_which_voxels_go_behind_the_table_does_not_depend_on_voxels_elsewhere():
    """A box standing on a noisy table top (most samples a layer low), its bottom layer in the table's: one more voxel
    of another instance a metre away leaves every label as it was (the table's plane was fitted from every fourth
    row of the sorted voxels, so one voxel inserted before them refitted it and moved up to 28 of the box's)."""
    from perception.map3d.behind_plane import behind_planes

    def labels_after(extra: bool) -> dict[int, tuple[int, int]]:
        rng = np.random.default_rng(19)
        i, j = np.meshgrid(np.arange(40), np.arange(40), indexing="ij")
        table = np.stack([i.ravel(), j.ravel(), np.where(rng.random(i.size) < 0.7, -1, 0)], 1)
        box = np.stack(np.meshgrid(np.arange(16, 24), np.arange(16, 24), np.arange(-1, 8), indexing="ij"), -1)
        cells = {**{tuple(c): 1 for c in table.tolist()}, **{tuple(c): 2 for c in box.reshape(-1, 3).tolist()}}
        if extra:
            cells[-60, -60, 0] = 3
        ijk = np.array(list(cells), np.int64)
        keys, labels = pack_keys(ijk), np.array(list(cells.values()), np.int64)
        order = np.argsort(keys)
        eye = np.array([0.2, 0.2, 1.0])
        out = behind_planes(keys[order], (ijk[order] + 0.5) * 0.01, labels[order], {1: eye, 2: eye, 3: eye}, 0.01)
        return dict(zip(keys[order].tolist(), zip(labels[order].tolist(), out.tolist())))

    alone, beside = labels_after(False), labels_after(True)
    assert any(before == 2 and after == 1 for before, after in alone.values())  # box voxels in the table's layer
    assert all(beside[k] == v for k, v in alone.items())


@pytest.mark.parametrize("side_rgb, merged", [((77, 76, 72), True), ((24, 23, 115), False)])
def test_a_shaded_table_side_joins_its_top_by_chromaticity_but_a_differently_coloured_face_does_not(side_rgb, merged):
    """A table top and its front side meet at a convex edge; their colour descriptors agree only to 0.47 (the side
    is in shade): a side of the top's chromaticity at half its brightness joins it, a red one stays apart."""
    from perception.map3d.instance_map import InstanceInfo

    m = InstanceMap(MapConfig(lift=LiftConfig(voxel=0.01)))
    top = np.stack(np.meshgrid(np.arange(80), np.arange(60), [74], indexing="ij"), -1).reshape(-1, 3)
    side = np.stack(np.meshgrid(np.arange(80), [-1], np.arange(44, 74), indexing="ij"), -1).reshape(-1, 3)
    ijk = np.concatenate([top, side])
    labels = np.repeat([1, 2], [len(top), len(side)])
    rgb = np.array([(150, 147, 139), side_rgb], np.uint8)[labels - 1]
    m.store.vote(pack_keys(ijk), labels, rgb, 0)
    eye = np.array([0.4, -1.0, 1.5])
    features = np.zeros((2, 28), np.float32)
    features[0, 0], features[1, 0], features[1, 1] = 1.0, 0.47, np.sqrt(1 - 0.47**2)
    for i in (1, 2):
        m.info[i] = InstanceInfo(i, 0, 0, observations=5, feature=features[i - 1], view_sum=5 * eye)
    m.maintain(0, denoise=True)
    assert (len(np.unique(m.label_of(pack_keys(ijk)))) == 1) == merged


def test_far_floor_pieces_with_nothing_seen_below_them_merge_but_table_tops_with_the_floor_between_do_not():
    """Two floor pieces 0.8 m apart (a table in front hid the floor between them) merge: nothing was seen below
    the floor, so the gap was never seen through. Two table tops 0.6 m apart at one height stay apart: the floor
    was seen below their plane between them."""
    from perception.map3d.instance_map import InstanceInfo

    m = InstanceMap(MapConfig(lift=LiftConfig(voxel=0.01)))

    def patch(x0: int, x1: int, k: int) -> np.ndarray:
        return np.stack(np.meshgrid(np.arange(x0, x1), np.arange(60), [k], indexing="ij"), -1).reshape(-1, 3)

    parts = [patch(0, 40, 0), patch(120, 280, 0), patch(60, 100, 74), patch(160, 200, 74)]
    ijk = np.concatenate(parts)
    labels = np.repeat(np.arange(1, 5), [len(p) for p in parts])
    m.store.vote(pack_keys(ijk), labels, np.full((len(ijk), 3), 128, np.uint8), 0)
    eye = np.array([1.4, -1.0, 1.6])
    for i in range(1, 5):
        m.info[i] = InstanceInfo(i, 0, 0, observations=5, view_sum=5 * eye)
    m.maintain(0, denoise=True)
    out = m.label_of(pack_keys(ijk))
    assert len(np.unique(out[labels <= 2])) == 1
    assert len(np.unique(out[labels == 3])) == 1 and len(np.unique(out[labels == 4])) == 1
    assert out[labels == 3][0] != out[labels == 4][0]


def test_a_small_segment_starts_an_instance_when_it_lifts_into_enough_voxels():
    k = Intrinsics(100, 100, 32.5, 24.5, 64, 48)  # 1 cm pixels at 1 m, each sample in the middle of a 1 cm voxel
    depth = np.full((48, 64), 1.0, np.float32)
    masks = np.zeros((1, 48, 64), bool)
    masks[0, 25:27, 33:38] = True  # 2 x 5 voxels, but only 3 association cells of 2 x 2 x 2 voxels
    m = InstanceMap(MapConfig(lift=LiftConfig(voxel=0.01, stride=1, erode_px=0), min_new_voxels=5))
    upd = m.integrate(0, depth, None, k, np.eye(4), masks=masks)
    assert upd.segment_ids[0] > 0


def test_a_segment_with_sparse_depth_starts_an_instance_from_fewer_voxels():
    """A dark object: its 8 x 8 pixel mask has depth on 7 pixels (7 voxels) and starts an instance, while a
    segment of 7 pixels that all have depth (a speck) needs min_new_voxels * assoc_cell = 10 voxels."""
    k = Intrinsics(100, 100, 32.5, 24.5, 64, 48)  # 1 cm pixels at 1 m, each sample in the middle of a 1 cm voxel
    depth = np.full((48, 64), 1.0, np.float32)
    masks = np.zeros((2, 48, 64), bool)
    masks[0, 20:28, 10:18] = True
    depth[20:28, 10:18] = 0
    depth[20:27, 13] = 0.95  # 7 pixels in a column, 5 cm above the rest
    masks[1, 30, 40:47] = True
    m = InstanceMap(MapConfig(lift=LiftConfig(voxel=0.01, stride=1, erode_px=0), min_new_voxels=5))
    upd = m.integrate(0, depth, None, k, np.eye(4), masks=masks)
    assert upd.segment_ids[0] > 0 and upd.segment_ids[1] < 0


def test_a_segment_the_segmenter_marks_thin_starts_an_instance_from_fewer_voxels():
    """A marker's noisy top lifts into 6 voxels: marked thin (a thin object lying on a plane) it starts an instance,
    unmarked (a speck) it needs min_new_voxels * assoc_cell = 10; flags that do not match the segments are refused."""
    k = Intrinsics(100, 100, 32.5, 24.5, 64, 48)  # 1 cm pixels at 1 m, each sample in the middle of a 1 cm voxel
    depth = np.full((48, 64), 1.0, np.float32)
    masks = np.zeros((2, 48, 64), bool)
    masks[0, 20:22, 10:13] = True
    masks[1, 30:32, 40:43] = True
    m = InstanceMap(MapConfig(lift=LiftConfig(voxel=0.01, stride=1, erode_px=0), min_new_voxels=5))
    upd = m.integrate(0, depth, None, k, np.eye(4), masks=masks, thin=np.array([True, False]))
    assert upd.segment_ids[0] > 0 and upd.segment_ids[1] < 0
    with pytest.raises(InputError):
        m.integrate(1, depth, None, k, np.eye(4), masks=masks, thin=np.array([True]))


def test_a_dark_object_with_a_few_scattered_depth_pixels_a_frame_becomes_one_instance():
    """A black object: its 16 x 16 pixel mask has depth on one pixel a frame, a different one each time (4 cm apart,
    so no two voxels ever overlap), and on three touching pixels in the first. That frame starts an instance, each
    later one joins it because the instance's voxels project into its mask, and the denoising pass, which would keep
    only the three-voxel cluster, leaves it whole."""
    k = Intrinsics(100, 100, 32.5, 24.5, 64, 48)  # 1 cm pixels at 1 m, each sample in the middle of a 1 cm voxel
    masks = np.zeros((1, 48, 64), bool)
    masks[0, 16:32, 8:24] = True
    m = InstanceMap(MapConfig(lift=LiftConfig(voxel=0.01, stride=1, erode_px=0), maintain_every=4, denoise_every=8))
    ids, keys = set(), []
    for frame, (v, u) in enumerate((v, u) for v in range(17, 32, 4) for u in range(9, 24, 4)):
        depth = np.where(masks[0], 0.0, 1.0).astype(np.float32)
        depth[v, u] = 0.955
        if frame == 0:
            depth[v + 1, u] = depth[v, u + 1] = 0.955
        ids.add(int(m.integrate(frame, depth, None, k, np.eye(4), masks=masks).segment_ids[0]))
        keys.append(pixel_keys(np.array([u]), np.array([v]), np.array([0.955]), k, np.eye(4), 0.01))
    assert len(ids) == 1 and ids.pop() > 0
    m.maintain(16, denoise=True)
    assert len(np.unique(m.label_of(np.concatenate(keys)))) == 1 and m.label_of(keys[0])[0] > 0


def _run_room(packets, segs, cfg: MapConfig) -> tuple[InstanceMap, list[int]]:
    """Integrate the room's frames into a map with ``cfg``; the map and the denoise pass steps each call ran."""
    m, steps = InstanceMap(cfg), []
    for p, s in zip(packets, segs):
        m.integrate(p.index, p.depth, p.image, p.intrinsics, p.pose, labels=s.labels,
                    embeddings=s.detections.embeddings, n_segments=len(s.detections), thin=s.thin)
        steps.append(m.pass_steps)
    return m, steps


def test_the_denoise_pass_is_spread_one_step_a_frame_and_the_map_stays_reproducible(room):
    """The DBSCAN pass and planar merge, due every 10th frame here, run as 7 steps (two DBSCAN shares, support,
    coplanar, hidden gap, convex, behind plane) on the 7 frames after it that are not maintenance frames, never two on
    one frame; all at once (spread_frames=0) they stall the due frame with all of them. ``settle`` runs a pass left
    pending at the end of the input, and the same input gives the same map."""
    packets = _packets(room)
    seg = GeometricSegmenter()
    segs = [seg.segment(p) for p in packets]
    cfg = {"maintain_every": 5, "denoise_every": 10}
    _, at_once = _run_room(packets, segs, MapConfig(spread_frames=0, **cfg))
    assert max(at_once) == 6 and [i + 1 for i, n in enumerate(at_once) if n] == [10, 20]
    m, spread = _run_room(packets, segs, MapConfig(spread_frames=7, **cfg))
    assert max(spread) == 1 and [i + 1 for i, n in enumerate(spread) if n] == [11, 12, 13, 14, 16, 17, 18]
    m.settle()
    assert m.pass_steps == 7 and not m._pending
    again, _ = _run_room(packets, segs, MapConfig(spread_frames=7, **cfg))
    again.settle()
    assert np.array_equal(m.store.keys, again.store.keys) and np.array_equal(m.store.label, again.store.label)
    assert sorted(m.info) == sorted(again.info)


def test_the_spread_pass_steps_in_a_row_equal_the_whole_pass(room):
    """Run back to back on one map, the steps of the spread pass (the DBSCAN work in shares) relabel exactly the
    voxels the whole pass relabels."""
    packets = _packets(room, 12)
    seg = GeometricSegmenter()
    segs = [seg.segment(p) for p in packets]
    whole, _ = _run_room(packets, segs, MapConfig(maintain_every=0))
    steps, _ = _run_room(packets, segs, MapConfig(maintain_every=0))
    whole.maintain(12)
    steps.maintain(12)
    before = whole.store.label.copy()
    whole.maintain(12, denoise=True)
    assert len(before) == len(whole.store.label) and np.count_nonzero(whole.store.label != before) > 0
    steps.maintain(12)
    steps._pending = steps._plan()
    assert [len(ids) > 0 for s, ids in steps._pending if s == "denoise"] == [True] * 4
    steps.settle()
    assert np.array_equal(whole.store.label, steps.store.label) and sorted(whole.info) == sorted(steps.info)
