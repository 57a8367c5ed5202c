"""Association logic of the 2D trackers on hand-made cases, plus their building blocks."""

from __future__ import annotations

import numpy as np
import pytest

from perception.types import Detections, FramePacket, FrameResult, SourceInfo, TrackState
from trackers.cmc import CameraMotion
from trackers.config import GraphConfig
from trackers.edges import message_passing
from trackers.graph import GraphTracker
from trackers.kalman import BoxKalman, xyxy_to_cxcywh
from trackers.registry import TRACKERS, build_tracker
from trackers.scores import normalise_scores
from trackers.stage import TrackerStage

BLANK = SourceInfo("test", "blank", 10.0, 640, 480)
IMAGE = np.zeros((480, 640, 3), np.uint8)


def frame(i: int, boxes, scores=None, embeddings=None, masks=None) -> FrameResult:
    """A frame result carrying the given XYXY boxes."""
    boxes = np.asarray(boxes, dtype=float).reshape(-1, 4)
    emb = None if embeddings is None else np.asarray(embeddings, dtype=np.float32)
    return FrameResult(FramePacket(i, i / 10.0, IMAGE, BLANK),
                       detections=Detections(boxes, None if scores is None else np.asarray(scores, float),
                                             embeddings=emb, masks=masks))


def step(tracker, result: FrameResult):
    """One update through the tracker contract (blank source: no image)."""
    return tracker.update(result.detections, None)


def person(cx: float, cy: float = 240.0) -> list[float]:
    """A 40x100 box centred at (cx, cy)."""
    return [cx - 20, cy - 50, cx + 20, cy + 50]


def ids_by_x(tracks) -> list[int]:
    """Track IDs ordered left to right."""
    return [int(i) for i in tracks.ids[np.argsort(tracks.xyxy[:, 0])]]


def test_registry_default_is_graph():
    assert "graph" in TRACKERS
    assert isinstance(build_tracker("graph", fps=25), GraphTracker)
    with pytest.raises(ValueError, match="choose one of"):
        build_tracker("nope")


def test_tracker_config_is_validated_and_lists_its_fields():
    with pytest.raises(ValueError, match="high_score=1.5 is outside"):
        GraphTracker(high_score=1.5)
    with pytest.raises(ValueError, match="unknown graph tracker option.*valid: high_score"):
        build_tracker("graph", fps=10, highscore=0.5)
    assert GraphTracker(fps=10, config=GraphConfig.from_options({"min_hits": "3"})).min_hits == 3
    assert [t.name for t in GraphConfig.tunables()][:2] == ["high_score", "new_track_score"]
    assert all(t.help for t in GraphConfig.tunables())


def test_track_label_is_the_majority_of_its_detections():
    tr = GraphTracker(fps=10, appearance=False, min_hits=1)
    names = ["person", "person", "car", "person", "car"]
    for i, name in enumerate(names):
        out = tr.update(Detections(np.array([person(100 + 5 * i)], float), labels=[name]))
    assert out.labels.tolist() == ["person"]


def test_crossing_paths_keep_identities_by_motion():
    # A walks right, B walks left, slightly lower; they overlap around frames 9-11.
    tr = GraphTracker(fps=10, appearance=False)
    seen = {}
    for i in range(20):
        out = step(tr, frame(i, [person(100 + 20 * i, 240), person(500 - 20 * i, 260)]))
        for box, tid in zip(out.xyxy, out.ids):
            seen.setdefault(int(tid), []).append((i, (box[1] + box[3]) / 2))
    assert set(seen) == {1, 2}
    # each identity stays on its own horizontal lane the whole time
    for tid, pts in seen.items():
        lanes = {round(y / 20) for _, y in pts}
        assert len(lanes) == 1, (tid, pts)


