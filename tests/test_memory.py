"""Unit tests of the streaming video memory: STAR frames, events, trajectories, parsing, narration, questions."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from perception.memory import (
    Event,
    GroundedAnswerer,
    MemoryConfig,
    MemoryStage,
    Narrator,
    QuestionSchedule,
    VideoMemory,
    format_answer,
    make_backend,
    make_memory_stage,
    write_answers,
)
from perception.memory.answer import collect
from perception.memory.describe import COLOURS, colour_votes, region_name
from perception.memory.events import Timeline
from perception.memory.star import FrameRecord, StarMemory
from perception.memory.tracks import Trajectory
from perception.types import FramePacket, FrameResult, InputError, Instances3D, SourceInfo, Tracks, TrackState

INFO = SourceInfo("hand", "synthetic", 10.0, 160, 120)


def frame(i: int, boxes: list[tuple[int, tuple[float, float, float, float], int]] = (), bg: tuple[int, int, int] = (60, 60, 60),
          colour: tuple[int, int, int] = (30, 30, 220), **fields) -> FrameResult:
    """Frame ``i`` at 10 fps with (id, box, state) tracks drawn as filled boxes of ``colour``."""
    img = np.full((120, 160, 3), bg, np.uint8)
    for _, b, state in boxes:
        if state == TrackState.CONFIRMED:
            cv2.rectangle(img, (int(b[0]), int(b[1])), (int(b[2]) - 1, int(b[3]) - 1), colour, -1)
    tracks = Tracks(np.array([b for _, b, _ in boxes], float).reshape(-1, 4), np.array([k for k, _, _ in boxes], np.int64),
                    states=np.array([s for _, _, s in boxes], np.int64))
    return FrameResult(FramePacket(i, i / 10.0, img, INFO), tracks=tracks, **fields)


def record(i: int, emb: np.ndarray, t: float | None = None) -> FrameRecord:
    return FrameRecord(i, i if t is None else t, i if t is None else t, 1.0, emb / np.linalg.norm(emb), b"x" * 100)


def test_star_keeps_weights_spans_and_member_keyframes():
    cfg = MemoryConfig(spatial_size=3, temporal_clusters=4, retrieved_size=2)
    star = StarMemory(cfg)
    rng = np.random.default_rng(0)
    for i in range(200):
        star.add(record(i, rng.normal(size=16)))
    assert len(star.spatial) == 3 and len(star.clusters) == 4
    # every frame that left the spatial buffer is still counted once: weights are never dropped on merge
    assert sum(c.weight for c in star.clusters) == pytest.approx(197.0)
    assert sum(c.members for c in star.clusters) == 197
    spans = [(c.t_start, c.t_end) for c in star.clusters]
    assert spans == sorted(spans) and all(a[1] < b[0] for a, b in zip(spans, spans[1:]))
    assert spans[0][0] == 0 and spans[-1][1] == 196
    for c in star.clusters:  # the keyframe is a real member frame of that cluster (not looked up by cluster id)
        assert c.t_start <= c.representative.t_start <= c.t_end
    heavy = sorted(star.clusters, key=lambda c: -c.weight)[:2]
    assert {r.frame_index for r in star.retrieved()} == {c.representative.frame_index for c in heavy}


def test_near_duplicate_frames_add_weight_not_records():
    mem = VideoMemory(MemoryConfig(spatial_size=4, frame_interval_s=0.0))
    for i in range(50):
        mem.update(frame(i))
    assert len(mem.star.spatial) == 1 and not mem.star.clusters
    r = mem.star.spatial[0]
    assert r.weight == 50 and (r.t_start, r.t_end) == (0.0, 4.9)
    assert mem.star.duplicates == 49


def test_frames_within_the_sampling_interval_add_weight():
    mem = VideoMemory(MemoryConfig(spatial_size=50, frame_interval_s=0.5, duplicate_similarity=1.1))
    for i in range(40):  # 10 fps, every frame different
        mem.update(frame(i, [(1, (i, 10, i + 30, 40), TrackState.CONFIRMED)]))
    recs = list(mem.star.spatial)
    assert len(recs) == 8 and all(r.weight == 5 for r in recs)
    assert [r.t_start for r in recs] == pytest.approx([0.5 * k for k in range(8)])
    assert recs[-1].t_end == pytest.approx(3.9) and recs[0].track_ids == (1,)


def test_external_embedding_is_used_and_checked():
    mem = VideoMemory(MemoryConfig(frame_interval_s=0.0))
    v = np.arange(8, dtype=np.float32) + 1
    mem.update(frame(0, image_embedding=v))
    assert np.allclose(mem.star.spatial[-1].embedding, v / np.linalg.norm(v))
    with pytest.raises(InputError, match="changed size"):
        mem.update(frame(1, image_embedding=np.ones(4)))
    mem.update(frame(2))  # no vector this frame: events still recorded, the frame is not added to STAR
    assert mem.skipped_embeddings == 1 and mem.frames == 2
    sam = VideoMemory(MemoryConfig(frame_interval_s=0.0))
    fmap = np.zeros((1, 8, 4, 4), np.float32)
    fmap[0, 3] = 2.0
    sam.update(frame(0, image_embedding=fmap))  # a SAM-style feature map is average-pooled to one vector
    assert np.allclose(sam.star.spatial[-1].embedding, np.eye(8)[3])


def test_track_lifecycle_events_counts_and_summary():
    mem = VideoMemory(MemoryConfig(forget_after_s=1.0))
    box = (10.0, 10.0, 40.0, 35.0)
    C, T, L = TrackState.CONFIRMED, TrackState.TENTATIVE, TrackState.LOST
    kinds = []
    plan = [[(1, box, T)]] + [[(1, box, C)]] * 9 + [[(1, box, L)]] * 5 + [[(1, box, C)]] * 5 + [[]] * 15
    for i, boxes in enumerate(plan):
        kinds += [(e.kind, e.track_id) for e in mem.update(frame(i, boxes))]
    assert [k for k, _ in kinds if k != "count"] == ["born", "confirmed", "lost", "refound", "lost", "ended"]
    snap = mem.snapshot()
    s = snap.tracks[1]
    assert s.colour == "red" and s.size == "medium" and s.region_at(1.0) == "top left"
    assert s.intervals == ((0.1, 0.9), (1.5, 1.9)) and s.visible_duration == pytest.approx(1.4)
    assert (s.born_t, s.confirmed_t, s.last_seen_t, s.ended) == (0.0, 0.1, 1.9, True)
    assert snap.count_at(0.5) == 1 and snap.count_at(1.1) == 1 and snap.count_at(1.35) == 0 and snap.count_at(1.6) == 1 and snap.count_at(3.0) == 0
    assert snap.distinct_objects == 1 and snap.distinct_identities == 1  # (1.1 s: a 0.2 s gap is held)
    assert any("object #1 appeared (red, medium, top left)" in line for line in snap.timeline)


def test_instances_and_scene_change_events():
    mem = VideoMemory()
    inst = Instances3D(np.array([4]), np.array([[1.0, 2.0, 3.0]]), np.array([[0.5, 1.5, 2.5]]), np.array([[1.5, 2.5, 3.5]]),
                       np.array([900]))
    r = frame(0)
    r.instances = inst
    ev = mem.update(r)
    assert [e.kind for e in ev] == ["instance"] and ev[0].position == (1.0, 2.0, 3.0)
    for i in range(1, 5):
        mem.update(frame(i))
    ev = mem.update(frame(5, bg=(200, 120, 20)))
    assert "scene_change" in [e.kind for e in ev]
    snap = mem.snapshot()
    ans = collect("q", snap, GroundedAnswerer().answer(snap, "Where is instance 4?"), "builtin")
    assert ans.value == (1.0, 2.0, 3.0) and ans.citations[0].instance_ids == (4,)


def test_snapshot_is_immutable_and_frozen_in_time():
    mem = VideoMemory()
    for i in range(10):
        mem.update(frame(i, [(1, (10 + i, 10, 40 + i, 40), TrackState.CONFIRMED)]))
    snap = mem.snapshot()
    assert mem.snapshot() is snap  # cached until the next frame
    with pytest.raises(ValueError):
        snap.tracks[1].traj_xy[0, 0] = 5.0
    with pytest.raises(TypeError):
        snap.tracks[2] = snap.tracks[1]  # type: ignore[index]
    for i in range(10, 20):
        mem.update(frame(i, [(1, (10 + i, 10, 40 + i, 40), TrackState.CONFIRMED)]))
    assert snap.time == pytest.approx(0.9) and snap.tracks[1].last_seen_t == pytest.approx(0.9)
    assert mem.snapshot().tracks[1].last_seen_t == pytest.approx(1.9)


def test_trajectory_is_compressed_within_tolerance():
    traj = Trajectory(tolerance=1.0, capacity=32)
    t = np.arange(0, 100, 0.1)
    x = 200 + 150 * np.abs(((t * 0.05) % 2) - 1)  # bouncing: piecewise linear
    y = 50 + 20 * np.sin(t * 0.2)                  # smooth curve: needs more points
    for a, b, c in zip(t, x, y):
        traj.add(float(a), (float(b), float(c)))
    tt, pp = traj.arrays()
    assert len(tt) <= 33
    err = np.hypot(np.interp(t, tt, pp[:, 0]) - x, np.interp(t, tt, pp[:, 1]) - y)
    assert err.max() < 6.0
    straight = Trajectory(tolerance=0.5, capacity=32)
    for k in range(1000):
        straight.add(k * 0.1, (k * 2.0, 5.0))
    assert len(straight.arrays()[0]) == 2


def test_timeline_is_bounded_and_summarises_the_oldest_lines():
    tl = Timeline(capacity=10, compact=4)
    for i in range(100):
        tl.add(Event(float(i), i, "confirmed", track_id=i))
        tl.add(Event(float(i) + 0.5, i, "count", count=1, previous=0))  # count changes do not make lines
    assert len(tl.lines) <= 10
    assert "summary" in tl.lines[0][1] and "appearances" in tl.lines[0][1]
    assert tl.lines[-1][1].startswith("99.0 s: object #99 appeared")


def test_colour_names_and_regions():
    for name, bgr in {"red": (30, 30, 220), "green": (40, 190, 40), "blue": (220, 60, 20), "yellow": (0, 230, 230)}.items():
        img = np.full((40, 40, 3), bgr, np.uint8)
        assert COLOURS[int(np.argmax(colour_votes(img, np.array([0, 0, 40, 40]))))] == name
    img = np.full((40, 40, 3), (30, 30, 220), np.uint8)
    img[:, 20:] = (220, 60, 20)
    votes = colour_votes(img, np.array([0, 0, 40, 40]), exclude=np.array([[20, 0, 40, 40]]))
    assert COLOURS[int(np.argmax(votes))] == "red" and votes[COLOURS.index("blue")] == 0
    assert region_name(10, 10, 300, 300) == "top left" and region_name(150, 150, 300, 300) == "center"
    assert region_name(290, 150, 300, 300) == "middle right" and region_name(150, 290, 300, 300) == "bottom center"


def test_answers_about_unknown_or_future_things_are_clear():
    mem = VideoMemory()
    assert "not seen any frames" in "".join(c.text for c in GroundedAnswerer().answer(mem.snapshot(), "How many objects?"))
    mem.update(frame(0, [(1, (10, 10, 50, 40), TrackState.CONFIRMED)]))
    snap = mem.snapshot()
    text = lambda q: "".join(c.text for c in GroundedAnswerer().answer(snap, q))  # noqa: E731
    assert text("Where is object 9?") == "I have not seen object #9."
    assert "in the future" in text("How many objects were visible at 50 s?")


def test_narrator_is_rate_limited_and_folds_events():
    got = []
    nar = Narrator(min_interval_s=2.0, on_message=got.append)
    said = []
    for i in range(100):  # a new object every frame for 10 s
        said += nar.feed([Event(i / 10, i, "confirmed", track_id=i, colour="red", size="small", region="center"),
                          Event(i / 10, i, "count", count=i + 1, previous=i)], i / 10)
    times = [m.t for m in said]
    assert got == said and nar.messages.qsize() == len(said)
    assert len(said) == 5 and all(b - a >= 2.0 for a, b in zip(times, times[1:]))
    assert said[0].text == "New red small object #0 in the center (1 in view)."
    assert said[1].text.startswith("20 new objects") and "(21 in view)" in said[1].text
    assert nar.feed([], 20.0)[0].text.startswith("19 new objects")  # what queued meanwhile is said next
    assert nar.feed([Event(30.0, 300, "lost", track_id=1)], 30.0) == []  # brief losses are not worth a word


def test_question_schedule_load_and_due(tmp_path):
    p = tmp_path / "q.json"
    p.write_text(json.dumps({"questions": [{"question": "b?", "t": 5}, "end?", {"question": "a?", "time": 2.5}]}))
    sched = QuestionSchedule.load(p)
    assert len(sched) == 3
    assert [q.question for q in sched.due(2.0)] == []
    assert [q.question for q in sched.due(6.0)] == ["a?", "b?"]
    assert sched.due(7.0) == []
    assert [(q.question, q.t) for q in sched.remaining()] == [("end?", None)]


@pytest.mark.parametrize("content,message", [
    (None, "does not exist"), ("{oops", "not valid JSON"), ('{"q": 1}', "must hold a list"),
    ('[{"question": "x", "t": -1}]', "time must be"), ('[{"question": ""}]', "non-empty string"), ("[3]", "expected a string"),
])
def test_question_schedule_rejects_bad_files(tmp_path, content, message):
    p = tmp_path / "q.json"
    if content is not None:
        p.write_text(content)
    with pytest.raises(InputError, match=message):
        QuestionSchedule.load(p)


def test_stage_answers_scheduled_questions_and_writes_json(tmp_path):
    sched = QuestionSchedule()
    sched.add("How many objects are visible now?", 0.5)
    sched.add("When was object 1 first seen?")
    stage = MemoryStage(schedule=sched)
    for i in range(20):
        stage.process(frame(i, [(1, (10, 10, 50, 40), TrackState.CONFIRMED)] if i >= 3 else []))
    out = stage.write_answers(tmp_path / "answers.json")
    stage.close()
    doc = json.loads(out.read_text())
    a, b = doc["answers"]
    assert (a["t"], a["asked_at"], a["value"], a["citations"][0]["track_ids"]) == (0.5, 0.5, 1, [1])
    assert b["t"] is None and b["asked_at"] == 1.9 and b["value"] == pytest.approx(0.3)
    assert doc["meta"]["frames"] == 20 and not list(tmp_path.glob(".*part"))


def test_cli_helpers_build_a_stage_and_format_answers(tmp_path):
    p = tmp_path / "q.json"
    p.write_text(json.dumps([{"question": "How many objects are visible now?", "t": 0.5}]))
    stage = make_memory_stage(ask="When was object 1 first seen?", questions=p)
    for i in range(10):
        stage.process(frame(i, [(1, (10, 10, 40, 35), TrackState.CONFIRMED)]))
    timed, end = stage.finish(timeout=10)
    stage.close()
    assert format_answer(timed).startswith("Q (0.5 s, scheduled 0.5 s): How many objects are visible now?\nA: 1 object visible now")
    assert "cited: 0.0 s #1" in format_answer(end)
    with pytest.raises(InputError, match="does not exist"):
        make_memory_stage(questions=tmp_path / "missing.json")


def test_write_answers_refuses_a_missing_folder(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        write_answers(tmp_path / "nope" / "a.json", [])


def test_config_and_backend_validation():
    with pytest.raises(InputError):
        MemoryConfig(temporal_clusters=1)
    with pytest.raises(InputError, match="unknown answer backend"):
        make_backend("gpt")
    with pytest.raises(InputError, match="http"):
        make_backend("openai", url="ftp://x")
    with pytest.raises(InputError, match="not set"):
        make_backend("openai", api_key_env="PERCEPTION_TEST_SURELY_UNSET_KEY")
    assert make_backend().name == "builtin"


def test_unparsed_questions_fall_back_to_sentence_retrieval():
    mem = VideoMemory()
    for i in range(30):
        boxes = [(1, (10, 10, 50, 40), TrackState.CONFIRMED)] if i < 15 else []
        mem.update(frame(i, boxes, bg=(60, 60, 60) if i < 20 else (200, 120, 20)))
    snap = mem.snapshot()
    ans = collect("Did the camera cut to another view?", snap,
                  GroundedAnswerer().answer(snap, "Did the camera cut to another view?"), "builtin")
    assert ans.error is None and ans.text.startswith("Closest matches in memory:")
    assert "the scene changed" in ans.text.split("|")[0] and ans.citations[0].time == pytest.approx(2.0)
