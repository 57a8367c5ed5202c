"""Property-based fuzzing of the readers and exporters: any text gives a table or one InputError (never another
exception), valid content reads back exactly, and every export re-reads to what was recorded."""

from __future__ import annotations

import csv
import json
import math
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.spatial.transform import Rotation

from perception.io.exports import TrackRecorder, rle_decode, rle_encode
from perception.io.mot import read_mot
from perception.sources import MemorySource
from perception.sources.rgbd_layouts import MAX_FOCAL, MIN_FOCAL, load_intrinsics_file, load_pose_file, read_tum_list
from perception.types import FramePacket, FrameResult, InputError, Tracks

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
EXPORT_FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
INFO = MemorySource([np.zeros((4, 4, 3), np.uint8)]).info

# text made of the characters these files are made of, plus a few that should not be there
TEXTISH = st.text(alphabet=st.sampled_from(list("0123456789.,-+eE \t\n#nainfNAIF") + ["\x00", "é", "\r"]), max_size=400)


def _in_file(text: str | bytes, name: str):
    """Write ``text`` to a fresh file; return (TemporaryDirectory, path)."""
    tmp = tempfile.TemporaryDirectory()
    path = Path(tmp.name) / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass"))
    return tmp, path


# ----- MOT det.txt / gt.txt ----------------------------------------------------------------------------------------
@FUZZ
@given(TEXTISH)
def test_read_mot_on_any_text_gives_a_table_or_an_input_error(text):
    tmp, path = _in_file(text, "det.txt")
    with tmp:
        try:
            table = read_mot(path)
        except InputError as exc:
            assert str(exc).startswith(str(path))
            return
        assert len(table.frames) == len(table.ids) == len(table.xywh) == len(table.scores)
        assert np.all(table.frames >= 1) and np.all(np.diff(table.frames) >= 0)
        assert np.all(np.isfinite(table.xywh)) and np.all(table.xywh[:, 2:] > 0)


NUMBER = st.one_of(st.floats(-1e4, 1e4, allow_nan=False, width=32).map(lambda v: round(v, 2)),
                   st.sampled_from([math.nan, math.inf, -math.inf, 0.0, -1.0]))
ROW = st.tuples(st.integers(1, 500), st.integers(-1, 50), NUMBER, NUMBER, NUMBER, NUMBER,
                st.floats(-1, 100, allow_nan=False).map(lambda v: round(v, 3)))


@FUZZ
@given(st.lists(ROW, max_size=40), st.integers(7, 10), st.sampled_from([",", ", ", " "]))
def test_read_mot_keeps_exactly_the_valid_rows_sorted_by_frame(rows, ncols, sep):
    lines = [sep.join([str(r[0]), str(r[1])] + [repr(v) for v in r[2:]] + ["-1"] * (ncols - 7)) for r in rows]
    tmp, path = _in_file("\n".join(lines) + "\n", "gt.txt")
    with tmp:
        table = read_mot(path)
    valid = [r for r in rows if all(math.isfinite(v) for v in r[2:]) and r[4] > 0 and r[5] > 0]
    expect = sorted(valid, key=lambda r: r[0])  # stable: equal frames keep file order
    assert table.frames.tolist() == [r[0] for r in expect] and table.ids.tolist() == [r[1] for r in expect]
    assert np.array_equal(table.xywh, np.array([r[2:6] for r in expect], float).reshape(-1, 4))
    assert np.array_equal(table.scores, np.array([r[6] for r in expect], float))
    nonfinite = sum(not all(math.isfinite(v) for v in r[2:]) for r in rows)
    assert any(f"skipped {nonfinite} rows with non-finite" in w for w in table.warnings) == (nonfinite > 0)
    unordered = any(a[0] > b[0] for a, b in zip(valid, valid[1:]))
    assert any("out of frame order" in w for w in table.warnings) == unordered


# ----- RGB-D pose and intrinsics files ---------------------------------------------------------------------------------
@FUZZ
@given(TEXTISH)
def test_pose_and_intrinsics_readers_on_any_text(text):
    tmp, path = _in_file(text, "0.txt")
    with tmp, warnings.catch_warnings():
        warnings.simplefilter("error")  # no stray warning on stderr either: one InputError says it
        for reader in (load_pose_file, load_intrinsics_file):
            try:
                value = reader(path)
            except InputError as exc:
                assert str(path) in str(exc)
                continue
            assert np.all(np.isfinite(np.asarray(value, float)))


@FUZZ
@given(st.lists(st.floats(-1, 1, allow_nan=False), min_size=4, max_size=4).filter(lambda q: np.linalg.norm(q) > 0.1),
       st.lists(st.floats(-100, 100, allow_nan=False), min_size=3, max_size=3),
       st.sampled_from([None, (0, 0), (1, 3), (2, 3)]), st.sampled_from([math.nan, math.inf]))
def test_pose_file_reads_back_or_names_the_bad_value(quat, t, poison_at, poison):
    pose = np.eye(4)
    pose[:3, :3] = Rotation.from_quat(quat).as_matrix()
    pose[:3, 3] = t
    if poison_at is not None:
        pose[poison_at] = poison
    text = "\n".join(" ".join(repr(float(v)) for v in row) for row in pose) + "\n"
    tmp, path = _in_file(text, "pose.txt")
    with tmp:
        if poison_at is None:
            assert np.array_equal(load_pose_file(path), pose)
        else:
            with pytest.raises(InputError, match="non-finite"):
                load_pose_file(path)


@FUZZ
@given(st.floats(-2000, 2000, allow_nan=False), st.floats(-2000, 2000, allow_nan=False),
       st.floats(-1000, 1000, allow_nan=False), st.floats(-1000, 1000, allow_nan=False), st.booleans())