def test_crossing_paths_with_appearance_and_no_lane_offset():
    # Same lane, perfectly overlapping at the crossing: appearance has to disambiguate.
    tr = GraphTracker(fps=10)
    red, blue = np.eye(4)[0], np.eye(4)[1]
    colour_of = {}
    for i in range(20):
        out = step(tr, frame(i, [person(100 + 20 * i), person(480 - 20 * i)], embeddings=[red, blue]))
        for tid, d in zip(out.ids, out.det_index):
            colour_of.setdefault(int(tid), set()).add(int(d))
    assert colour_of == {1: {0}, 2: {1}}


def test_occlusion_and_return_keeps_id():
    tr = GraphTracker(fps=10, appearance=False)
    ids, states, x = [], [], []
    for i in range(30):
        visible = not 10 <= i < 16  # six frames (0.6 s) behind an occluder
        out = step(tr, frame(i, [person(100 + 10 * i)] if visible else []))
        ids.append(out.ids.tolist())
        states.append(out.states.tolist())
        x.append(out.xyxy[:, 0].tolist())
    assert ids[9] == [1] and states[9] == [TrackState.CONFIRMED]
    # coasting: reported lost, at its predicted box (walking on at 10 px a frame), for coast_frames = 3 frames
    assert ids[10:13] == [[1]] * 3 and states[10:13] == [[TrackState.LOST]] * 3
    assert np.allclose([v[0] for v in x[10:13]], [80 + 10 * i for i in range(10, 13)], atol=3.0)
    assert all(v == [] for v in ids[13:16])
    assert ids[16] == [1] and ids[-1] == [1] and states[16] == [TrackState.CONFIRMED]


def test_coasting_off_reports_only_matched_tracks():
    tr = GraphTracker(fps=10, appearance=False, coast_frames=0)
    ids = [step(tr, frame(i, [person(100 + 10 * i)] if i < 10 else [])).ids.tolist() for i in range(12)]
    assert ids[9] == [1] and ids[10:] == [[], []]


def test_lost_track_reidentified_by_appearance_after_displacement():
    # The object reappears 80 px off its predicted path (beyond IoU/motion gates) with the same look.
    tr = GraphTracker(fps=10, track_buffer_s=2.0, reid_window_s=4.0)
    look, other = np.array([1.0, 0, 0, 0]), np.array([0, 1.0, 0, 0])
    for i in range(6):
        step(tr, frame(i, [person(200)], embeddings=[look]))
    for i in range(6, 12):
        step(tr, frame(i, []))
    out = step(tr, frame(12, [person(200, 240 + 80)], embeddings=[look]))
    assert out.ids.tolist() == [1]
    tr.reset()
    for i in range(6):
        step(tr, frame(i, [person(200)], embeddings=[look]))
    for i in range(6, 12):
        step(tr, frame(i, []))
    step(tr, frame(12, [person(200, 240 + 80)], embeddings=[other]))
    out = step(tr, frame(13, [person(200, 240 + 80)], embeddings=[other]))
    assert out.ids.tolist() == [2]


def test_low_score_detection_extends_a_confirmed_track():
    tr = GraphTracker(fps=10, appearance=False)
    for i in range(5):
        step(tr, frame(i, [person(100 + 10 * i)], [0.9]))
    out = step(tr, frame(5, [person(150)], [0.3]))
    assert out.ids.tolist() == [1]
    assert out.det_index.tolist() == [0]
    assert out.states.tolist() == [int(TrackState.CONFIRMED)]


def test_low_score_detection_without_recovery_is_ignored():
    tr = GraphTracker(fps=10, appearance=False, recovery=False)
    for i in range(5):
        step(tr, frame(i, [person(100 + 10 * i)], [0.9]))
    out = step(tr, frame(5, [person(150)], [0.3]))
    assert out.det_index.tolist() == [-1] and out.states.tolist() == [TrackState.LOST]  # coasting, not matched


def test_low_score_detection_never_starts_a_track():
    tr = GraphTracker(fps=10, appearance=False)
    for i in range(10):
        out = step(tr, frame(i, [person(300)], [0.3]))
        assert len(out) == 0
    # far from any track, a low-score detection next to a live track starts nothing either
    for i in range(10, 15):
        out = step(tr, frame(i, [person(100), person(500)], [0.9, 0.3]))
    assert out.ids.tolist() == [1]


