"""The weight-free map under the Kinect-like sensor model and on real depth: floors well below what was measured
(bench/map3d_ap.py), so a regression fails them; touching objects stay apart and a mug stays one segment
(the synthetic mug is a closed cylinder: no handle, no inside; an open cup is rendered here on its own)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from perception.map3d.evaluate import evaluate_rgbd_folder
from perception.map3d.instance_map import MapConfig
from perception.map3d.point_eval import evaluate_source
from perception.segmentation import build_segmenter
from perception.segmentation.geometric import GeometricSegmenter
from perception.types import FramePacket, Intrinsics, SourceInfo


@pytest.fixture(scope="module")
def tabletop(tmp_path_factory):
    """Tabletop seed 1 (two mugs, boxes, thin markers, some touching), 30 frames at 640x480, sensor model on."""
    from perception.synthetic.rgbd_scene import generate_rgbd_scene

    return generate_rgbd_scene(tmp_path_factory.mktemp("tabletop") / "scene", seed=1, n_frames=30, sensor=True,
                               tabletop=True, n_objects=8)


def test_tabletop_under_the_sensor_model_reaches_an_ap_floor(tabletop):
    m = evaluate_rgbd_folder(tabletop, GeometricSegmenter(), voxel=None)
    assert abs(m["voxel"] - 0.01) < 1e-9, m  # a tabletop at 0.6-1 m gets a 1 cm map
    assert m["ap25"] >= 0.6 and m["ap50"] >= 0.6, m  # measured 0.89 / 0.89 (main before this work: 0.80 / 0.80)


def test_room_under_the_sensor_model_reaches_an_ap_floor(tmp_path):
    from perception.synthetic.rgbd_scene import generate_rgbd_scene

    room = generate_rgbd_scene(tmp_path / "room", seed=8, n_frames=30, sensor=True)
    m = evaluate_rgbd_folder(room, GeometricSegmenter(), voxel=None)
    assert m["ap25"] >= 0.75 and m["ap50"] >= 0.45, m  # measured 0.97 / 0.64 (main before this work: 0.83 / 0.49)


def test_mugs_stay_one_segment_under_the_sensor_model(tabletop):
    from perception.lifting import LiftConfig
    from perception.map3d.stage import Map3DStage
    from perception.segmentation.stage import SegmentStage
    from perception.sources import open_source
    from perception.types import FrameResult

    names = {r["id"]: r["name"] for r in json.loads((tabletop / "gt_instances.json").read_text())["instances"]}
    mugs = [i for i, n in names.items() if n == "mug"]
    assert mugs
    import cv2

    seg, stage = SegmentStage(GeometricSegmenter()), Map3DStage(MapConfig(lift=LiftConfig(voxel=0.01)))
    share = {i: [] for i in mugs}
    with open_source(str(tabletop)) as src:
        for p in src:
            gt = cv2.imread(str(tabletop / "instance" / f"{p.index}.png"), cv2.IMREAD_UNCHANGED)
            r = seg.process(FrameResult(p))
            stage.process(r)
            lab = r.segment_labels
            for i in mugs:
                on = (gt == i) & (lab >= 0)
                if on.sum() >= 500:  # the mug's pixels that got a segment mostly got one segment
                    share[i].append(np.bincount(lab[on]).max() / on.sum())
    for i, s in share.items():
        assert len(s) >= 10 and np.median(s) >= 0.9, (i, np.round(s, 2))


def _two_touching_boxes() -> tuple[FramePacket, np.ndarray, np.ndarray]:
    """320x240: two 0.3 m boxes side by side with no gap on a floor, the right one 0.15 m further back."""
    k = Intrinsics(300, 300, 160, 120, 320, 240)
    u, v = np.meshgrid((np.arange(320) - k.cx) / k.fx, (np.arange(240) - k.cy) / k.fy)
    a = np.deg2rad(30)
    ray = np.stack([u, v * np.cos(a) + np.sin(a), -v * np.sin(a) + np.cos(a)], axis=2)
    floor = 1.0 / ray[..., 1]
    depth = floor.copy()
    with np.errstate(divide="ignore", invalid="ignore"):
        for x0, z0 in ((-0.3, 2.0), (0.0, 2.15)):
            t1, t2 = np.array([x0, 0.5, z0]) / ray, np.array([x0 + 0.3, 1.0, z0 + 0.3]) / ray
            near, far = np.minimum(t1, t2).max(axis=2), np.maximum(t1, t2).min(axis=2)
            depth = np.where((near < far) & (near > 0), np.minimum(depth, near), depth)
    box = depth < floor - 0.05
    x = np.where(box, u * depth, np.inf)
    info = SourceInfo("t", "test", 30.0, 320, 240, has_depth=True)
    packet = FramePacket(0, 0.0, np.zeros((240, 320, 3), np.uint8), info, depth=depth.astype(np.float32), intrinsics=k)
    return packet, box & (x < -0.005), box & (x > 0.005) & (x < np.inf)


def test_touching_objects_are_split_by_their_depth_step_and_crease():
    packet, left, right = _two_touching_boxes()
    masks = GeometricSegmenter().segment(packet).detections.masks
    picks = []
    for m in (left, right):
        best = int(np.argmax([(m & d).sum() for d in masks]))
        assert (m & masks[best]).sum() > 0.8 * m.sum()
        picks.append(best)
    assert picks[0] != picks[1]


def _open_cup_beside_a_box() -> tuple[FramePacket, np.ndarray, np.ndarray]:
    """640x480, camera 0.5 m above a floor looking 50 degrees down: an open cup (radius 4.5 cm, 9 cm tall, its
    inside seen over the near rim) and, partly behind it, a box just as tall."""
    k = Intrinsics(600, 600, 320, 240, 640, 480)
    u, v = np.meshgrid((np.arange(640) - k.cx) / k.fx, (np.arange(480) - k.cy) / k.fy)
    a, h, radius, tall = np.deg2rad(50), 0.5, 0.045, 0.09
    ray = np.stack([u, v * np.cos(a) + np.sin(a), -v * np.sin(a) + np.cos(a)], axis=2)  # world y down, floor y = h
    rx, ry, rz = ray[..., 0], ray[..., 1], ray[..., 2]
    floor, cz = h / ry, h / np.tan(a)
    qa, qb, qc = rx ** 2 + rz ** 2, -2 * rz * cz, cz ** 2 - radius ** 2  # ray meets the cup's cylinder
    disc = np.sqrt(np.maximum(qb ** 2 - 4 * qa * qc, 0))
    t_out, t_in, t_bottom = (-qb - disc) / (2 * qa), (-qb + disc) / (2 * qa), (h - 0.01) / ry
    on_wall = (qb ** 2 > 4 * qa * qc)
    outer = np.where(on_wall & (t_out * ry >= h - tall) & (t_out * ry <= h), t_out, np.inf)
    inner = np.where(on_wall & (t_in * ry >= h - tall) & (t_in * ry <= h - 0.01), t_in, np.inf)
    bottom = np.where((t_bottom * rx) ** 2 + (t_bottom * rz - cz) ** 2 < radius ** 2, t_bottom, np.inf)
    depth = np.minimum.reduce([floor, outer, inner, bottom])
    with np.errstate(divide="ignore", invalid="ignore"):
        t1, t2 = np.array([0.03, h - tall, cz]) / ray, np.array([0.11, h, cz + 0.08]) / ray
        near, far = np.minimum(t1, t2).max(axis=2), np.maximum(t1, t2).min(axis=2)
    box = (near < far) & (near > 0) & (near < depth)
    cup = (depth < floor - 0.005) & ~box
    depth = np.where(box, near, depth)
    info = SourceInfo("t", "test", 30.0, 640, 480, has_depth=True)
    packet = FramePacket(0, 0.0, np.zeros((480, 640, 3), np.uint8), info, depth=depth.astype(np.float32), intrinsics=k)
    return packet, cup, box


def test_an_open_cup_is_one_segment_with_its_inside_but_not_with_a_box_as_tall_beside_it():
    """The near rim is a depth jump between the cup's outside and the inside seen over it (measured: the largest
    segment held 51 % of the cup without the concave merge, 90 % with it); the box behind it stays apart."""
    packet, cup, box = _open_cup_beside_a_box()
    lab = GeometricSegmenter().segment(packet).labels
    in_cup, in_box = np.bincount(lab[cup & (lab >= 0)]), np.bincount(lab[box & (lab >= 0)])
    assert in_cup.max() >= 0.8 * cup.sum() and in_box.max() >= 0.8 * box.sum()
    assert in_cup.argmax() != in_box.argmax()


@pytest.fixture(scope="module")
def ycbv(shared_data):
    return shared_data / "rgbd" / "ycbv-0000"


def test_real_tabletop_default_segmenter_ap_floor(ycbv):
    m = evaluate_source(ycbv, build_segmenter("geometric", keyframe_every=0), map_config=MapConfig(auto_voxel=True))
    assert m["gt_instances"] == 3
    assert m["ap25"] >= 0.6 and m["ap50"] >= 0.6, m  # measured AP25 1.00, AP50 1.00 (0.67 before the concave merge)
    # measured AP 0.83, IoU 0.86 - 0.92 (before the concave merge: AP 0.53, the mug 0.49: its inside apart)
    assert m["ap"] >= 0.6 and min(m["best_iou"].values()) >= 0.6, m


def _patch(x0: float, x1: float, z0: float, z1: float, y: float = 2.0, step: float = 0.025) -> np.ndarray:
    """Voxel centres of a vertical wall patch at depth ``y``, x0..x1 wide and z0..z1 high."""
    x, z = np.meshgrid(np.arange(x0, x1, step), np.arange(z0, z1, step))
    return np.column_stack([x.ravel(), np.full(x.size, y), z.ravel()])


def test_coplanar_pieces_of_a_wall_pair_up_but_not_a_parallel_front_or_the_floor():
    from perception.map3d.planar_merge import coplanar_pairs

    rng = np.random.default_rng(0)
    left, right = _patch(0.0, 1.5, 0.0, 2.0), _patch(1.6, 3.0, 0.0, 2.0)  # 10 cm apart, one wall
    front = _patch(1.6, 3.0, 0.0, 1.0, y=1.7)  # a cabinet front 30 cm before the wall
    floor = _patch(0.0, 3.0, 0.0, 1.5)[:, [0, 2, 1]] * [1, 1, 0]  # the floor the wall stands on
    beyond = _patch(3.6, 5.0, 0.0, 2.0)  # 60 cm further along: wide pieces bridge what stood before the wall
    poster = _patch(5.7, 6.0, 0.5, 1.0)  # a small flat piece 70 cm further: too far for its size
    parts = [left, right, front, floor, beyond, poster]
    xyz = np.concatenate(parts) + rng.normal(0, 0.01, (sum(map(len, parts)), 3))
    ids = np.repeat(np.arange(1, 7), [len(p) for p in parts])
    assert coplanar_pairs(xyz, ids, 0.025) == [(1, 2), (2, 5)]


def test_a_table_top_and_its_side_pair_up_at_their_convex_edge_but_a_floor_and_wall_do_not():
    from perception.map3d.planar_merge import convex_pairs

    rng = np.random.default_rng(1)
    step = 0.01
    x, y = np.meshgrid(np.arange(0, 0.8, step), np.arange(0, 0.6, step))
    top = np.column_stack([x.ravel(), y.ravel(), np.full(x.size, 0.74)])  # table top, seen from above
    x, z = np.meshgrid(np.arange(0, 0.8, step), np.arange(0.44, 0.73, step))
    side = np.column_stack([x.ravel(), np.full(x.size, -0.005), z.ravel()])  # its front side, just below the edge
    x, y = np.meshgrid(np.arange(3, 3.8, step), np.arange(0, 0.6, step))
    floor = np.column_stack([x.ravel(), y.ravel(), np.zeros(x.size)])
    x, z = np.meshgrid(np.arange(3, 3.8, step), np.arange(0.01, 0.3, step))
    wall = np.column_stack([x.ravel(), np.full(x.size, 0.605), z.ravel()])  # a wall behind that floor
    parts = [top, side, floor, wall]
    xyz = np.concatenate(parts) + rng.normal(0, 0.002, (sum(map(len, parts)), 3))
    ids = np.repeat(np.arange(1, 5), [len(p) for p in parts])
    eye = {1: np.array([0.4, -1.0, 1.5]), 2: np.array([0.4, -1.0, 1.5]), 3: np.array([3.4, -1.0, 1.5]),
           4: np.array([3.4, -1.0, 1.5])}
    assert convex_pairs(xyz, ids, eye, 0.01) == [(1, 2)]


def test_thin_markers_lying_on_the_table_get_their_own_segments(tabletop):
    """Markers 1.5-2 cm thick are too low for the coarse grid's depth jumps; the finer on-plane pass finds them."""
    import cv2

    from perception.sources import open_source

    meta = json.loads((tabletop / "gt_instances.json").read_text())
    markers = [r["id"] for r in meta["instances"] if r["name"] == "marker"]
    assert markers
    shares: dict[bool, list[float]] = {False: [], True: []}
    with open_source(str(tabletop)) as src:
        for packet in src:
            if packet.index % 5:
                continue
            gt = cv2.imread(str(tabletop / "instance" / f"{packet.index}.png"), cv2.IMREAD_UNCHANGED)
            for thin in shares:
                masks = GeometricSegmenter(thin_objects=thin).segment(packet).detections.masks
                for m in markers:
                    if (gt == m).sum() >= 300:
                        shares[thin].append(max(((gt == m) & d).sum() for d in masks) / (gt == m).sum())
    assert len(shares[True]) >= 6
    # measured mean best share 0.77 with the pass, 0.12 without; 0.51 when the pass took only candidates within
    # its margin of the plane (a marker whose middle the coarse grid left unlabelled came as its outline)
    assert np.mean(shares[True]) >= 0.65 and np.mean(shares[True]) >= np.mean(shares[False]) + 0.2, shares
