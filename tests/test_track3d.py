"""Association logic of the 3D graph tracker on hand-made cases and a synthetic scene."""

from __future__ import annotations

import numpy as np
import pytest

from perception.testing.replay import replay
from perception.testing.tracking_scenes import make_2d_sequence, make_3d_sequence
from perception.types import Detections, FramePacket, FrameResult, Instances3D, SourceInfo, TrackState
from trackers.evaluation import evaluate_mot, evaluate_points
from trackers.graph3d import GraphTracker3D, box3d_iou
from trackers.registry import TRACKERS_3D, build_tracker, build_tracker3d
from trackers.stage import Tracker3DStage, instance_embeddings

INFO = SourceInfo("t", "synthetic", 10.0, 64, 48)
IMAGE = np.zeros((48, 64, 3), np.uint8)


def frame(i: int, centres, t: float | None = None, size: float = 0.4, embeddings=None) -> FrameResult:
    """A frame whose instances are cubes of side ``size`` at ``centres``."""
    c = np.asarray(centres, float).reshape(-1, 3)
    n = len(c)
    det = Detections.empty() if embeddings is None else Detections(np.tile([0, 0, 1, 1], (n, 1)),
                                                                   embeddings=np.asarray(embeddings, np.float32))
    inst = Instances3D(np.arange(n), c, c - size / 2, c + size / 2, np.full(n, 100),
                       np.arange(n) if embeddings is not None else None)
    return FrameResult(FramePacket(i, i / 10.0 if t is None else t, IMAGE, INFO), detections=det, instances=inst)


def step(tracker, result: FrameResult):
    """One update through the 3D tracker contract."""
    return tracker.update(result.instances, result.packet.timestamp, instance_embeddings(result, result.instances))


def test_registry_and_stage_fill_tracks3d():
    assert "graph3d" in TRACKERS_3D
    stage = Tracker3DStage(build_tracker3d("graph3d", fps=10))
    res = stage.process(frame(0, [[1, 1, 0.2], [3, 1, 0.2]]))
    assert res.tracks3d is not None and res.tracks3d.ids.tolist() == [1, 2]
    assert res.tracks3d.sizes[0] == pytest.approx([0.4, 0.4, 0.4])
    stage.reset()
    assert stage.process(frame(0, [[5, 5, 0.2]])).tracks3d.ids.tolist() == [1]


def test_crossing_paths_keep_identities():
    tr = GraphTracker3D(fps=10)
    track_of = {}
    for i in range(30):
        a = [0.5 + 0.1 * i, 2.0, 0.2]  # 1 m/s to +x
        b = [3.5 - 0.1 * i, 2.3, 0.2]  # 1 m/s to -x, 0.3 m to the side
        out = step(tr, frame(i, [a, b]))
        for tid, d in zip(out.ids, out.det_index):
            track_of.setdefault(int(tid), set()).add(int(d))
    assert track_of == {1: {0}, 2: {1}}


def test_occlusion_and_return_keeps_id_and_velocity_is_learned():
    tr = GraphTracker3D(fps=10)
    ids = []
    for i in range(30):
        hidden = 10 <= i < 18
        out = step(tr, frame(i, [] if hidden else [[0.5 + 0.08 * i, 1.0, 0.2]]))
        ids.append(out.ids.tolist())
    assert ids[9] == [1] and ids[18] == [1] and ids[-1] == [1]
    assert out.velocities[0] == pytest.approx([0.8, 0, 0], abs=0.1)
    assert out.states.tolist() == [int(TrackState.CONFIRMED)]


def test_speed_gate_uses_time_between_frames():
    # a 1 m jump in 0.1 s (10 m/s) is beyond max_speed=2 m/s: a new object, not the old track
    tr = GraphTracker3D(fps=10, max_speed=2.0, min_hits=1)
    step(tr, frame(0, [[1, 1, 0.2]], t=0.0))
    assert step(tr, frame(1, [[2, 1, 0.2]], t=0.1)).ids.tolist() == [2]
    # the same 1 m after 1 s (1 m/s) is within the gate
    tr.reset()
    step(tr, frame(0, [[1, 1, 0.2]], t=0.0))
    assert step(tr, frame(1, [[2, 1, 0.2]], t=1.0)).ids.tolist() == [1]


def test_appearance_resolves_side_by_side_swap():
    tr = GraphTracker3D(fps=10)
    red, blue = np.eye(3)[0], np.eye(3)[1]
    for i in range(5):
        step(tr, frame(i, [[1.0, 1, 0.2], [1.25, 1, 0.2]], embeddings=[red, blue]))
    # the detections come in swapped order and slightly swapped positions; colour decides
    out = step(tr, frame(5, [[1.2, 1, 0.2], [1.05, 1, 0.2]], embeddings=[blue, red]))
    assert dict(zip(out.ids.tolist(), out.det_index.tolist())) == {1: 1, 2: 0}


def test_box3d_iou():
    a_min, a_max = np.zeros((1, 3)), np.ones((1, 3))
    assert box3d_iou(a_min, a_max, a_min, a_max)[0, 0] == pytest.approx(1.0)
    assert box3d_iou(a_min, a_max, a_min + [0.5, 0, 0], a_max + [0.5, 0, 0])[0, 0] == pytest.approx(1 / 3)


def test_synthetic_scene_mota_and_id_switches():
    scene = make_3d_sequence(seed=3, n_frames=100)
    tr = build_tracker3d("graph3d", fps=scene.fps)
    out = [(t.ids, t.centers) for t in (step(tr, r) for r in scene.frames)]
    m = evaluate_points(scene.truth, out, max_distance=0.3)
    assert m["MOTA"] >= 0.9
    assert m["IDsw"] <= scene.occlusion_events


def test_evaluate_points_counts_a_swap():
    truth = [(np.array([1, 2]), np.array([[0, 0, 0], [5, 0, 0.0]]))] * 4
    swapped = truth[:2] + [(np.array([2, 1]), truth[0][1])] * 2
    assert evaluate_points(truth, truth)["IDsw"] == 0
    assert evaluate_points(truth, swapped)["IDsw"] == 2


def test_graph_tracker_keeps_ids_through_long_2d_occlusions(tmp_path):
    seq = tmp_path / "s"
    events = make_2d_sequence(seq, seed=1, n_frames=100)
    assert (seq / "img1" / "000100.jpg").is_file() and events >= 3
    result = replay(build_tracker("graph", fps=15), seq)
    result.write(tmp_path / "t.txt")
    m = evaluate_mot(seq, tmp_path / "t.txt")["combined"]
    assert m["IDF1"] >= 0.85 and m["IDsw"] <= events // 2