def test_low_score_duplicate_of_a_stronger_detection_is_not_a_real_object():
    tr = GraphTracker(fps=10, appearance=False)
    for i in range(5):
        step(tr, frame(i, [person(100), person(160)], [0.9, 0.9]))
    # the right object vanishes; a low-score box sits on the left one (a duplicate) near the right track
    dup = [80 + 12, 190, 120 + 12, 290]
    out = step(tr, frame(5, [person(100), dup], [0.9, 0.3]))
    assert out.ids[out.det_index >= 0].tolist() == [1]  # the right track coasts, unmatched


def test_tentative_track_needs_min_hits_after_first_frame():
    tr = GraphTracker(fps=10, appearance=False, min_hits=3)
    step(tr, frame(0, []))
    assert len(step(tr, frame(1, [person(100)], [0.9]))) == 0
    assert len(step(tr, frame(2, [person(105)], [0.9]))) == 0
    assert step(tr, frame(3, [person(110)], [0.9])).ids.tolist() == [1]


def test_buffers_are_in_seconds():
    slow, fast = GraphTracker(fps=5, track_buffer_s=2.0), GraphTracker(fps=30, track_buffer_s=2.0)
    assert slow.track_buffer == 10 and fast.track_buffer == 60


def test_masks_follow_tracks_and_reset_restarts_ids():
    tr = GraphTracker(fps=10, appearance=False)
    masks = np.zeros((2, 480, 640), bool)
    masks[0, 200:280, 80:120] = True
    masks[1, 200:280, 380:420] = True
    stage = TrackerStage(tr)
    res = stage.process(frame(0, [person(100), person(400)], masks=masks))
    assert res.tracks.masks is not None and res.tracks.masks.shape == (2, 480, 640)
    for t, d in zip(range(2), res.tracks.det_index):
        assert np.array_equal(res.tracks.masks[t], masks[d])
    stage.reset()
    assert stage.process(frame(0, [person(300)])).tracks.ids.tolist() == [1]


def test_a_coasting_track_carries_an_empty_mask():
    stage = TrackerStage(GraphTracker(fps=10, appearance=False))
    masks = np.zeros((1, 480, 640), bool)
    masks[0, 200:280, 80:120] = True
    for i in range(3):
        stage.process(frame(i, [person(100)], masks=masks))
    t = stage.process(frame(3, [person(400)], masks=np.roll(masks, 300, axis=2))).tracks
    coasting = int(np.flatnonzero(t.det_index < 0)[0])
    assert not t.masks[coasting].any() and not np.asarray(t.masks)[coasting].any()
    assert all(np.array_equal(np.asarray(t.masks)[k], t.masks[k]) for k in range(len(t)))


def test_message_passing_penalises_the_weaker_claim():
    s0 = np.array([[0.9, 0.0], [0.6, 0.5]])
    s = message_passing(s0, rounds=2, competition=0.5)
    assert s[0, 0] == pytest.approx(0.9)  # uncontested winner keeps its score
    assert s[1, 0] < 0.6 * 0.9  # track 1's claim on detection 0 is beaten by track 0's
    assert s[0, 1] == 0.0  # no edge stays no edge


def test_kalman_learns_constant_velocity():
    kf = BoxKalman()
    mean, cov = kf.initiate(xyxy_to_cxcywh(person(100))[0])
    for i in range(1, 10):
        m, c = kf.predict(mean[None], cov[None])
        mean, cov = kf.update(m[0], c[0], xyxy_to_cxcywh(person(100 + 10 * i))[0])
    assert mean[4] == pytest.approx(10, abs=1.0)