def test_intrinsics_file_reads_back_or_refuses_a_bad_focal_length(fx, fy, cx, cy, four):
    k = np.eye(4 if four else 3)
    k[0, 0], k[1, 1], k[0, 2], k[1, 2] = fx, fy, cx, cy
    tmp, path = _in_file("\n".join(" ".join(repr(float(v)) for v in row) for row in k), "intrinsic.txt")
    with tmp:
        if MIN_FOCAL <= fx <= MAX_FOCAL and MIN_FOCAL <= fy <= MAX_FOCAL and max(abs(cx), abs(cy)) <= MAX_FOCAL:
            assert load_intrinsics_file(path) == (fx, fy, cx, cy)
        else:
            with pytest.raises(InputError, match="fx, fy"):
                load_intrinsics_file(path)


@FUZZ
@given(TEXTISH)
def test_tum_list_reader_on_any_text(text):
    tmp, path = _in_file(text, "rgb.txt")
    with tmp:
        try:
            stamps, rows = read_tum_list(path, 2)
        except InputError as exc:
            assert str(path) in str(exc)
            return
        assert len(stamps) == len(rows) and all(len(r) == 1 for r in rows)


# ----- exporters: export, then re-read equals what was recorded ------------------------------------------------------
CENTI = st.integers(0, 200_000).map(lambda v: v / 100)
SIZE = st.integers(1, 50_000).map(lambda v: v / 100)
TRACK = st.tuples(st.integers(1, 10_000), CENTI, CENTI, SIZE, SIZE, st.integers(0, 10_000).map(lambda v: v / 10_000))


def _frames(draw_frames):
    """[(frame index, [(id, x, y, w, h, score)])] with unique ids per frame."""
    return [(i, list({t[0]: t for t in tracks}.values())) for i, tracks in draw_frames]


FRAMES = st.lists(st.tuples(st.integers(0, 5000), st.lists(TRACK, min_size=1, max_size=6)), max_size=10,
                  unique_by=lambda f: f[0]).map(_frames)


def _record(frames, masks: bool = False) -> tuple[TrackRecorder, list]:
    rec = TrackRecorder()
    rng = np.random.default_rng(len(frames))
    kept = []
    for i, tracks in sorted(frames):
        xyxy = np.array([[x, y, x + w, y + h] for _, x, y, w, h, _ in tracks])
        m = rng.random((len(tracks), 6, 5)) > 0.5 if masks else None
        rec.add(FrameResult(FramePacket(i, i / 30, np.zeros((6, 5, 3), np.uint8), INFO),
                            tracks=Tracks(xyxy, np.array([t[0] for t in tracks]), np.array([t[5] for t in tracks]),
                                          masks=m)))
        kept.append((i, tracks, m))
    return rec, kept


@EXPORT_FUZZ
@given(FRAMES)
def test_mot_export_reads_back_equal(frames):
    rec, kept = _record(frames)
    with tempfile.TemporaryDirectory() as d:
        rec.write(Path(d) / "t.txt")
        table = read_mot(Path(d) / "t.txt")
    expect = sorted((i + 1, t[0], t[1], t[2], t[3], t[4], t[5]) for i, tracks, _ in kept for t in tracks)
    got = sorted(zip(table.frames.tolist(), table.ids.tolist(), *np.round(table.xywh, 2).T.tolist(), table.scores.tolist()))
    assert len(got) == len(expect)
    for g, e in zip(got, expect):
        assert g[:2] == e[:2] and np.allclose(g[2:6], e[2:6], atol=0.011) and abs(g[6] - e[6]) < 6e-5


@EXPORT_FUZZ
@given(FRAMES)
def test_json_export_reads_back_equal_with_masks(frames):
    rec, kept = _record(frames, masks=True)
    with tempfile.TemporaryDirectory() as d:
        rec.write(Path(d) / "t.json")
        doc = json.loads((Path(d) / "t.json").read_text())
    assert doc["frame_base"] == 1 and [f["frame"] for f in doc["frames"]] == [i + 1 for i, _, _ in kept]
    for f, (_, tracks, masks) in zip(doc["frames"], kept):
        assert [t["id"] for t in f["tracks"]] == [t[0] for t in tracks]
        for t, (_, x, y, w, h, s), m in zip(f["tracks"], tracks, masks):
            assert np.allclose(t["bbox_xyxy"], [x, y, x + w, y + h], atol=0.006) and abs(t["score"] - s) < 6e-5
            assert np.array_equal(rle_decode(t["mask"]), m)


@EXPORT_FUZZ
@given(FRAMES)
def test_csv_export_reads_back_equal(frames):
    rec, kept = _record(frames)
    with tempfile.TemporaryDirectory() as d:
        rec.write(Path(d) / "t.csv")
        rows = list(csv.DictReader((Path(d) / "t.csv").open()))
    expect = [(i + 1, t) for i, tracks, _ in kept for t in tracks]
    assert len(rows) == len(expect)
    for row, (frame, (tid, x, y, w, h, s)) in zip(rows, expect):
        assert int(row["frame"]) == frame and int(row["id"]) == tid
        assert np.allclose([float(row[k]) for k in ("x", "y", "width", "height")], [x, y, w, h], atol=0.011)


@FUZZ
@given(st.integers(1, 12), st.integers(1, 12), st.integers(0, 2**32 - 1))
def test_rle_round_trip(h, w, seed):
    mask = np.random.default_rng(seed).random((h, w)) > 0.5
    assert np.array_equal(rle_decode(rle_encode(mask)), mask)
