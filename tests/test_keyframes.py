"""Keyframe selection for the 3D map: which frames are fused, what tracked frames report, and the stats."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from perception.map3d.stage import Map3DStage
from perception.pipeline.factory import PipelineOptions, build_pipeline, build_stages
from perception.pipeline.keyframe_map import NOT_KEYFRAME, KeyframeMap3DStage
from perception.pipeline.keyframes import KeyframePolicy, pose_change, view_overlap
from perception.pipeline.runner import Pipeline, run_pipeline
from perception.sources import open_source
from perception.types import FrameResult, InputError, Intrinsics, PoseSource


@pytest.fixture(scope="module")
def segmented():
    """The sample's first 12 frames, segmented (the map stage's input)."""
    with open_source("sample") as src:
        seg = build_stages(PipelineOptions(map3d=False, memory=False, tracker="none"), src.info)[0]
        out = []
        for p in src:
            out.append(seg.process(FrameResult(p)))
            if len(out) == 12:
                return out


def _copy(result: FrameResult, index: int | None = None, **packet) -> FrameResult:
    p = replace(result.packet, **packet) if index is None else replace(result.packet, index=index, **packet)
    r = FrameResult(p)
    r.segments, r.detections, r.segment_labels = result.segments, result.detections, result.segment_labels
    return r


def test_view_overlap_and_pose_change():
    k = Intrinsics(500.0, 500.0, 320.0, 240.0, 640, 480)
    depth = np.full((480, 640), 2.0, np.float32)
    pose = np.eye(4)
    pol = KeyframePolicy()
    assert view_overlap(depth, pose, depth, pose, k, pol) == pytest.approx(1.0)
    moved = np.eye(4)
    moved[0, 3] = 1.0  # half the view slides out at 2 m
    assert 0.3 < view_overlap(depth, pose, depth, moved, k, pol) < 0.7
    closer = np.full((480, 640), 1.5, np.float32)  # something moved in front of the camera
    assert view_overlap(depth, pose, closer, pose, k, pol) == 0.0
    turn = np.eye(4)
    turn[:3, :3] = [[np.cos(0.1), -np.sin(0.1), 0], [np.sin(0.1), np.cos(0.1), 0], [0, 0, 1]]
    turn[:3, 3] = [0.3, 0.4, 0]
    t, r = pose_change(pose, turn)
    assert t == pytest.approx(0.5) and r == pytest.approx(np.degrees(0.1))
    with pytest.raises(InputError):
        KeyframePolicy(max_gap=0)


def test_a_still_camera_fuses_every_max_gap_frames_and_tracks_the_same_instances(segmented):
    stage = KeyframeMap3DStage(policy=KeyframePolicy(max_gap=4))
    first = stage.process(_copy(segmented[0], 0))
    assert NOT_KEYFRAME not in first.skipped.values() and len(first.instances) > 0
    fused = [0]
    for i in range(1, 9):
        r = stage.process(_copy(segmented[0], i))
        if stage.name not in r.skipped:
            fused.append(i)
            continue
        assert r.skipped[stage.name] == NOT_KEYFRAME and r.camera.source is PoseSource.GIVEN
        # the same view: each big segment is tracked to the instance the keyframe gave it
        big = np.flatnonzero(r.segments.masks.sum((1, 2)) > 2000)
        assert len(big) and np.array_equal(r.instance_of_detection[big], first.instance_of_detection[big])
        assert set(r.instances.ids.tolist()) >= set(r.instance_of_detection[r.instance_of_detection > 0].tolist())
    assert fused == [0, 4, 8] and stage.keyframes == 3 and stage.frames == 9


def test_a_moving_view_is_fused_and_max_gap_one_fuses_every_frame_like_the_plain_stage(segmented):
    plain, every = Map3DStage(), KeyframeMap3DStage(policy=KeyframePolicy(max_gap=1))
    for r in segmented:
        a, b = plain.process(_copy(r)), every.process(_copy(r))
        assert a.instances.ids.tolist() == b.instances.ids.tolist()
        assert np.array_equal(a.instance_of_detection, b.instance_of_detection)
    assert every.keyframes == len(segmented)
    moving = KeyframeMap3DStage(policy=KeyframePolicy(max_gap=100, max_translation=0.05))
    for r in segmented:
        moving.process(_copy(r))
    assert moving.keyframes == len(segmented)  # the sample's camera moves about 7 cm a frame


def test_odometry_poses_and_a_reset(segmented):
    stage = KeyframeMap3DStage(policy=KeyframePolicy(max_gap=3))
    out = [stage.process(_copy(r, pose=None)) for r in segmented[:6]]
    assert all(r.camera is not None and r.camera.source is PoseSource.ODOMETRY for r in out)
    assert 1 <= stage.keyframes < 6
    stage.reset()
    assert stage.keyframes == stage.frames == 0 and len(stage.map.store) == 0
    assert stage.name not in stage.process(_copy(segmented[0], pose=None)).skipped


def test_hold_under_load_tracks_instead_of_skipping_and_stats_count_keyframes(segmented):
    stage = KeyframeMap3DStage(policy=KeyframePolicy(max_gap=1))
    pipe = Pipeline([stage])
    out = [pipe.process(r.packet, {"map3d": 2}) for r in segmented[:2]]
    assert out[1].skipped["map3d"] == NOT_KEYFRAME and out[1].instances is not None
    with open_source("sample") as src:
        pipeline = build_pipeline(PipelineOptions(), src.info)
        stats = run_pipeline(src, pipeline, max_frames=20)
        pipeline.close()
    s = stats.summary()
    assert s["map_frames"] == 20 and 1 <= s["keyframes_integrated"] < 20
    assert isinstance(pipeline.stage("map3d"), Map3DStage)
    with open_source("sample") as src:
        pipeline = build_pipeline(PipelineOptions(keyframes=None), src.info)
        assert run_pipeline(src, pipeline, max_frames=5).summary()["keyframes_integrated"] == 5
        pipeline.close()


def test_a_frame_without_valid_depth_is_skipped_not_tracked(segmented):
    stage = KeyframeMap3DStage(policy=KeyframePolicy(max_gap=10))
    stage.process(_copy(segmented[0], 0))
    r = stage.process(_copy(segmented[0], 1, depth=np.zeros_like(segmented[0].packet.depth)))
    assert "no valid pixels" in r.skipped["map3d"] and r.instances is None