def test_camera_motion_estimates_translation_and_moves_states():
    rng = np.random.default_rng(0)
    texture = (rng.random((240, 320)) * 255).astype(np.uint8)
    texture = np.repeat(np.repeat(texture, 2, 0), 2, 1)
    import cv2

    texture = cv2.GaussianBlur(texture, (5, 5), 0)
    img0 = cv2.cvtColor(texture, cv2.COLOR_GRAY2BGR)
    img1 = np.roll(img0, (6, 10), axis=(0, 1))
    cmc = CameraMotion()
    cmc.estimate(img0)
    warp = cmc.estimate(img1)
    assert warp[:, 2] == pytest.approx([10, 6], abs=1.0)
    means, covs = CameraMotion.apply(warp, np.array([[100.0, 100, 40, 100, 0, 0, 0, 0]]), np.eye(8)[None])
    assert means[0, :2] == pytest.approx([110, 106], abs=1.0)


def test_score_normalisation_is_monotone_and_keeps_valid_scores():
    valid = np.array([0.0, 0.3, 1.0])
    assert np.array_equal(normalise_scores(valid), valid)
    raw = np.array([0.142, 50.0, 133.2, 13.0, 50.0])
    out = normalise_scores(raw)
    assert out.min() > 0 and out.max() < 1
    assert np.array_equal(np.argsort(out, kind="stable"), np.argsort(raw, kind="stable"))
    assert out[1] == out[4]
    assert normalise_scores(np.zeros(0)).shape == (0,)


def test_iou_tracker_matches_by_overlap_and_ignores_low_scores():
    tr = build_tracker("iou", fps=10)
    for i in range(5):
        out = step(tr, frame(i, [person(100 + 5 * i), person(400)], [0.9, 0.1]))
    assert out.ids.tolist() == [1]


def test_low_score_detection_confirms_a_tentative_track_it_overlaps():
    tr = GraphTracker(fps=10, appearance=False, min_hits=2)
    step(tr, frame(0, []))
    assert len(step(tr, frame(1, [person(100)], [0.9]))) == 0  # tentative
    out = step(tr, frame(2, [person(104)], [0.3]))  # low score, but on the tentative track's prediction
    assert out.ids.tolist() == [1]


def test_a_walker_at_a_low_frame_rate_keeps_one_track():
    """At 2.5 fps a walker moves a body width a frame: before the filter knows its velocity that offset must not
    cost the match (every frame would start a new tentative track that never confirms)."""
    tr = GraphTracker(fps=2.5, appearance=False)
    ids = [step(tr, frame(i, [person(60 + 40 * i)])).ids.tolist() for i in range(10)]
    assert ids[1:] == [[1]] * 9
    assert GraphTracker(fps=2.5, appearance=False, slow_fps=0).scorer.w_offset == 2.0


def test_a_prediction_shrunk_to_nothing_is_not_reported():
    # a person walking out across the right border: the clipped box narrows 5 px a frame, then detections stop
    tr = GraphTracker(fps=10, appearance=False)
    reported = []
    for i in range(12):
        boxes = [[600 + 5 * i, 190, 640, 290]] if i < 7 else []
        out = step(tr, frame(i, boxes))
        reported += [(i, *b) for b in out.xyxy]
    assert any(r[0] >= 7 for r in reported)  # it coasts at first
    assert all(x1 - x0 > 0 and y1 - y0 > 0 for _, x0, y0, x1, y1 in reported), reported


def test_a_prediction_that_left_the_image_is_not_reported():
    # a walker leaving across the right border at 20 px a frame, seen whole until its box touches the border: its
    # coasting prediction is off the 640 px image by the third missed frame; without an image it is still drawn
    def run(image):
        tr = GraphTracker(fps=10, appearance=False)
        reported = []
        for i in range(12):
            boxes = [[500 + 20 * i, 190, 540 + 20 * i, 290]] if i < 6 else []
            out = tr.update(frame(i, boxes).detections, image)
            reported += [(i, *b) for b in out.xyxy]
        return reported

    with_image = run(IMAGE)
    assert any(r[0] == 6 for r in with_image)  # the first coasting frame still overlaps the image
    assert all(x0 < 640 for _, x0, _y0, _x1, _y1 in with_image), with_image
    assert any(x0 >= 640 for _, x0, _y0, _x1, _y1 in run(None))
